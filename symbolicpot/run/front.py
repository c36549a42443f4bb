"""front.json: the current Pareto front of a run, rewritten atomically after every epoch (always complete JSON).

    {"version": 1, "r_in": 3.0, "r_out": 5.0, "generation": 120,
     "models": [{"index": 0, "formula": "-2.1*sum(...) + 0.3", "constants": [...], "error": ..., "cost": ...,
                 "complexity": ..., "train": {metrics}, "test": {metrics} or null}, ...]}

`formula` is the exact text of the whole model Σ_k c_k·T_k + b (parse_expression reads it back bit for bit); `train` and
`test` are the metric dicts of `symbolicpot.fitness.error_metrics`; models come lowest error first.
"""
import json
from pathlib import Path

from .files import atomic_write

FRONT = "front.json"
VERSION = 1
MODEL_KEYS = ("index", "formula", "constants", "error", "cost", "complexity", "train", "test")


def front_document(models, r_in, r_out, generation):
    """The front.json dict of a list of FrontModel (symbolicpot.search.engine.Search.front)."""
    return {"version": VERSION, "r_in": r_in, "r_out": r_out, "generation": generation,
            "models": [{"index": k, "formula": m.formula, "constants": list(m.constants), "error": m.error,
                        "cost": m.cost, "complexity": m.complexity, "train": m.train, "test": m.test}
                       for k, m in enumerate(models)]}


def write_front(run_dir, document):
    """Replace RUN_DIR/front.json atomically (readers never see a partial file)."""
    atomic_write(Path(run_dir) / FRONT, json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def read_front(run_dir):
    """The front.json dict of a run directory; ValueError naming the file when it is absent or not a front."""
    path = Path(run_dir) / FRONT
    if not Path(run_dir).is_dir():
        raise ValueError(f"{run_dir}: no such run directory")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no front yet (not a run directory, or the run has not started)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a symbolicpot front ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise ValueError(f"{path}: not a symbolicpot front")
    if document.get("version") != VERSION:
        raise ValueError(f"{path}: front version {document.get('version')!r} unsupported (this symbolicpot reads "
                         f"version {VERSION})")
    for model in document["models"]:
        if not isinstance(model, dict) or any(key not in model for key in MODEL_KEYS):
            raise ValueError(f"{path}: not a symbolicpot front (a model lacks one of {', '.join(MODEL_KEYS)})")
    return document
