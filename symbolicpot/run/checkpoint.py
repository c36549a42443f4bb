"""Checkpoints: the complete search state (islands with their RNG states and tuned-constant caches, the archive,
counters) and the resolved config, as JSON.

Individuals are stored as formula text (`format_expression`, which round-trips exactly) and floats (JSON writes
repr, which reads back to the same bits), so resuming continues bit for bit. A SHA-256 of the state's text catches
corruption that still parses. Files are replaced atomically and the previous checkpoint is kept beside the newest;
reading falls back to it when the newest is missing, truncated or corrupt. No pickle, no eval.
"""
from dataclasses import dataclass, fields
import hashlib
from importlib import metadata
import json
import math
import types
from pathlib import Path

import numpy as np

from ..expr import format_expression, parse_expression
from ..search.engine import EngineState
from ..search.island import Individual, IslandState
from .directory import RunDirectory
from .files import atomic_write, dumps, is_integer, is_number

FORMAT = "symbolicpot checkpoint"
VERSION = 1
_PREFIX = f'{{"format":"{FORMAT}",'


class CheckpointError(ValueError):
    """A file that is not a readable checkpoint; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Checkpoint:
    state: EngineState
    config: dict         # the resolved run config (symbolicpot.run.config)
    data_digest: str     # SHA-256 of the training and test data the state was computed on
    path: Path           # the file it was read from
    versions: dict       # {package: version} of the libraries that computed it (empty in older checkpoints)

    def version_changes(self):
        """["numba 0.67.0 -> 0.68.1", ...]: the libraries whose version differs now from the checkpoint's."""
        return [f"{name} {self.versions[name]} -> {version}" for name, version in library_versions().items()
                if name in self.versions and self.versions[name] != version]


def library_versions():
    """{package: version} of symbolicpot and the libraries its results depend on to the last bit."""
    return {name: metadata.version(name) for name in ("symbolicpot", "numpy", "scipy", "numba", "cma")}


def write_checkpoint(run_dir, state, config, data_digest):
    """Write RUN_DIR/checkpoint.json atomically, keeping the one it replaces as checkpoint.prev.json."""
    files = RunDirectory(run_dir)
    state_text = dumps(state_to_dict(state))
    header = dumps({"format": FORMAT, "version": VERSION, "generation": state.generation,
                    "evaluations": state.evaluations, "versions": library_versions(), "data_digest": data_digest,
                    "sha256": state_digest(state_text), "config": config})
    # One document, the state last: {"format": ..., ..., "state": {...}}
    text = header[:-1] + ',"state":' + state_text + "}\n"
    atomic_write(files.checkpoint, text, keep_previous=files.previous_checkpoint)


