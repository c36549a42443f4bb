"""Driving a run: the run directory (its files: run.directory), the generation loop with checkpoints, front.json,
log and progress, and resume.

After every generation the log is appended and front.json rewritten; the checkpoint is rewritten at least every
CHECKPOINT_SECONDS and whenever the session ends (a stopping rule, a time limit in the middle of a generation,
SIGINT/SIGTERM), so a stop keeps every completed generation and a SIGKILL costs at most the last few seconds of
work. Files are replaced atomically: the directory is consistent whenever the process dies.
"""
from dataclasses import dataclass, replace
import hashlib
from pathlib import Path
import sys
import time

import numpy as np

from ..evaluate import compile_kernels
from ..search.engine import Search
from ..search.executors import SchedulerLost
from ..search.live import Cancelled
from . import log
from .checkpoint import has_checkpoint, latest_checkpoint, write_checkpoint
from .directory import RunDirectory
from .config import changed_settings, config_toml, load_data, resolve, resolve_file, search_config
from .files import atomic_write, remove_stale_temporaries
from .front import front_document, write_front
from .progress import Progress
from .signals import StopSignals, Stopped

CHECKPOINT_SECONDS = 10.0  # the longest wall-clock time between checkpoints while generations complete


@dataclass
class Outcome:
    """How a session ended: `status` is the exit status (0; 128 + signal; 1 for a lost Dask scheduler), `reason`
    says why."""
    status: int
    reason: str
    state: object  # the last complete EngineState


def prepare_new(run_dir, config):
    """Create (or reuse an empty) run directory for a fresh run and write its config.toml."""
    run_dir = Path(run_dir)
    if has_checkpoint(run_dir):
        raise ValueError(f"{run_dir} already holds a run: add --resume to continue it, or choose another --out")
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir}: exists and is not a folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(run_dir, config)


