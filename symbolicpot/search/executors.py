"""Where island steps run: in this process, in a local process pool, or as tasks on a Dask cluster.

Every executor has the same small interface: `map(islands)` returns the islands one generation later (what the
pure step `island.evolve` returns for each, in the order given), `live` (a live.Live) carries the news of the
steps under way and cancels them, and `close()` releases processes or connections. The engine keeps migration and
the archive to itself, and since a step is pure the front does not depend on the executor.
"""
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import os
import re
import threading
import time

from .island import Problem, evolve
from .live import Live


class SchedulerLost(ConnectionError):
    """The connection to the Dask scheduler broke during a step (the step is lost; earlier ones are complete)."""


def open_executor(problem, train, config):
    """The executor `config` (SearchConfig) asks for: Dask tasks when `config.scheduler` is set, else a pool of
    `config.workers` local processes when there are several workers and islands, else this process (`problem`)."""
    if config.scheduler is not None:
        try:  # the optional extra symbolicpot[dask], imported only when used
            from .dask_executor import DaskExecutor
        except ImportError as error:
            message = f'a Dask scheduler needs Dask distributed ({error}): pip install "symbolicpot[dask]"'
            raise ValueError(message) from None
        return DaskExecutor(train, config)
    if config.workers > 1 and config.islands > 1:
        return ProcessPool(train, config, min(config.workers, config.islands))
    return InProcess(problem)


def local_workers(scheduler):
    """N of a scheduler "local:N" (a local Dask cluster of N worker processes), None of an address "tcp://HOST:PORT"
    (any Dask protocol); ValueError for anything else."""
    if match := re.fullmatch(r"local:(\d+)", scheduler):
        if int(match[1]) < 1:
            raise ValueError(f"local:N needs N >= 1, got {scheduler!r}")
        return int(match[1])
    if not re.fullmatch(r"[a-z]+://\S+:\d+", scheduler):
        raise ValueError(f'expected "local:N" or a scheduler address such as "tcp://HOST:PORT", got {scheduler!r}')
    return None


class InProcess:
    """Islands one after the other in this process."""

    def __init__(self, problem):
        self.problem, self.live = problem, Live()

    def map(self, islands):
        return [evolve(island, self.problem, self.live.reporter(k)) for k, island in enumerate(islands)]

    def close(self):
        pass


class ProcessPool:
    """Islands in `workers` local processes (spawned), each holding its own Problem built from the data once."""

    def __init__(self, train, config, workers):
        context = multiprocessing.get_context("spawn")
        self.live = Live(context.Queue(), context.Event())
        self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                         initargs=(train, config, self.live.news, self.live.cancel))

    def map(self, islands):
        return list(self._pool.map(_evolve_in_worker, range(len(islands)), islands))

    def close(self):
        self._pool.shutdown(cancel_futures=True)


_WORKER = {}


def _start_worker(train, config, news, cancel):
    threading.Thread(target=_exit_with_driver, args=(os.getppid(),), daemon=True).start()
    _WORKER.update(problem=Problem(train, config), live=Live(news, cancel))


def _exit_with_driver(driver):
    """End this worker within a second of its driver's death (a SIGKILLed evolve leaves no busy or idle workers)."""
    while os.getppid() == driver:
        time.sleep(1.0)
    os._exit(1)


def _evolve_in_worker(k, island):
    return evolve(island, _WORKER["problem"], _WORKER["live"].reporter(k))
