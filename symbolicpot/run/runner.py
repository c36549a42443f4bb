"""Driving a run: the run directory, the epoch loop with checkpoints, front.json, log and progress, and resume.

A run directory holds
    config.toml            the resolved config (rerunnable: `symbolicpot evolve RUN_DIR/config.toml`)
    checkpoint.json        the complete search state after the last epoch (+ checkpoint.prev.json, the one before)
    front.json             the current Pareto front (symbolicpot.run.front)
    log.jsonl              one line per generation, appended after every epoch (symbolicpot.run.log)
Everything is rewritten atomically (the log appended) after every epoch, so the directory is consistent whenever the
process dies.
"""
from dataclasses import dataclass, replace
import hashlib
from pathlib import Path
import time

import numpy as np

from ..search.engine import Search
from ..search.executors import SchedulerLost
from . import log
from .checkpoint import has_checkpoint, latest_checkpoint, write_checkpoint
from .config import changed_settings, config_toml, format_duration, load_data, resolve, resolve_file, search_config
from .files import atomic_write, remove_stale_temporaries
from .front import front_document, write_front
from .progress import Progress
from .signals import StopSignals, Stopped

CONFIG = "config.toml"


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
    worker count and Dask scheduler; anything else is refused with the list of differences. A run that died before
    its first checkpoint starts again from the beginning (checkpoint None).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir}: no such run directory (start the run without --resume)")
    if not has_checkpoint(run_dir) and (run_dir / CONFIG).exists():
        warn(f"{run_dir} has no checkpoint yet (stopped during its first epoch): starting it from the beginning")
        checkpoint, saved = None, resolve_file(run_dir / CONFIG)
    else:
        checkpoint = latest_checkpoint(run_dir, warn)
        saved = resolve(checkpoint.config, run_dir, str(checkpoint.path))  # fills in settings added since
    if config is None:
        config = saved
    changes = changed_settings(saved, config)
    if changes:
        raise ValueError(f"cannot resume {run_dir} with a different config; only [stop] settings, [search] "
                         f"workers and [parallel] scheduler may change. Differences: {'; '.join(changes)}")
    write_config(run_dir, config)
    return config, checkpoint


def write_config(run_dir, config):
    atomic_write(Path(run_dir) / CONFIG, config_toml(
        config, "The resolved config of this run (defaults filled in, paths absolute), written by symbolicpot "
                "evolve.\nResume with: symbolicpot evolve --resume --out RUN_DIR"))


def execute(run_dir, config, checkpoint=None, progress=None):
    """Run (or continue from `checkpoint`) until a stopping rule or a stop signal; returns an Outcome.

    `progress`: True/False forces the live line on or off (default: on when stderr is a terminal).
    """
    run_dir = Path(run_dir)
    remove_stale_temporaries(run_dir)
    with StopSignals() as signals:
        train, test = load_data(config)
        digest = data_digest(train, test)
        if checkpoint is not None and checkpoint.data_digest != digest:
            raise ValueError(f"cannot resume {run_dir}: its data changed since the run started (the files of "
                             f"[data] no longer hold what the checkpoint was computed on)")
        settings = search_config(config)
        with Search(train, settings, test) as engine:
            state = engine.initial_state() if checkpoint is None else checkpoint.state
            # The log and front may be ahead of the checkpoint (a fallback to the previous one) or left by a
            # session that died in its first epoch: make them the checkpoint's.
            log.rewind(run_dir, state.generation)
            models = engine.front(state) if state.archive else []
            write_front(run_dir, front_document(models, settings.r_in, settings.r_out, state.generation))
            bar = Progress(settings, state, progress)
            session = _Session(engine, state, run_dir, config, digest, signals, bar)
            try:
                session.run()
            except Stopped as stop:
                return Outcome(stop.exit_status, f"stopped by {stop.name}", session.state)
            except SchedulerLost as lost:
                return Outcome(1, str(lost), session.state)
            finally:
                bar.close()
            return Outcome(0, stop_reason(settings, session.state), session.state)


class _Session:
    """The epoch loop of one session; `state` is always the last complete (and checkpointed) state."""

    def __init__(self, engine, state, run_dir, config, digest, signals, bar):
        self.engine, self.state, self.run_dir, self.config, self.digest = engine, state, run_dir, config, digest
        self.signals, self.bar = signals, bar
        self.start, self.seconds_before = time.monotonic(), state.seconds

    def clock(self):
        """Wall clock of the run so far (earlier sessions included), s."""
        return self.seconds_before + time.monotonic() - self.start

    def run(self):
        """Epochs until a stopping rule (Stopped propagates; the last checkpoint is then complete)."""
        engine, settings = self.engine, self.engine.config
        while not engine.done(self.state):
            previous = replace(self.state, seconds=self.clock())  # the run's wall clock, checkpoints included
            state, generations = self.signals.run(lambda: engine.step(previous),
                                                  tick=lambda: self.bar.tick(self.clock()))
            evals_per_s = (state.evaluations - previous.evaluations) / max(state.seconds - previous.seconds, 1e-9)
            fronts = [engine.front(generation) for generation in generations]  # the last one is the state's
            entries = [log.generation_entry(generation, models, evals_per_s)
                       for generation, models in zip(generations, fronts)]
            # The log first: lines ahead of the checkpoint are rewound on resume, lines missing would stay missing.
            log.append(self.run_dir, entries)
            write_checkpoint(self.run_dir, state, self.config, self.digest)
            self.state = state
            write_front(self.run_dir, front_document(fronts[-1], settings.r_in, settings.r_out, state.generation))
            self.bar.epoch(state, entries[-1])
            self.signals.check()  # a signal that came while writing: the checkpoint is complete now


def stop_reason(config, state):
    """Which stopping rule ended the run (SearchConfig, final EngineState)."""
    if state.generation >= config.generations:
        return f"{config.generations} generations"
    if config.time_limit is not None and state.seconds >= config.time_limit:
        return f"time limit {format_duration(config.time_limit)}"
    if config.max_evaluations is not None and state.evaluations >= config.max_evaluations:
        return f"{config.max_evaluations} evaluations"
    return f"target error {config.target_error}"


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
