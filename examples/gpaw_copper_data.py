"""The DFT data of examples/learn_copper_gpaw.toml: small fcc Cu cells labelled by GPAW (PBE; examples/gpaw_label.py).

Geometries from Langevin MD with ASE's EMT (benchmarks/active_learning.py's md_snapshots, seeded), labels from
GPAW run by Debian's /usr/bin/python3 (`sudo apt-get install gpaw gpaw-data`): examples/data/copper_gpaw_start.xyz
(10 snapshots of the 4-atom cubic cell at 300 K) and copper_gpaw_test.xyz (2 each at 1200 K, at −4 % and +4 %
strain at 300 K, and of a 2 x 1 x 1 cell at 900 K). About 4 minutes of one core.

Usage: python examples/gpaw_copper_data.py [--python /usr/bin/python3]   (from the repository root)
"""
import argparse
from pathlib import Path
import subprocess
import sys
import tempfile

from ase.build import bulk
from ase.io import write

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from active_learning import md_snapshots, strained  # noqa: E402  (benchmarks/ is not a package)

LATTICE_CONSTANT = 3.63  # Å, PBE copper


def geometries():
    """{file stem: snapshots (ase.Atoms, EMT-labelled)} of the start and test sets, seeded."""
    cell = bulk("Cu", "fcc", a=LATTICE_CONSTANT, cubic=True)
    return {"copper_gpaw_start": md_snapshots(cell, 300, 10, [0, 0], every=10),
            "copper_gpaw_test": (md_snapshots(cell, 1200, 2, [0, 1], every=10)
                                 + md_snapshots(strained(cell, -0.04), 300, 2, [0, 2], every=10)
                                 + md_snapshots(strained(cell, 0.04), 300, 2, [0, 3], every=10)
                                 + md_snapshots(cell.repeat((2, 1, 1)), 900, 2, [0, 4], every=10))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="/usr/bin/python3", help="the Python that has GPAW")
    args = parser.parse_args()
    for stem, snapshots in geometries().items():
        with tempfile.TemporaryDirectory() as folder:
            given = Path(folder) / "geometries.xyz"
            write(given, [atoms.copy() for atoms in snapshots])  # positions and cells only: the labels are GPAW's
            subprocess.run([args.python, str(ROOT / "examples" / "gpaw_label.py"), str(given),
                            str(ROOT / "examples" / "data" / f"{stem}.xyz")], check=True)
        print(f"examples/data/{stem}.xyz: {len(snapshots)} configurations (GPAW PBE)", file=sys.stderr)


if __name__ == "__main__":
    main()
