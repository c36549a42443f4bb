"""News from island steps while they run, and their cancellation.

A generation on large data can take minutes. Each island step reports as it goes (its evaluations so far and the
best standardised screening error it has scored in this step) through a queue, at most every REPORT_SECONDS, so the
driver can show progress between generations; a cancel event ends every step under way at its next candidate (a time
limit or a stop signal: the generation is abandoned, the island state given to the step is unchanged). Neither
changes what a step computes: a step that is not cancelled returns the same island with or without a watch.
"""
import math
import queue as queues
import threading
import time

REPORT_SECONDS = 1.0


class Cancelled(Exception):
    """An island step was cancelled; the generation under way is abandoned."""


class Reporter:
    """The island step's side: `reporter(evaluations)` after every formula evaluation and `reporter(evaluations,
    error)` after every scored candidate (error None for an invalid one) post (island, evaluations, best error of
    the step) now and then, and raise Cancelled once the driver has cancelled."""

    def __init__(self, news, cancel, island):
        self.news, self.cancel, self.island = news, cancel, island
        self.best, self.posted = math.inf, -math.inf

    def __call__(self, evaluations, error=None):
        if self.cancel.is_set():
            raise Cancelled
        if error is not None and error < self.best:
            self.best = error
        now = time.monotonic()
        if now - self.posted >= REPORT_SECONDS:
            self.posted = now
            self.news.put((self.island, evaluations, self.best))


class Live:
    """The driver's side: `news` and `cancel` are shared with the steps (a queue.Queue and threading.Event in this
    process, multiprocessing ones for a process pool); `latest()` drains the news into {island: (evaluations,
    best error)} of the steps under way."""

    def __init__(self, news=None, cancel=None):
        self.news = queues.Queue() if news is None else news
        self.cancel = threading.Event() if cancel is None else cancel
        self._latest = {}

    def reporter(self, island):
        return Reporter(self.news, self.cancel, island)

    def start(self):
        """A new generation: forget the previous one's news (what is still queued from it included)."""
        self.latest()
        self._latest.clear()

    def latest(self):
        while True:
            try:
                island, evaluations, best = self.news.get_nowait()
            except queues.Empty:
                return dict(self._latest)
            seen = self._latest.get(island, (0, best))  # a late report of an earlier moment must not go back
            self._latest[island] = (max(evaluations, seen[0]), min(best, seen[1]))
