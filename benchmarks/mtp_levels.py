"""MTP level vs error vs fit time on POET's DFT_Cu: what `symbolicpot baseline mtp --level N` buys.

    python benchmarks/mtp_levels.py [--levels 2 4 6 8] [--max-iter N] [--data ../shared/data/poet/DFT_Cu]

Train on NVT 300 K + NVT 1400 K + NPT 1400 K minus a 20 % held-out split (seed 0), test on that split, one level
after the other in this process. Fit time is given as wall and CPU seconds and as a ratio to the default level's CPU
time: on a shared machine the wall time depends on the neighbours' load, the CPU time (motep fits in one thread)
and the ratios much less. Level 10 takes about twice as long per BFGS iteration as level 8.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

from machine import describe
from symbolicpot.baselines import mtp
from symbolicpot.data import load
from symbolicpot.fitness import error_metrics
from symbolicpot.potentials import predict

DFT_CU = Path(__file__).resolve().parents[2] / "shared" / "data" / "poet" / "DFT_Cu"
FOLDERS = ("NVT_FCC_300K", "NVT_FCC_1400K", "NPT_FCC_1400K")


def fit_and_score(level, max_iter, train, test):
    """(parameters, train errors, test errors, wall s, CPU s) of an MTP of `level` fitted to `train`."""
    with tempfile.TemporaryDirectory() as out:
        cpu = time.process_time()
        summary = mtp.fit(train, Path(out), {"level": level, "max_iter": max_iter}, r_out=5.0, seed=0)
        cpu = time.process_time() - cpu
        calculator = mtp.load(Path(out))
    errors = [error_metrics(predict(calculator, data), data) for data in (train, test)]
    return summary["parameters"], *errors, summary["fit_seconds"], cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[2, 4, 6, 8])
    parser.add_argument("--max-iter", type=int, default=mtp.DEFAULTS["max_iter"])
    parser.add_argument("--data", type=Path, default=DFT_CU, help="POET's DFT_Cu folder")
    args = parser.parse_args()
    train, test = load([args.data / folder for folder in FOLDERS]).split(0.2, seed=0)
    rows = {}
    for level in args.levels:
        print(f"fitting level {level} ...", file=sys.stderr, flush=True)
        rows[level] = fit_and_score(level, args.max_iter, train, test)
    reference = mtp.DEFAULTS["level"] if mtp.DEFAULTS["level"] in rows else args.levels[0]
    print(describe())
    print(f"DFT_Cu: {train.n_configs} training, {test.n_configs} test configurations of 32 atoms; BFGS ≤ "
          f"{args.max_iter} iterations; energy RMSE meV/atom, force RMSE eV/Å")
    print("| level | parameters | train E | train F | test E | test F | fit wall s | fit CPU s "
          f"| CPU ÷ level {reference} |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level, (parameters, train_errors, test_errors, wall, cpu) in rows.items():
        errors = " | ".join(f"{e['energy_rmse_mev_per_atom']:.2f} | {e['force_rmse_ev_per_a']:.4f}"
                            for e in (train_errors, test_errors))
        print(f"| {level} | {parameters} | {errors} | {wall:.0f} | {cpu:.0f} | {cpu / rows[reference][4]:.2f} |")


if __name__ == "__main__":
    main()
