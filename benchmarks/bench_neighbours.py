"""ASE's `neighbor_list` against matscipy's `neighbour_list` on the 150 DFT_Cu MD snapshots (32 Cu atoms, 5 Å).

Both run in this process, interleaved round by round; the best round of each is reported with their ratio, as JSON.
Usage: python benchmarks/bench_neighbours.py [POET_DFT_Cu_FOLDER]
"""
import json
import sys
import time
from pathlib import Path

from ase.neighborlist import neighbor_list as ase_neighbor_list
from matscipy.neighbours import neighbour_list as matscipy_neighbour_list

from machine import machine
from symbolicpot.data import load

CUTOFF = 5.0  # Å
ROUNDS = 5
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "poet" / "DFT_Cu"


def seconds_and_pairs(neighbour_list, structures) -> tuple[float, int]:
    start = time.perf_counter()
    n_pairs = sum(len(neighbour_list("ijdD", atoms, CUTOFF)[0]) for atoms in structures)
    return time.perf_counter() - start, n_pairs


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    dataset = load([folder / name for name in ("NVT_FCC_300K", "NVT_FCC_1400K", "NPT_FCC_1400K")])
    libraries = {"ase": ase_neighbor_list, "matscipy": matscipy_neighbour_list}
    best = {name: float("inf") for name in libraries}
    pairs = {}
    for _ in range(ROUNDS):
        for name, neighbour_list in libraries.items():
            seconds, pairs[name] = seconds_and_pairs(neighbour_list, dataset.atoms)
            best[name] = min(best[name], seconds)
    print(json.dumps({"machine": machine(), "snapshots": dataset.n_configs, "cutoff_angstrom": CUTOFF, "rounds": ROUNDS,
                      "pairs": pairs, "ase_seconds": best["ase"], "matscipy_seconds": best["matscipy"],
                      "ase_over_matscipy": best["ase"] / best["matscipy"]}))


if __name__ == "__main__":
    main()
