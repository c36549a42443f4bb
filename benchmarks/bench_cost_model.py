"""How well the cost model ranks real evaluator timings: Spearman rank correlation over random formulas.

~100 random formulas of the search's generator (default OperatorConfig) that are valid on POET DFT_Cu NVT_FCC_300K
(r_in 3 Å, r_c 5 Å; the shipped Sutton–Chen example when DFT_Cu is absent) are priced by the shipped
DEFAULT_COST_MODEL (with the data's mean neighbour count) and timed by the evaluator (energies + forces + virials)
in this one run: rounds interleave the formulas, one numba thread, medians over rounds. For reference, a model
calibrated in this run on the same data (on other formulas) is scored on the same timings, and so is the node
count (the complexity objective). LAMMPS timings come with the export issue: spearman_lammps is null until then.
Usage: python benchmarks/bench_cost_model.py [--data PATH ...] [--formulas N] [--repeats N] [--seed N]
"""
import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from machine import machine
from symbolicpot.data import example_path, load
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.expr import node_count
from symbolicpot.fitness import (DEFAULT_COST_MODEL, calibrate, mean_neighbours, random_valid_formulas,
                                 rank_correlation, time_formulas)

DFT_CU = Path(__file__).resolve().parents[2] / "shared" / "data" / "poet" / "DFT_Cu" / "NVT_FCC_300K"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", type=Path, help="POET folders (default DFT_Cu NVT_FCC_300K)")
    parser.add_argument("--formulas", type=int, default=100, help="random formulas to rank (default 100)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the ranked formulas (default 2024)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = args.data or [DFT_CU if DFT_CU.is_dir() else example_path("sutton_chen")]
    dataset, cutoff = load(data), Cutoff(3.0, 5.0)
    evaluator = Evaluator(dataset, cutoff)
    formulas = random_valid_formulas(evaluator, np.random.default_rng(args.seed), args.formulas)
    measured = time_formulas(evaluator, formulas, args.repeats)
    shipped = dataclasses.replace(DEFAULT_COST_MODEL, neighbours=mean_neighbours(evaluator))
    recalibrated = calibrate(dataset, seed=args.seed + 1, cutoff=cutoff)
    model_cost = np.array([shipped.cost(formula) for formula in formulas])
    print(json.dumps({
        "machine": machine(),
        "spearman_evaluator": rank_correlation(shipped, formulas, measured),
        "spearman_evaluator_recalibrated": rank_correlation(recalibrated, formulas, measured),
        "spearman_node_count": float(spearmanr([node_count(f) for f in formulas], measured).statistic),
        "spearman_lammps": None,
        "spearman_lammps_note": "LAMMPS timings need the exported pair style (a later issue)",
        "n_formulas": len(formulas),
        "repeats": args.repeats,
        "median_time_over_cost": float(np.median(measured / model_cost)),  # this machine against the defaults'
        "measured_ns_per_atom_range": [float(measured.min()), float(measured.max())],
        "data": [str(path) for path in data],
        "n_atoms": dataset.n_atoms_total,
        "neighbours": shipped.neighbours,
        "numba_threads_timed": 1,
        "total_seconds": time.perf_counter() - t0,
    }))


if __name__ == "__main__":
    main()
