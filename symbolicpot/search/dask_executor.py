"""Island steps as tasks on a Dask distributed cluster (the optional extra symbolicpot[dask]).

The training data and settings go to every worker once, in a worker plugin, and each worker builds its Problem from
them on its first task; a task carries only its island state. Unlike scattered data, which dies with the last worker
holding it, a plugin also reaches every worker that joins later (a nanny's replacement for a killed worker, a new
batch job). Steps are pure: a task the scheduler re-runs because its worker died returns the same island.

Running tasks send their news (live.Reporter) through a queue on the scheduler (distributed.Queue), at most once a
second per island. A cancellation abandons the tasks under way at once (the driver stops waiting for them); they
cannot be interrupted on their workers and run to their end there.
"""
from contextlib import ExitStack
import logging
import queue as queues
import threading
import uuid

from distributed import Client, LocalCluster, Queue, WorkerPlugin, get_worker
from distributed.comm import connect
from distributed.utils import LoopRunner, silence_logging_cmgr, sync

from .executors import SchedulerLost, local_workers
from .island import Problem, evolve
from .live import Cancelled, Live, Reporter

CONNECT_SECONDS = 5.0  # a scheduler that does not answer within this is reported as unreachable
CANCEL_POLL_SECONDS = 0.5  # how often a step waiting for its tasks looks for a cancellation


class DaskExecutor:
    """Islands as Dask tasks on the scheduler `config.scheduler`: "local:N" starts (and at close ends) a local
    cluster of N single-threaded worker processes; an address such as "tcp://HOST:PORT" uses a running scheduler."""

    def __init__(self, train, config):
        self.address = config.scheduler
        n = local_workers(config.scheduler)
        if n is None:
            self._cluster, self._client = None, _connect(self.address)
        else:
            # One thread per worker process, numba's included; no dashboard (its HTTP server takes any free port).
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                         scheduler_kwargs={"dashboard": False}, silence_logs=logging.CRITICAL,
                                         env={"NUMBA_NUM_THREADS": "1"})
            self._client = Client(self._cluster, set_as_default=False)
        self._quiet = ExitStack()  # Dask's own log lines, while it is used: its failures are reported as errors here
        self._quiet.enter_context(silence_logging_cmgr(logging.CRITICAL))
        self._plugin = f"symbolicpot-{uuid.uuid4().hex}"
        self._client.register_plugin(_ProblemPlugin(train, config), name=self._plugin)
        self._news = f"{self._plugin}-news"
        self.live = Live(news=_SchedulerNews(Queue(self._news, client=self._client)))

    def map(self, islands):
        try:
            futures = self._client.map(_evolve, range(len(islands)), islands, plugin=self._plugin, news=self._news,
                                       pure=False)
            while self._client.status == "running" and not all(future.done() for future in futures):
                if self.live.cancel.wait(CANCEL_POLL_SECONDS):
                    self._client.cancel(futures)
                    raise Cancelled
            return self._client.gather(futures)
        except Cancelled:
            raise
        except Exception as error:
            if self._client.status == "running":
                raise
            raise SchedulerLost(f"lost the connection to the Dask scheduler {self.address}") from error

    def close(self):
        if self._client.status == "running" and self._cluster is None:
            self._client.unregister_worker_plugin(self._plugin)  # frees the data on a cluster that lives on
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._quiet.close()


def _connect(address):
    """A Client of the scheduler at `address`; ValueError naming it when none answers within CONNECT_SECONDS.

    A handshake comes first, under a deadline: Dask's own connect timeout does not cover its handshake, so a port
    that accepts connections but never answers (the dashboard's, for one) would hang the Client (dask/distributed#8071).
    """
    async def handshake():
        (await connect(address, timeout=CONNECT_SECONDS)).abort()

    runner = LoopRunner()
    runner.start()
    try:
        sync(runner.loop, handshake, callback_timeout=CONNECT_SECONDS)
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except Exception as error:
        reason = error if isinstance(error, ValueError) else f"no answer within {CONNECT_SECONDS:g} s"
        raise ValueError(f"cannot connect to the Dask scheduler {address}: {reason}") from None
    finally:
        runner.stop()


class _ProblemPlugin(WorkerPlugin):
    """The training data and settings on a worker, and the Problem built from them (one per worker thread: a Problem
    counts its evaluations, so concurrent steps must not share one)."""

    def __init__(self, train, config):
        self.train, self.config = train, config

    def setup(self, worker):
        self._local = threading.local()

    def problem(self):
        if not hasattr(self._local, "problem"):
            self._local.problem = Problem(self.train, self.config)
        return self._local.problem


class _SchedulerNews:
    """Live's news queue on the scheduler: `put` in the tasks, `get_nowait` in the driver (raises queue.Empty when
    nothing is there, or when the scheduler cannot be reached: news are advisory, `map` reports a lost scheduler)."""

    def __init__(self, queue):
        self.queue, self.held = queue, []

    def put(self, item):
        self.queue.put(item)

    def get_nowait(self):
        if not self.held:
            try:
                self.held = list(self.queue.get(batch=True))
            except Exception:
                raise queues.Empty from None
        if not self.held:
            raise queues.Empty
        return self.held.pop(0)


_NEVER = threading.Event()  # a task's cancel event: tasks are abandoned by the driver, never interrupted


def _evolve(index, island, plugin, news):
    """The task: island `index`'s pure step on this worker's Problem, its news to the scheduler's queue `news`."""
    reporter = Reporter(_SchedulerNews(Queue(news)), _NEVER, index)
    return evolve(island, get_worker().plugins[plugin].problem(), reporter)
