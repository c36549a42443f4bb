"""Shared fixtures: the reference data beside the repository (../shared/data), skipped when absent."""
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def poet_data():
    """The folder of POET's data sets (../shared/data/poet)."""
    path = SHARED_DATA / "poet"
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path
