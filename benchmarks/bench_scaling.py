"""Generations per minute of the search with its islands on 1 and 2 local Dask workers, and the overhead of the Dask
path against the local process pool on 2 workers.

The main job's settings (examples/sutton_chen.toml: 2 islands of 40 on the shipped POET copper data) run on three
executors side by side in this one run: Dask local:1, Dask local:2 and the process pool of 2 workers, advanced one
generation each in turn (round robin, each round starting with the next executor) after a warm-up generation each
(worker start-up, the workers' Problem, numba's cache: reported as start-up seconds, not in the rates). All three
compute the same generations (same seed, same islands), so generation k is the same work on each: ratios are
medians of per-generation ratios, rates come from median generations. BLAS runs single-threaded in every worker, as Dask's workers run
it by default, so that the ratio is the cost of the Dask path rather than of BLAS threads competing for the cores.
Prints one JSON object, ratios first.
Usage: python benchmarks/bench_scaling.py [--generations N] [--config CONFIG.toml]
"""
import argparse
import dataclasses
import json
import os
import statistics
import time
from pathlib import Path

from machine import machine
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # inherited by the pool's workers
    os.environ[variable] = "1"

from symbolicpot.run.config import load_data, resolve_file, search_config
from symbolicpot.search.engine import Search

MAIN_JOB = Path(__file__).resolve().parents[1] / "examples" / "sutton_chen.toml"
EXECUTORS = {"dask_1_worker": {"scheduler": "local:1"}, "dask_2_workers": {"scheduler": "local:2"},
             "process_pool_2_workers": {"workers": 2}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=30, help="timed generations per executor (default 30)")
    parser.add_argument("--config", type=Path, default=MAIN_JOB, help="run config (default: the main job's)")
    args = parser.parse_args()
    config = resolve_file(args.config)
    train, test = load_data(config)
    base = dataclasses.replace(search_config(config), generations=10 ** 6, time_limit=None)
    engines, states, startup = {}, {}, {}
    for name, changes in EXECUTORS.items():
        start = time.perf_counter()
        engines[name] = Search(train, dataclasses.replace(base, **changes))
        states[name] = engines[name].step(engines[name].initial_state())
        startup[name] = time.perf_counter() - start
    seconds = {name: [] for name in EXECUTORS}  # of every timed generation
    try:
        names = list(EXECUTORS)
        for generation in range(args.generations):
            for name in names[generation % 3:] + names[:generation % 3]:
                start = time.perf_counter()
                states[name] = engines[name].step(states[name])
                seconds[name].append(time.perf_counter() - start)
    finally:
        for engine in reversed(engines.values()):  # last opened first: each Dask cluster restores the log levels
            engine.close()
    assert len({tuple(ind.key for ind in state.archive) for state in states.values()}) == 1, "executors disagree"

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(seconds[a], seconds[b]))

    print(json.dumps({
        "machine": machine(),
        "dask_2_over_process_pool_2_seconds": ratio("dask_2_workers", "process_pool_2_workers"),
        "target_at_most": 1.15,
        "dask_1_over_dask_2_seconds": ratio("dask_1_worker", "dask_2_workers"),  # the second worker's speed-up
        "generations_per_minute": {name: 60 / statistics.median(generations)
                                   for name, generations in seconds.items()},
        "generation_seconds": seconds,
        "startup_seconds": startup,
        "islands": base.islands,
        "population": base.population,
        "config": str(args.config),
    }, indent=2))


if __name__ == "__main__":
    main()
