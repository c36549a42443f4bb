"""Stopping a run cleanly on SIGINT/SIGTERM.

Generations run in a helper thread while the main thread waits, wakes on a stop signal and ends the run from its
last complete state (the runner checkpoints it): the generation under way is cancelled and abandoned, its island
processes are ended, nothing is half written.

The helper thread blocks SIGINT, and the island processes it starts inherit that: Ctrl-C on a terminal (sent to the
whole process group) reaches only the main process, so no worker dies with a KeyboardInterrupt traceback. SIGTERM
stays deliverable to workers: a batch scheduler that signals every process of a job ends them, and an orphaned
worker (its parent killed with SIGKILL) can still be ended with a plain `kill`.
"""
import multiprocessing
import signal
import threading

from ..search.live import Cancelled

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 2.0  # a generation that fails while the job is being stopped: wait this long for the stop signal


class Stopped(Exception):
    """A stop signal arrived; `signum` is the signal, `exit_status` the conventional 128 + signum."""

    def __init__(self, signum):
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_status = 128 + signum
        super().__init__(f"stopped by {self.name}")


class StopSignals:
    """Context manager: while active, SIGINT/SIGTERM are recorded instead of raising KeyboardInterrupt or killing.

    `run(function, tick, cancel)` calls `function()` in a helper thread and returns its result; it calls `tick()`
    about once a second meanwhile, and as soon as a signal has been recorded (also before starting) it calls
    `cancel()`, ends the island processes and raises Stopped.
    Outside the main thread (where handlers cannot be installed) signals keep their usual effect.
    """

    def __init__(self):
        self.signum = None
        self._wake = threading.Event()
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._record)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _record(self, signum, frame):
        if self.signum is None:
            self.signum = signum
        self._wake.set()

    def check(self):
        """Raise Stopped if a stop signal has arrived."""
        if self.signum is not None:
            raise Stopped(self.signum)

    def run(self, function, tick=None, cancel=None, tick_seconds=1.0):
        self.check()
        outcome = {}

        def target():
            if hasattr(signal, "pthread_sigmask"):  # POSIX
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                outcome["result"] = function()
            except BaseException as error:  # handed to the main thread (or dropped if the run has stopped)
                outcome["error"] = error
            finally:
                self._wake.set()

        self._wake.clear()
        worker = threading.Thread(target=target, name="symbolicpot-generation", daemon=True)
        worker.start()
        while worker.is_alive():
            self._wake.wait(tick_seconds)
            self._wake.clear()
            if self.signum is not None:
                if cancel is not None:
                    cancel()
                end_island_processes()
                raise Stopped(self.signum)
            if tick is not None and worker.is_alive():
                tick()
        if "error" in outcome:
            if not isinstance(outcome["error"], Cancelled):
                # Workers killed by a scheduler's SIGTERM break the step a moment before our own SIGTERM arrives.
                self._wake.wait(GRACE_SECONDS)
            self.check()
            raise outcome["error"]
        return outcome["result"]


def end_island_processes():
    """Kill this process's multiprocessing children: the island workers of the abandoned generation."""
    for child in multiprocessing.active_children():
        child.kill()
    for child in multiprocessing.active_children():
        child.join(timeout=5)
