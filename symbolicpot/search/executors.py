"""Where island steps run: in this process, in a local process pool, or as tasks on a Dask cluster.

Every executor has the same small interface: `map(islands, generations)` returns what the pure step
`island.evolve` returns for each island (the island after the step and its generation reports, in the order given),
and `close()` releases its processes or connections. The engine keeps migration and the archive to itself, and
since a step is pure the front does not depend on the executor.
"""
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import re

from .island import Problem, evolve


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
        self.problem = problem

    def map(self, islands, generations):
        return [evolve(island, self.problem, generations) for island in islands]

    def close(self):
        pass


class ProcessPool:
    """Islands in `workers` local processes (spawned), each holding its own Problem built from the data once."""

    def __init__(self, train, config, workers):
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(train, config))

    def map(self, islands, generations):
        return list(self._pool.map(_evolve_in_worker, islands, [generations] * len(islands)))

    def close(self):
        self._pool.shutdown()


_WORKER_PROBLEM = None


def _start_worker(train, config):
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = Problem(train, config)


def _evolve_in_worker(island, generations):
    return evolve(island, _WORKER_PROBLEM, generations)