def prepare_resume(run_dir, config=None, warn=print):
    """(resolved config, Checkpoint or None) to continue the run in `run_dir`.

    `config` (a resolved config, or None for the run's own) may differ from the run's only in its stopping rules,
    worker count and Dask scheduler; anything else is refused with the list of differences. A run without a
    checkpoint yet (stopped during its first generation, or never started: a job script that always says --resume)
    starts from the beginning (checkpoint None); it needs `config` unless the run directory holds its config.toml.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir}: exists and is not a folder")
    if has_checkpoint(run_dir):
        checkpoint = latest_checkpoint(run_dir, warn)
        saved = resolve(checkpoint.config, run_dir, str(checkpoint.path))  # fills in settings added since
        changes = checkpoint.version_changes()
        if changes:
            warn(f"warning: {checkpoint.path} was computed with other library versions ({'; '.join(changes)}): "
                 f"the resumed run goes on, but its front may differ in the last digits from an uninterrupted run's")
    elif RunDirectory(run_dir).config.exists():
        warn(f"{run_dir} has no checkpoint yet (stopped during its first generation): starting it from the beginning")
        checkpoint, saved = None, resolve_file(RunDirectory(run_dir).config)
    elif config is not None:
        warn(f"{run_dir} holds no run yet: starting it")
        prepare_new(run_dir, config)
        return config, None
    else:
        raise ValueError(f"{run_dir}: no run to resume, and no config to start one: give CONFIG.toml (or --data)")
    if config is None:
        config = saved
    changes = changed_settings(saved, config)
    if changes:
        raise ValueError(f"cannot resume {run_dir} with a different config; only [stop] settings, [search] "
                         f"workers and [parallel] scheduler may change. Differences: {'; '.join(changes)}")
    write_config(run_dir, config)
    return config, checkpoint


def write_config(run_dir, config):
    atomic_write(RunDirectory(run_dir).config, config_toml(
        config, "The resolved config of this run (defaults filled in, paths absolute), written by symbolicpot "
                "evolve.\nResume with: symbolicpot evolve --resume --out RUN_DIR"))


def execute(run_dir, config, checkpoint=None, progress=None):
    """Run (or continue from `checkpoint`) until a stopping rule or a stop signal; returns an Outcome.

    `progress`: True/False forces the live line on or off (default: on when stderr is a terminal).
    """
    started = time.monotonic()  # the run's wall clock counts start-up too: a time limit is the job's
    run_dir = Path(run_dir)
    remove_stale_temporaries(run_dir)
    compile_kernels(announce)  # once here, not in every worker; a stop meanwhile loses nothing
    with StopSignals() as signals:
        train, test = load_data(config)
        digest = data_digest(train, test)
        if checkpoint is not None and checkpoint.data_digest != digest:
            raise ValueError(f"cannot resume {run_dir}: its data changed since the run started (the files of "
                             f"[data] no longer hold what the checkpoint was computed on)")
        settings = search_config(config)
        with Search(train, settings, test) as engine:
            state = engine.initial_state() if checkpoint is None else checkpoint.state
            # The log and front may be ahead of the checkpoint (a fallback to the previous one, or a SIGKILL after
            # the last checkpoint) or left by a session that died in its first generation: make them the checkpoint's.
            log.rewind(run_dir, state.generation)
            models = engine.front(state) if state.archive else []
            write_front(run_dir, front_document(models, settings.r_in, settings.r_out, state.generation,
                                                settings.properties, engine.config.operators.species))
            bar = Progress(engine.stop, settings.generations, state, progress)
            session = _Session(engine, state, run_dir, config, digest, signals, bar, started)
            try:
                reason = session.run()
                status = 0
            except Stopped as stop:
                status, reason = stop.exit_status, f"stopped by {stop.name}"
            except SchedulerLost as lost:
                status, reason = 1, str(lost)
            finally:
                bar.close()
            return Outcome(status, reason, session.save())


def announce(message):
    print(f"symbolicpot evolve: {message}", file=sys.stderr, flush=True)


class _Session:
    """The generation loop of one session; `state` is always the last complete state (checkpointed when the
    session ends, see save)."""

    def __init__(self, engine, state, run_dir, config, digest, signals, bar, started):
        self.engine, self.state, self.run_dir, self.config, self.digest = engine, state, run_dir, config, digest
        self.signals, self.bar = signals, bar
        self.start, self.seconds_before = started, state.seconds
        self.saved, self.next_save = state, time.monotonic() + CHECKPOINT_SECONDS

    def clock(self):
        """Wall clock of the run so far (earlier sessions included), s."""
        return self.seconds_before + time.monotonic() - self.start

    def run(self):
        """Generations until a stopping rule; returns its reason (Stopped propagates)."""
        engine = self.engine
        while (reason := engine.stop.reason(self.state, self.clock())) is None:
            previous = replace(self.state, seconds=self.clock())  # the run's wall clock, checkpoints included
            try:
                state = self.signals.run(lambda: engine.step(previous), tick=self.tick, cancel=engine.live.cancel.set)
            except Cancelled:  # the time limit came during the generation, which is abandoned
                continue
            self.record(replace(state, seconds=self.clock()), previous)
            self.signals.check()  # a signal that came while writing
        return reason

    def tick(self):
        """About once a second during a generation: show the islands' news; past the time limit, cancel it."""
        seconds = self.clock()
        self.bar.tick(seconds, self.engine.live.latest())
        if self.engine.stop.reason(self.state, seconds) is not None:
            self.engine.live.cancel.set()

    def record(self, state, previous):
        """Log, front and (now and then) checkpoint of a completed generation."""
        evals_per_s = (state.evaluations - previous.evaluations) / max(state.seconds - previous.seconds, 1e-9)
        models = self.engine.front(state)
        entry = log.generation_entry(state, models, evals_per_s)
        log.append(self.run_dir, [entry])  # the log first: lines ahead of the checkpoint are rewound on resume
        self.state = state
        if time.monotonic() >= self.next_save:
            self.save()
        settings = self.engine.config
        write_front(self.run_dir, front_document(models, settings.r_in, settings.r_out, state.generation,
                                                 settings.properties, settings.operators.species))
        self.bar.generation(state, entry)

    def save(self):
        """Checkpoint the last complete state unless it is already; returns it (with the run's wall clock)."""
        self.state = replace(self.state, seconds=self.clock())
        # A time limit or stop in the middle of a generation adds wall clock (the budget spent) but no generation.
        if self.saved.generation != self.state.generation or self.state.seconds >= self.saved.seconds + 1.0:
            begin = time.monotonic()
            write_checkpoint(self.run_dir, self.state, self.config, self.digest)
            # Checkpoints take at most ~5 % of the time, however large the state grows.
            self.next_save = time.monotonic() + max(CHECKPOINT_SECONDS, 20 * (time.monotonic() - begin))
            self.saved = self.state
        return self.state


def data_digest(train, test):
    """SHA-256 of everything the search reads from the data (structures, labels, group names), train then test."""
    digest = hashlib.sha256()
    for dataset in (train, test):
        if dataset is None:
            digest.update(b"none")
            continue
        for array in (dataset.energy, dataset.forces, dataset.stress, dataset.group):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("\n".join(dataset.group_names).encode())
        for atoms in dataset.atoms:
            for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc):
                digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
