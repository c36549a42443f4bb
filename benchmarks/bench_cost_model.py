"""How well the cost model ranks real timings: Spearman rank correlation over random formulas, per target.

lammps (issue 16: ≥ 0.9 over 50 formulas): --formulas random formulas of the search's generator (default
OperatorConfig), finite on the timed crystal and whose pair functions can be tabulated (the others export with
--exact and are drawn again), are exported as the LAMMPS plugin a user deploys and timed by symbolicpot.calibration
(force evaluations of 4000 atoms of fcc Cu, displaced 0.05 Å, r_in 3 Å, r_c 5 Å; interleaved rounds, medians of
CPU time), twice (fresh builds, other orders; their mean is ranked, and the rank correlation of the two timings, the
most any model can reach against one timing, is printed beside).
They are priced by the shipped LAMMPS_COST_MODEL, by a model calibrated in this run (on other formulas), by the
evaluator's model and by the node count (the complexity objective).

evaluator: as many random formulas valid on POET DFT_Cu NVT_FCC_300K (the shipped Sutton–Chen example when DFT_Cu
is absent) timed twice in the evaluator (energies + forces + virials, one numba thread), priced by the shipped
EVALUATOR_COST_MODEL (with the data's mean neighbour count), a model recalibrated in this run, and the node count.

Usage: python benchmarks/bench_cost_model.py [--targets lammps evaluator] [--data PATH ...] [--formulas N]
[--repeats N] [--seed N]; prints one JSON object (the CPU under "machine").
"""
import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from machine import machine
from symbolicpot.calibration import (calibrate, random_valid_formulas, rank_correlation,
                                     time_formulas, time_on, timing_evaluator)
from symbolicpot.data import example_path, load
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.expr import distinct_sums, node_count
from symbolicpot.fitness import DEFAULT_COST_MODELS

DFT_CU = Path(__file__).resolve().parents[2] / "shared" / "data" / "poet" / "DFT_Cu" / "NVT_FCC_300K"
CUTOFF = Cutoff(3.0, 5.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", choices=("lammps", "evaluator"), default=["lammps", "evaluator"])
    parser.add_argument("--data", nargs="+", type=Path, help="POET folders (default DFT_Cu NVT_FCC_300K)")
    parser.add_argument("--formulas", type=int, default=50, help="random formulas to rank per target (default 50)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the ranked formulas (default 2024)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = args.data or [DFT_CU if DFT_CU.is_dir() else example_path("sutton_chen")]
    dataset = load(data)
    result = {"machine": machine(), "n_formulas": args.formulas, "repeats": args.repeats,
              "cutoff": [CUTOFF.r_in, CUTOFF.r_out]}
    if "lammps" in args.targets:
        result["lammps"] = lammps_ranking(dataset, args)
    if "evaluator" in args.targets:
        result["evaluator"] = evaluator_ranking(dataset, data, args)
    result["total_seconds"] = time.perf_counter() - t0
    print(json.dumps(result, indent=1))


def lammps_ranking(dataset, args):
    """Spearman correlations of costs with LAMMPS times of args.formulas tabulated random formulas."""
    evaluator, rng = timing_evaluator("lammps", dataset, CUTOFF), np.random.default_rng(args.seed)
    formulas, first, drawn = [], np.empty(0), 0
    while len(formulas) < args.formulas:  # draw again for formulas whose tables miss the export's bounds
        more = random_valid_formulas(evaluator, rng, args.formulas - len(formulas))
        kept, times = time_on("lammps", evaluator, more, args.repeats, rng, progress)
        formulas, first, drawn = formulas + kept, np.concatenate([first, times]), drawn + len(more)
    second = time_on("lammps", evaluator, formulas, args.repeats, rng, progress)[1]  # fresh builds, other orders
    shipped = DEFAULT_COST_MODELS["lammps"]
    recalibrated = calibrate(dataset, seed=args.seed + 1, cutoff=CUTOFF, target="lammps", progress=progress)
    ranks, measured = rankings(formulas, first, second, shipped, recalibrated, DEFAULT_COST_MODELS["evaluator"])
    return {**ranks, "not_tabulated_and_redrawn": drawn - len(formulas),
            "median_time_over_cost": float(np.median(measured / [shipped.cost(f) for f in formulas])),
            "measured_ns_per_atom_range": [float(measured.min()), float(measured.max())],
            "element": evaluator.dataset.single_element("bench_cost_model"),
            "neighbours": evaluator.mean_neighbours}


def evaluator_ranking(dataset, data, args):
    """Spearman correlations of costs with evaluator times of args.formulas random formulas on `dataset`."""
    evaluator, rng = Evaluator(dataset, CUTOFF), np.random.default_rng(args.seed)
    formulas = random_valid_formulas(evaluator, rng, args.formulas)
    first, second = (time_formulas(evaluator, formulas, args.repeats, rng) for _ in range(2))
    shipped = dataclasses.replace(DEFAULT_COST_MODELS["evaluator"], neighbours=evaluator.mean_neighbours)
    recalibrated = calibrate(dataset, seed=args.seed + 1, cutoff=CUTOFF, target="evaluator")
    ranks, measured = rankings(formulas, first, second, shipped, recalibrated)
    return {**ranks, "median_time_over_cost": float(np.median(measured / [shipped.cost(f) for f in formulas])),
            "measured_ns_per_atom_range": [float(measured.min()), float(measured.max())],
            "data": [str(path) for path in data], "n_atoms": dataset.n_atoms_total,
            "neighbours": shipped.neighbours, "numba_threads_timed": 1}


def rankings(formulas, first, second, shipped, recalibrated, evaluator_model=None):
    """({name: Spearman correlation}, mean ns per atom (n,)): the mean of two timings of `formulas` (ns per atom, (n,)
    each) ranked by the cost models, the node count and the number of distinct sums, and the two timings ranked
    against each other (what no model can beat against one timing: the timings' noise)."""
    measured = (first + second) / 2.0
    ranks = {"spearman": rank_correlation(shipped, formulas, measured),
             "spearman_recalibrated": rank_correlation(recalibrated, formulas, measured),
             "spearman_node_count": float(spearmanr([node_count(f) for f in formulas], measured).statistic),
             "spearman_distinct_sums": float(spearmanr([len(distinct_sums(f)) for f in formulas], measured).statistic),
             "spearman_between_timings": float(spearmanr(first, second).statistic)}
    if evaluator_model is not None:
        ranks["spearman_evaluator_model"] = rank_correlation(evaluator_model, formulas, measured)
    return ranks, measured


def progress(text):
    print(f"bench_cost_model: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
