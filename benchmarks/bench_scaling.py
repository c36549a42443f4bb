"""Generations per minute of the search with its islands on 1 and 2 local Dask workers, and the overhead of the Dask
path against the local process pool on 2 workers.

The main job's settings (examples/sutton_chen.toml: 2 islands of 40 on the shipped POET copper data, 5 generations
per epoch) run on three executors side by side in this one run: Dask local:1, Dask local:2 and the process pool of
2 workers, advanced one epoch each in turn (round robin, each round starting with the next executor) after a warm-up
epoch each (worker start-up, the workers' Problem, numba's cache: reported as start-up seconds, not in the rates).
All three compute the same epochs (same seed, same islands), so epoch k is the same work on each: ratios are medians
of per-epoch ratios, rates come from median epochs. BLAS runs single-threaded in every worker, as Dask's workers run
it by default, so that the ratio is the cost of the Dask path rather than of BLAS threads competing for the cores.
Prints one JSON object, ratios first.
Usage: python benchmarks/bench_scaling.py [--epochs N] [--config CONFIG.toml]
"""
import argparse
import dataclasses
import json
import os
import statistics
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # inherited by the pool's workers
    os.environ[variable] = "1"

from symbolicpot.run.config import load_data, resolve_file, search_config
from symbolicpot.search.engine import Search

MAIN_JOB = Path(__file__).resolve().parents[1] / "examples" / "sutton_chen.toml"
EXECUTORS = {"dask_1_worker": {"scheduler": "local:1"}, "dask_2_workers": {"scheduler": "local:2"},
             "process_pool_2_workers": {"workers": 2}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="timed epochs per executor (default 6)")
    parser.add_argument("--config", type=Path, default=MAIN_JOB, help="run config (default: the main job's)")
    args = parser.parse_args()
    config = resolve_file(args.config)
    train, test = load_data(config)
    base = dataclasses.replace(search_config(config), generations=10 ** 6, time_limit=None)
    engines, states, startup = {}, {}, {}
    for name, changes in EXECUTORS.items():
        start = time.perf_counter()
        engines[name] = Search(train, dataclasses.replace(base, **changes))
        states[name], _ = engines[name].step(engines[name].initial_state())
        startup[name] = time.perf_counter() - start
    seconds = {name: [] for name in EXECUTORS}  # of every timed epoch
    try:
        names = list(EXECUTORS)
        for epoch in range(args.epochs):
            for name in names[epoch % 3:] + names[:epoch % 3]:
                start = time.perf_counter()
                states[name], _ = engines[name].step(states[name])
                seconds[name].append(time.perf_counter() - start)
    finally:
        for engine in reversed(engines.values()):  # last opened first: each Dask cluster restores the log levels
            engine.close()
    assert len({tuple(ind.key for ind in state.archive) for state in states.values()}) == 1, "executors disagree"

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(seconds[a], seconds[b]))

    print(json.dumps({
        "dask_2_over_process_pool_2_seconds": ratio("dask_2_workers", "process_pool_2_workers"),
        "target_at_most": 1.15,
        "dask_1_over_dask_2_seconds": ratio("dask_1_worker", "dask_2_workers"),  # the second worker's speed-up
        "generations_per_minute": {name: 60 * base.migration_interval / statistics.median(epochs)
                                   for name, epochs in seconds.items()},
        "epoch_seconds": seconds,
        "startup_seconds": startup,
        "generations_per_epoch": base.migration_interval,
        "islands": base.islands,
        "population": base.population,
        "config": str(args.config),
    }, indent=2))


if __name__ == "__main__":
    main()