def state_digest(state):
    """SHA-256 (hex) of the state's text (or of the state, as `dumps` writes it); None for a state that holds NaN or
    infinities, which no checkpoint does."""
    try:
        text = state if isinstance(state, str) else dumps(state)
    except ValueError:
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def read_checkpoint(path):
    """The Checkpoint in `path`; CheckpointError (naming the file) if it is not a complete, intact checkpoint."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint (not UTF-8 text)") from None
    ours = text[:len(_PREFIX)] == _PREFIX[:len(text)]  # what every checkpoint starts with (or a torn part of it)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if ours and not text.endswith("}\n"):
            raise CheckpointError(f"{path}: truncated (the file ends after {len(text)} characters)") from None
        if ours:
            raise CheckpointError(f"{path}: corrupt JSON ({error.msg} at line {error.lineno}, "
                                  f"column {error.colno})") from None
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {document.get('version')!r} unsupported "
                              f"(this symbolicpot reads version {VERSION})")
    missing = [key for key in ("sha256", "config", "data_digest", "state") if key not in document]
    if missing:
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint (no {', '.join(missing)})")
    if state_digest(document["state"]) != document["sha256"]:
        raise CheckpointError(f"{path}: corrupt (the state does not match its SHA-256)")
    try:
        state = state_from_dict(document["state"])
        for island in state.islands:
            _check_island(island)
        for individual in (*state.archive, *(i for island in state.islands for i in island.population)):
            individual.model  # one coefficient per linear part of the term (ValueError otherwise)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint (bad state: {error})") from None
    versions = document.get("versions", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise CheckpointError(f"{path}: versions: expected an object of version strings")
    if not isinstance(document["config"], dict) or not isinstance(document["data_digest"], str):
        raise CheckpointError(f"{path}: not a symbolicpot checkpoint (config must be an object, data_digest a "
                              f"string)")
    return Checkpoint(state, document["config"], document["data_digest"], path, versions)


def latest_checkpoint(run_dir, warn=None):
    """The newest readable checkpoint of a run directory: checkpoint.json, else (with a warning through `warn`)
    checkpoint.prev.json. CheckpointError when neither can be read, naming both problems."""
    files = RunDirectory(run_dir)
    try:
        return read_checkpoint(files.checkpoint)
    except CheckpointError as newest_error:
        try:
            checkpoint = read_checkpoint(files.previous_checkpoint)
        except CheckpointError as previous_error:
            if not has_checkpoint(run_dir):
                raise CheckpointError(f"{run_dir}: no checkpoint (not a run directory, or its first "
                                      f"generation has not finished)") from None
            raise CheckpointError(f"{newest_error}; {previous_error}") from None
        if warn is not None:
            warn(f"warning: {newest_error}; using the previous checkpoint {checkpoint.path.name} "
                 f"(generation {checkpoint.state.generation})")
        return checkpoint


def has_checkpoint(run_dir):
    files = RunDirectory(run_dir)
    return files.checkpoint.exists() or files.previous_checkpoint.exists()


# ------------------------------------------------------------------------------------------ state <-> JSON
# Generic over the fields of EngineState, IslandState and Individual, so that a field the engine adds is stored
# too: a term (Node) becomes its text, tuples of Individuals lists of objects, everything else is JSON already
# (numbers, the RNG state dict, the tuned-constant cache {hash: [floats]}).

def state_to_dict(state):
    """A JSON-ready dict of an EngineState (every float exact, formulas as text)."""
    return _encode(state)


def state_from_dict(d):
    """The EngineState of `state_to_dict(state)`, equal to `state` (formulas parsed back, floats bit for bit)."""
    return _decode(EngineState, d)


def _encode(obj):
    encoded = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "term":
            value = format_expression(value)
        elif f.name in _NESTED:
            value = [_encode(item) for item in value]
        encoded[f.name] = value
    return encoded


def _decode(cls, d):
    if not isinstance(d, dict):
        raise TypeError(f"a {cls.__name__} must be an object")
    if cls is Individual and "screen_error" not in d:  # a checkpoint from before the screening error: its full
        d = {**d, "screen_error": d.get("error")}      # error stands in (every individual had one then)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise KeyError(f"unknown {cls.__name__} fields {unknown} (written by another symbolicpot version?)")
    values = {}
    for name, value in d.items():
        if name == "term":
            if not isinstance(value, str):
                raise TypeError("an individual's term must be formula text")
            value = parse_expression(value)
        elif name in _NESTED:
            if not isinstance(value, list):
                raise TypeError(f"{cls.__name__}.{name} must be a list")
            value = tuple(_decode(_NESTED[name], item) for item in value)
        else:
            value = _scalar(cls, known[name], value)
        values[name] = value
    return cls(**values)


def _check_island(island):
    """TypeError/ValueError unless the island's RNG state is numpy's and its tuned cache {hash: [objective,
    constants..., coefficients..., shift per species]} (at least one coefficient: every formula has a sum)."""
    np.random.default_rng().bit_generator.state = island.rng_state
    for key, values in island.tuned.items():
        if not _finite_numbers(values) or len(values) < 3:
            raise TypeError(f"IslandState.tuned[{key!r}] must be a list of at least 3 finite numbers")


def _scalar(cls, f, value):
    """A field's value, checked against its annotation (numbers; tuples: lists of numbers); dicts (RNG state, tuned
    cache) as they are."""
    where = f"{cls.__name__}.{f.name}"
    kind = f.type
    if isinstance(kind, types.UnionType):  # X | None: null, or an X; float | dict: a number or {name: number}
        if value is None and type(None) in kind.__args__:
            return None
        options = [arg for arg in kind.__args__ if arg is not type(None)]
        if float in options and dict in options and isinstance(value, dict):
            if not (all(isinstance(k, str) for k in value) and _finite_numbers(list(value.values()))):
                raise TypeError(f"{where} must be a finite number or an object of finite numbers")
            return {k: float(v) for k, v in value.items()}
        kind = options[0]
    if kind is str and not isinstance(value, str):
        raise TypeError(f"{where} must be text or null")
    if kind in (int, "int"):
        if not is_integer(value):
            raise TypeError(f"{where} must be an integer")
    elif kind in (float, "float"):
        if not _finite_numbers([value]):
            raise TypeError(f"{where} must be a finite number")  # checkpoints hold no NaN or infinity
        value = float(value)
    elif kind in (tuple, "tuple") and not _finite_numbers(value):
        raise TypeError(f"{where} must be a list of finite numbers")
    elif kind in (dict, "dict") and not isinstance(value, dict):
        raise TypeError(f"{where} must be an object")
    return value


def _finite_numbers(values):
    """Whether `values` is a list of finite numbers (JSON's: int or float, not bool)."""
    return isinstance(values, list) and all(is_number(v) and math.isfinite(v) for v in values)


_NESTED = {"islands": IslandState, "population": Individual, "archive": Individual}
