"""A learn run directory's files (the one place that knows their names) and the loop's state file.

    config.toml                  the resolved config (the run config with its [learn] section)
    learn.json                   the loop's state: a row per finished iteration, the selection under way, wall clock
    learn.jsonl                  one JSON object per finished iteration (the state's rows)
    learn.png                    errors and committee spread per iteration
    explored/iteration-NNN.xyz   every MD snapshot of iteration N, unlabelled, with its provenance and spreads
    selected/iteration-NNN.xyz   those it selected for labelling
    data/iteration-NNN.xyz       the same labelled, appended one at a time as the labeller returns them
    iterations/N/                the evolve run of iteration N (0: the initial data; N: the data grown up to N)
"""
from dataclasses import dataclass
import json
from pathlib import Path

from ..run.files import atomic_write, is_number

VERSION = 1


@dataclass(frozen=True)
class LearnDirectory:
    """The paths of the files of the learn run directory `path`."""
    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self):
        return self.path / "config.toml"

    @property
    def state(self):
        return self.path / "learn.json"

    @property
    def rows(self):
        return self.path / "learn.jsonl"

    @property
    def plot(self):
        return self.path / "learn.png"

    def explored(self, k):
        return self.path / "explored" / f"iteration-{k:03d}.xyz"

    def selected(self, k):
        return self.path / "selected" / f"iteration-{k:03d}.xyz"

    def labelled(self, k):
        return self.path / "data" / f"iteration-{k:03d}.xyz"

    def iteration(self, k):
        return self.path / "iterations" / str(k)


def new_state():
    """The state of a loop that has not finished an iteration: rows (one dict per finished iteration), selection
    (the counts of the iteration under way once it has selected, else None), seconds (wall clock so far)."""
    return {"version": VERSION, "rows": [], "selection": None, "seconds": 0.0}


def read_state(directory):
    """The state in directory.state; ValueError naming the file when it is not one."""
    path = directory.state
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a symbolicpot learn state ({error})") from None
    if not (isinstance(state, dict) and state.get("version") == VERSION and isinstance(state.get("rows"), list)
            and all(isinstance(row, dict) for row in state["rows"]) and is_number(state.get("seconds"))
            and (state.get("selection") is None or isinstance(state["selection"], dict))):
        raise ValueError(f"{path}: not a symbolicpot learn state of version {VERSION} (rows, selection, seconds)")
    return state


def write_state(directory, state):
    """Replace the state file and learn.jsonl (its rows) atomically, the state last."""
    atomic_write(directory.rows, "".join(json.dumps(row, allow_nan=False) + "\n" for row in state["rows"]))
    atomic_write(directory.state, json.dumps(state, indent=1, allow_nan=False) + "\n")
