"""Search cost against training-set size (issue 20): wall time to a fixed training error on ~5k, 20k and 80k atoms.

Data: copper sets of at least 5,000, 20,000 and 80,000 atoms from benchmarks/label_copper.py with one seed (EAM
labels, Cu_mishin1 in LAMMPS: NOT DFT), made once under benchmarks/data/ and reused. The sets come from one
generator, so a smaller set is a prefix of a larger one and the same formula has about the same standardised
error on all three: one target error serves them all. (POET's DFT_Cu, ~5k atoms, has other labels and another
error scale, so it is not one of the three.)

Runs: `python -m symbolicpot evolve` with the default settings on each set, in turn, one at a time (2 islands in
local processes, as a user's first run), with `[stop] target_error` and a time cap, for --seeds search seeds (--seed,
--seed + 1, ...; the data's seed is --seed). The target is 1.2 × the median over seeds of the best standardised
training error the smallest set's runs reach in --reference-minutes (60; --quick: 8); those runs also give the
smallest set's times to the target (the first log line at or below it). The other runs stop at the target or at
--cap-minutes. One search's time to a target is mostly its luck: compare sets by the median over several seeds.

Prints one JSON object: atoms (list, smallest first), seconds_to_target (list, same order: the median over seeds,
a run the cap stopped counting as slower than every other; null where that median is such a run),
seconds_to_target_per_seed (per set, the list over seeds), time_ratio_largest_vs_smallest (of the medians),
target_error, and per run evaluations_per_s and generations_per_min (whole runs, numba's compilation excluded: it is
done before the first run), plus the machine. The goal of issue 20: 16× the atoms costs ≤ 3× the time, and the 80k
set reaches the target within 30 minutes on 2 cores.

Usage: python benchmarks/bench_scale.py [--quick] [--seed 0] [--seeds 1] [--reference-minutes 60] [--cap-minutes 60]
                                        [--target-error X] [--keep DIR] [--screen-atoms N]
--quick: 5k and 20k only, an 8-minute reference and a 10-minute cap (≤ 20 minutes per seed in all).
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from label_copper import default_path, label_copper
from machine import describe, machine

SIZES = (5_000, 20_000, 80_000)
QUICK_SIZES = SIZES[:2]
TARGET_FACTOR = 1.2


def data_set(n_atoms, seed):
    """The labelled set of at least `n_atoms` atoms (made on first use)."""
    path = default_path(n_atoms, seed)
    if not path.exists():
        summary = label_copper(n_atoms, seed, path)
        print(f"labelled {summary['atoms']} atoms in {summary['seconds']:.0f} s: {path}", file=sys.stderr)
    return path


def n_atoms_of(path):
    import ase.io
    return sum(len(atoms) for atoms in ase.io.iread(path, index=":"))


def run(data, run_dir, seed, minutes, target_error=None, screen_atoms=None):
    """One evolve run on `data` (default settings, or `screen_atoms` for [search] screen_atoms); returns its log lines
    (dicts of log.jsonl)."""
    config = Path(run_dir).with_suffix(".toml")
    stop = f"target_error = {target_error!r}\n" if target_error is not None else ""
    search = f"\n[search]\nscreen_atoms = {screen_atoms}\n" if screen_atoms is not None else ""
    config.write_text(f'[data]\ntrain = ["{data}"]\n\n[stop]\ntime_limit = "{minutes}m"\ngenerations = 1000000\n{stop}'
                      + search, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "symbolicpot", "evolve", str(config), "--out", str(run_dir),
                    "--seed", str(seed), "--progress", "off"], check=True, stdout=sys.stderr)  # stdout: the JSON
    lines = Path(run_dir, "log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def seconds_to(log, target_error):
    """Elapsed seconds of the first log line whose best error is at or below the target, or None."""
    return next((entry["elapsed"] for entry in log
                 if entry["best_error"] is not None and entry["best_error"] <= target_error), None)


def median_seconds(seconds):
    """The median of one set's seconds to the target over seeds, a run the cap stopped (None) counting as slower
    than every other; None when the median is such a run."""
    ordered = sorted(seconds, key=lambda s: (s is None, s))
    middle = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
    return None if None in middle else (middle[0] + middle[1]) / 2


def rates(log):
    last = log[-1]
    return {"evaluations_per_s": last["evaluations"] / last["elapsed"],
            "generations_per_min": 60.0 * last["generation"] / last["elapsed"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k and 20k atoms only, ≤ 20 minutes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of the first search")
    parser.add_argument("--seeds", type=int, default=1, help="searches per set, seeds --seed, --seed + 1, ...")
    parser.add_argument("--reference-minutes", type=float, help="run on the smallest set that sets the target")
    parser.add_argument("--cap-minutes", type=float, help="time limit of the other runs")
    parser.add_argument("--target-error", type=float, help="skip the reference: use this standardised error")
    parser.add_argument("--keep", type=Path, help="keep the run directories here (default: a temporary folder)")
    parser.add_argument("--screen-atoms", type=int, help="[search] screen_atoms of every run (default: the default)")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    reference_minutes = args.reference_minutes or (8 if args.quick else 60)
    cap_minutes = args.cap_minutes or (10 if args.quick else 60)
    print(describe(), file=sys.stderr)

    paths = [data_set(n, args.seed) for n in sizes]
    subprocess.run([sys.executable, "-c", "from symbolicpot.evaluate.warm_up import compile_kernels; "
                    "compile_kernels()"], check=True)  # numba's compilation, outside every timed run
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        seeds = range(args.seed, args.seed + args.seeds)
        logs = []  # per set, the logs of its runs (one per seed)
        if args.target_error is None:
            logs.append([run(paths[0], root / f"atoms_0_seed{seed}", seed, reference_minutes,
                             screen_atoms=args.screen_atoms) for seed in seeds])
            bests = [min(entry["best_error"] for entry in log if entry["best_error"] is not None) for log in logs[0]]
            target = TARGET_FACTOR * float(np.median(bests))
        else:
            target = args.target_error
        for k in range(len(logs), len(paths)):
            logs.append([run(paths[k], root / f"atoms_{k}_seed{seed}", seed, cap_minutes, target, args.screen_atoms)
                         for seed in seeds])
    per_seed = [[seconds_to(log, target) for log in runs] for runs in logs]
    seconds = [median_seconds(runs) for runs in per_seed]
    ratio = seconds[-1] / seconds[0] if None not in (seconds[0], seconds[-1]) else None
    print(json.dumps({"atoms": [n_atoms_of(path) for path in paths], "seconds_to_target": seconds,
                      "seconds_to_target_per_seed": per_seed, "seeds": list(seeds),
                      "time_ratio_largest_vs_smallest": ratio, "target_error": target,
                      "target_factor": TARGET_FACTOR, "reference_minutes": reference_minutes,
                      "cap_minutes": cap_minutes, "screen_atoms": args.screen_atoms,
                      "runs": [[rates(log) for log in runs] for runs in logs], "machine": machine()}))


if __name__ == "__main__":
    main()
