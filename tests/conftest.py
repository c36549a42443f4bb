"""Shared fixtures: the reference data beside the repository (../shared/data), skipped when absent."""
import importlib
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property-based tests draw the same examples on every machine and run ("ci", the default), so that CI judges the
# code, not the luck of a draw; HYPOTHESIS_PROFILE=explore draws fresh examples on every run, to look for bugs.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def benchmark_script():
    """benchmark_script(name): the module of benchmarks/<name>.py, imported with benchmarks/ on sys.path as when the
    scripts run (they import each other)."""
    sys.path.insert(0, str(BENCHMARKS))
    yield importlib.import_module
    sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="session")
def poet_data():
    """The folder of POET's data sets (../shared/data/poet)."""
    path = SHARED_DATA / "poet"
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def dft_cu(poet_data):
    """POET's DFT_Cu structures as one Dataset: MD snapshots and surface slabs (labelled) and the 0 K cells (fcc, bcc,
    hcp, 13 surfaces; unlabelled, many with non-orthogonal cells)."""
    from symbolicpot.data import load
    folder = poet_data / "DFT_Cu"
    return load([folder / name for name in ("NVT_FCC_300K", "NVT_FCC_1400K", "NPT_FCC_1400K", "lowIndexSurfaces")]
                + sorted((folder / "0K").glob("*.vasp")))
