"""A run directory's files: the one place that knows their names (light: no heavy imports).

    config.toml            the resolved config (rerunnable: `symbolicpot evolve RUN_DIR/config.toml`)
    checkpoint.json        the complete search state after a generation (checkpoint.prev.json: the one before)
    front.json             the current Pareto front (run.front)
    log.jsonl              one line per generation (run.log)
"""
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunDirectory:
    """The paths of the files of the run directory `path`."""
    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self):
        return self.path / "config.toml"

    @property
    def checkpoint(self):
        return self.path / "checkpoint.json"

    @property
    def previous_checkpoint(self):
        return self.path / "checkpoint.prev.json"

    @property
    def front(self):
        return self.path / "front.json"

    @property
    def log(self):
        return self.path / "log.jsonl"
