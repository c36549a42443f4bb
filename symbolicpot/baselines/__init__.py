"""Baselines fitted to the same data as the symbolic search: a Moment Tensor Potential (`motep`), a small
Behler–Parrinello neural network (PyTorch), UF3 spline potentials (`uf3`, run in LAMMPS) and MACE (`mace-torch`).
All are optional extras.

A baseline directory holds `baseline.json` ({"kind": "mtp" | "nn" | "uf3" | "mace", "name": the model's name in
comparisons, "parameters": int, "errors": {"train": metrics, "test": metrics}, ...}) and the fitted files. Each
kind's module offers `fit(train, out, options, *, r_out, seed) -> summary entries` and `load(directory) -> ase
Calculator`; a kind that runs in LAMMPS also `lammps_commands(directory) -> pair commands`.
"""
import importlib
import json
from pathlib import Path

from ..cutoff import DEFAULT

BASELINE_FILE = "baseline.json"
VALIDATION_FRACTION = 0.1  # of the training data, held out for early stopping by the network baselines
KINDS = {"mtp": ("motep", 'pip install "symbolicpot[mtp]"'),
         "nn": ("torch", 'pip install torch==2.13.0  (the CPU build; or: pip install "symbolicpot[nn]")'),
         "uf3": ("uf3", 'pip install "symbolicpot[uf3]"'),
         "mace": ("mace", 'pip install torch==2.13.0 && pip install "symbolicpot[mace]"  (the CPU build of torch '
                          'first)')}
# names of baselines that are a kind with other settings: {name: (kind, options)}
VARIANTS = {"uf3-3body": ("uf3", {"degree": 3})}


class MissingDependency(ImportError):
    """An optional dependency of a baseline is not installed; the message gives the install command."""


def baseline_module(kind):
    """The module implementing baseline `kind` (a key of KINDS); MissingDependency names the install command."""
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


def validation_split(kind, train, seed):
    """(fitting, validation): the Dataset `train` split by `seed` for early stopping, VALIDATION_FRACTION of each
    group held out; ValueError when no group has the 2 configurations a split needs."""
    fitting, validation = train.split(VALIDATION_FRACTION, seed)
    if validation.n_configs == 0:
        raise ValueError(f"the {kind} baseline needs a validation split for early stopping: "
                         "at least one data group with 2 or more training configurations")
    return fitting, validation


def read_summary(directory):
    """The parsed baseline.json of a baseline directory; ValueError names the file and what is wrong."""
    path = Path(directory) / BASELINE_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{directory}: not a baseline directory (no {BASELINE_FILE}; "
                         f"make one with `symbolicpot baseline {'|'.join(KINDS)}`)") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error})") from None
    if not isinstance(summary, dict) or summary.get("kind") not in KINDS:
        raise ValueError(f"{path}: key 'kind' must be one of {', '.join(KINDS)}")
    return summary


def resolve(name):
    """(kind, options) of a baseline name: a kind with its defaults, or one of VARIANTS."""
    return VARIANTS.get(name, (name, {}))


def name_of(kind, options):
    """The name a baseline of `kind` fitted with `options` has in comparisons: the kind, or the name of the
    VARIANTS entry whose options it has."""
    return next((name for name, (variant_kind, variant_options) in VARIANTS.items()
                 if variant_kind == kind and variant_options.items() <= dict(options or {}).items()), kind)


def load_baseline(directory):
    """A fitted baseline as a symbolicpot.potentials.LoadedPotential named as in its baseline.json (e.g. "mtp",
    "uf3-3body"), with the LAMMPS commands that run it natively for kinds that run in LAMMPS."""
    from ..loaded import LoadedPotential
    summary = read_summary(directory)
    module = baseline_module(summary["kind"])
    commands = module.lammps_commands(Path(directory)) if hasattr(module, "lammps_commands") else None
    return LoadedPotential(summary.get("name", summary["kind"]), module.load(Path(directory)),
                           parameters=summary.get("parameters"), pair_commands=tuple(commands) if commands else None)


def fit_baseline(kind, train, test, out, options=None, *, r_out=DEFAULT.r_out, seed=0, provenance=None):
    """Fit baseline `kind` on `train` into folder `out`, score it on train and test (Datasets), write and return
    its baseline.json dict. `options`: the kind's settings (defaults when absent); `provenance`: what the data was."""
    from ..fitness import error_metrics
    from ..loaded import predict

    module = baseline_module(kind)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"kind": kind, "name": name_of(kind, options), "r_out": r_out, "seed": seed, **(provenance or {})}
    summary.update(module.fit(train, out, dict(options or {}), r_out=r_out, seed=seed))
    calculator = module.load(out)
    summary["errors"] = {name: error_metrics(predict(calculator, data), data)
                         for name, data in (("train", train), ("test", test))}
    (out / BASELINE_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
