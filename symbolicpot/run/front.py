"""front.json: the current Pareto front of a run, rewritten atomically after every generation (always complete
JSON).

    {"version": 1, "r_in": 3.0, "r_out": 5.0, "generation": 120, "property_targets": {...} or null,
     "species": ["Al", "Ni"],
     "models": [{"index": 0, "formula": "-2.1*sum(...) + 0.3", "constants": [...], "error": ..., "cost": ...,
                 "complexity": ..., "train": {metrics}, "test": {metrics} or null,
                 "property_error": ... or null, "properties": {name: value} or null, "unphysical": "why" or null},
                ...]}

`formula` is the exact text of the whole model Σ_k c_k·T_k + b (parse_expression reads it back bit for bit); `train` and
`test` are the metric dicts of `symbolicpot.fitness.error_metrics`; models come lowest error first. With [properties]
in the run's config, `property_error` is the model's property error (properties.in_loop.PropertyTargets.error: a
weighted mean relative error) and `properties` its 0 K properties (units of properties.UNITS), null where they were
not computed (an error outside the screen); `unphysical` says why a model's physics is wrong (its property error is
then null). Fronts written before these three keys existed read as null. `species` are the chemical symbols of the
run's training data (the elements an exported model is for; null in fronts written before it existed).
"""
import json
from pathlib import Path

from ..metrics import COUNTS, ERRORS
from .directory import RunDirectory
from .files import atomic_write, is_integer, is_number

VERSION = 1


def front_document(models, r_in, r_out, generation, targets=None, species=None):
    """The front.json dict of a list of FrontModel (symbolicpot.search.engine.Search.front); `targets`, the run's
    PropertyTargets (or None), gives `property_targets`: {"reference", "weights", "element", "lattice"}; `species`
    the training data's chemical symbols."""
    return {"version": VERSION, "r_in": r_in, "r_out": r_out, "generation": generation,
            "property_targets": None if targets is None else {
                "reference": targets.reference, "weights": targets.weights, "element": targets.element,
                "lattice": targets.lattice}, "species": None if species is None else list(species),
            "models": [{"index": k, "formula": m.formula, "constants": list(m.constants), "error": m.error,
                        "cost": m.cost, "complexity": m.complexity, "train": m.train, "test": m.test,
                        "property_error": m.property_error, "properties": m.properties, "unphysical": m.unphysical}
                       for k, m in enumerate(models)]}


def front_potential(run_dir, pick, elements=None):
    """Model `pick` (its "index") of the Pareto front in RUN_DIR/front.json as an export.Potential for `elements` (a
    chemical symbol or a list; default: the run's species, else those the formula names, else Cu), with its
    provenance (run, index, generation, objectives, errors); ValueError naming the file lists the front when `pick`
    is not on it."""
    from ..export.potential import Potential

    front, path = read_front(run_dir), RunDirectory(run_dir).front
    by_index = {model["index"]: model for model in front["models"]}
    if pick not in by_index:
        listing = "\n".join(f"  {i}: error {m['error']}, complexity {m['complexity']}: {m['formula']}"
                            for i, m in by_index.items())
        raise ValueError(f"{path}: no model with index {pick!r}; the front holds:\n{listing}")
    model = by_index[pick]
    provenance = {"source": "run", "run": str(Path(run_dir).resolve()), "index": pick,
                  "generation": front["generation"],
                  **{key: model[key] for key in ("error", "cost", "complexity", "train", "test", "property_error")}}
    try:
        return Potential(model["formula"], front["r_in"], front["r_out"], elements or front["species"],
                         provenance=provenance)
    except ValueError as error:
        raise ValueError(f"{path}: models[index={pick}]: {error}") from None


def write_front(run_dir, document):
    """Replace RUN_DIR/front.json atomically (readers never see a partial file)."""
    atomic_write(RunDirectory(run_dir).front, json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def read_front(run_dir):
    """The front.json dict of a run directory; ValueError naming the file when it is absent or not a front."""
    path = RunDirectory(run_dir).front
    if not Path(run_dir).is_dir():
        raise ValueError(f"{run_dir}: no such run directory")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no front yet (not a run directory, or the run has not started)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a symbolicpot front ({error})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a symbolicpot front (not a JSON object)")
    if document.get("version") != VERSION:
        raise ValueError(f"{path}: front version {document.get('version')!r} unsupported (this symbolicpot reads "
                         f"version {VERSION})")
    document.setdefault("property_targets", None)
    document.setdefault("species", None)
    _check(document, FRONT_FIELDS, path, "")
    for k, model in enumerate(document["models"]):
        if not isinstance(model, dict):
            raise ValueError(f"{path}: models[{k}]: expected an object, got {_kind(model)}")
        for name in OPTIONAL_MODEL_FIELDS:
            model.setdefault(name, None)
        _check(model, MODEL_FIELDS | OPTIONAL_MODEL_FIELDS, path, f"models[{k}].")
        for split in ("train", "test"):
            if model[split] is not None:
                _check(model[split], METRIC_FIELDS, path, f"models[{k}].{split}.")
    return document


# What each field of front.json holds: (test, what the message calls it).
FRONT_FIELDS = {"r_in": (is_number, "a number"), "r_out": (is_number, "a number"),
                "generation": (is_integer, "an integer"),
                "models": (lambda v: isinstance(v, list), "a list"),
                "property_targets": (lambda v: v is None or (isinstance(v, dict) and all(
                    isinstance(v.get(key), dict) and all(map(is_number, v[key].values()))
                    for key in ("reference", "weights"))),
                                     "an object with reference and weights (numbers), or null"),
                "species": (lambda v: v is None or (isinstance(v, list) and v and all(isinstance(s, str) for s in v)),
                            "a list of chemical symbols, or null")}
MODEL_FIELDS = {"index": (is_integer, "an integer"), "formula": (lambda v: isinstance(v, str), "formula text"),
                "constants": (lambda v: isinstance(v, list) and all(map(is_number, v)), "a list of numbers"),
                "error": (is_number, "a number"), "cost": (is_number, "a number"),
                "complexity": (is_integer, "an integer"),
                "train": (lambda v: isinstance(v, dict), "an object of error metrics"),
                "test": (lambda v: v is None or isinstance(v, dict), "an object of error metrics, or null")}
OPTIONAL_MODEL_FIELDS = {
    "property_error": (lambda v: v is None or is_number(v), "a number or null"),
    "properties": (lambda v: v is None or (isinstance(v, dict) and all(map(is_number, v.values()))),
                   "an object of numbers, or null"),
    "unphysical": (lambda v: v is None or isinstance(v, str), "text or null")}
METRIC_FIELDS = {**{name: (lambda v: v is None or is_number(v), "a number or null") for name in ERRORS},
                 **{name: (is_integer, "an integer") for name in COUNTS}}


def _check(document, fields, path, where):
    """ValueError naming the file and the field of the first field of `document` that is missing or of the wrong
    kind."""
    for name, (valid, expected) in fields.items():
        if name not in document:
            raise ValueError(f"{path}: {where}{name}: missing")
        if not valid(document[name]):
            raise ValueError(f"{path}: {where}{name}: expected {expected}, got {_kind(document[name])}")


def _kind(value):
    return "null" if value is None else json.dumps(value)[:40] if not isinstance(value, (dict, list)) else \
        type(value).__name__.replace("dict", "an object").replace("list", "a list")
