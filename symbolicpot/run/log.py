"""log.jsonl: one JSON line per generation of a run, appended as the generation completes.

Keys: generation, evaluations (all islands so far), evals_per_s (the rate of the generation), best_error
(standardised training error), best train and test energy/force RMSEs over the front (meV/atom, eV/Å; null without
labels or test data), best_property_error (the lowest property error of a physical front model, a weighted mean
relative error; null without [properties] or before one is known), front_size (models of the archive after the
generation), elapsed (seconds of wall clock since
the run started, summed over resumed sessions).
"""
import json

from .directory import RunDirectory
from .files import atomic_write


def generation_entry(state, front_models, evals_per_s):
    """The log line (a dict) of the EngineState after a generation, whose archive gave `front_models` (FrontModel
    list); `evals_per_s`: the rate of the generation."""
    def best(split, metric):
        values = [getattr(m, split)[metric] for m in front_models
                  if getattr(m, split) is not None and getattr(m, split)[metric] is not None]
        return min(values) if values else None
    return {"generation": state.generation, "evaluations": state.evaluations, "evals_per_s": evals_per_s,
            "best_error": min((m.error for m in front_models), default=None),
            "best_train_energy_rmse_mev_per_atom": best("train", "energy_rmse_mev_per_atom"),
            "best_train_force_rmse_ev_per_a": best("train", "force_rmse_ev_per_a"),
            "best_test_energy_rmse_mev_per_atom": best("test", "energy_rmse_mev_per_atom"),
            "best_test_force_rmse_ev_per_a": best("test", "force_rmse_ev_per_a"),
            "best_property_error": min((m.property_error for m in front_models if m.property_error is not None),
                                       default=None),
            "front_size": len(front_models), "elapsed": state.seconds}


def append(run_dir, entries):
    """Append a line per entry to RUN_DIR/log.jsonl."""
    with open(RunDirectory(run_dir).log, "a", encoding="utf-8") as file:
        file.write(_lines(entries))


def read_log(run_dir):
    """The entries of RUN_DIR/log.jsonl (a torn last line, left by a crash, is skipped)."""
    path = RunDirectory(run_dir).log
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return [entry for entry in entries if isinstance(entry, dict) and isinstance(entry.get("generation"), int)]


def rewind(run_dir, generation):
    """Keep only the entries up to `generation` (a resume from a checkpoint older than the log's end)."""
    kept = [entry for entry in read_log(run_dir) if entry["generation"] <= generation]
    atomic_write(RunDirectory(run_dir).log, _lines(kept))


def _lines(entries):
    return "".join(json.dumps(entry, allow_nan=False) + "\n" for entry in entries)
