"""Baselines fitted to the same data as the symbolic search: a Moment Tensor Potential (`motep`) and a small
Behler–Parrinello neural network (PyTorch). Both are optional extras.

A baseline directory holds `baseline.json` ({"kind": "mtp" | "nn", "parameters": int, "errors": {"train": metrics,
"test": metrics}, ...}) and the fitted files. Each kind's module offers
`fit(train, out, options, *, r_out, seed) -> summary entries` and `load(directory) -> ase Calculator`.
"""
import importlib
import json
from pathlib import Path

BASELINE_FILE = "baseline.json"
KINDS = {"mtp": ("motep", 'pip install "symbolicpot[mtp]"'),
         "nn": ("torch", 'pip install torch==2.13.0  (the CPU build; or: pip install "symbolicpot[nn]")')}


class MissingDependency(ImportError):
    """An optional dependency of a baseline is not installed; the message gives the install command."""


def baseline_module(kind):
    """The module implementing baseline `kind` ("mtp" or "nn"); MissingDependency names the install command."""
    if kind not in KINDS:
        raise ValueError(f"unknown baseline kind {kind!r} (known: {', '.join(KINDS)})")
    package, install = KINDS[kind]
    try:
        importlib.import_module(package)
    except ImportError:
        raise MissingDependency(f"the {kind} baseline needs the {package} package: {install}") from None
    return importlib.import_module(f"{__name__}.{kind}")


def with_defaults(kind, options, defaults):
    """`defaults` updated by `options` (dicts); ValueError names an option baseline `kind` does not have."""
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"the {kind} baseline has no option {', '.join(unknown)} (it has {', '.join(defaults)})")
    return {**defaults, **options}


def read_summary(directory):
    """The parsed baseline.json of a baseline directory; ValueError names the file and what is wrong."""
    path = Path(directory) / BASELINE_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{directory}: not a baseline directory (no {BASELINE_FILE}; "
                         "make one with `symbolicpot baseline mtp|nn`)") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error})") from None
    if not isinstance(summary, dict) or summary.get("kind") not in KINDS:
        raise ValueError(f"{path}: key 'kind' must be one of {', '.join(KINDS)}")
    return summary


def load_baseline(directory):
    """A fitted baseline as a symbolicpot.potentials.LoadedPotential named by its kind (e.g. "mtp")."""
    from ..potentials import LoadedPotential
    summary = read_summary(directory)
    calculator = baseline_module(summary["kind"]).load(Path(directory))
    return LoadedPotential(summary["kind"], calculator, parameters=summary.get("parameters"))


def fit_baseline(kind, train, test, out, options=None, *, r_out=5.0, seed=0, provenance=None):
    """Fit baseline `kind` on `train` into folder `out`, score it on train and test (Datasets), write and return
    its baseline.json dict. `options`: the kind's settings (defaults when absent); `provenance`: what the data was."""
    from ..fitness import error_metrics
    from ..potentials import predict

    module = baseline_module(kind)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"kind": kind, "r_out": r_out, "seed": seed, **(provenance or {})}
    summary.update(module.fit(train, out, dict(options or {}), r_out=r_out, seed=seed))
    calculator = module.load(out)
    summary["errors"] = {name: error_metrics(predict(calculator, data), data)
                         for name, data in (("train", train), ("test", test))}
    (out / BASELINE_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
