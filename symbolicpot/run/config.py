"""Run configs: the TOML schema of `symbolicpot evolve`, its validation, defaults, CLI overrides and the resolved form.

A config is read (tomllib) and *resolved* into a plain nested dict: every key present with its default filled in,
data paths absolute (a config's relative paths are relative to its folder), the time limit in seconds, the cost
model as a full table. The resolved dict is what a run directory stores (config.toml, checkpoints), what resume
compares, and what `search_config` turns into a SearchConfig. Unknown keys and wrong types are ValueErrors naming
the key and the expected type.
"""
from dataclasses import dataclass, fields
import json
import math
import os
from pathlib import Path
import re
import tomllib

from ..cutoff import Cutoff
from ..expr import PRIMITIVES, parse_expression
from ..fitness import DEFAULT_COST_MODEL, DEFAULT_COST_MODELS, CostModel, ErrorWeights
from ..operators import OperatorConfig
from ..properties.in_loop import PropertyTargets
from ..search.constants import TuningConfig
from ..search.engine import SearchConfig
from .files import is_integer, is_number


@dataclass(frozen=True)
class Key:
    """One setting: its TOML type (`kind`), default (None: absent unless given), one line of documentation, and the
    SearchConfig field it sets (`field`; None for settings read elsewhere)."""
    name: str
    kind: str
    default: object
    doc: str
    minimum: float | None = None  # ints and numbers: smallest allowed value
    exclusive: bool = False       # the minimum itself is not allowed
    field: str | None = None


KINDS = {  # kind -> the expected type, as error messages name it
    "int": "an integer", "number": "a number", "bool": "a boolean (true or false)", "string": "a string",
    "paths": "a list of paths (strings)", "strings": "a list of strings", "formulas": "a list of formulas (strings)",
    "primitives": "a list of primitive symbols (strings)", "int_pair": "a [low, high] pair of integers",
    "number_pair": "a [low, high] pair of numbers", "path": "a path (string)",
    "weights": "a table of names and numbers > 0, e.g. {a0_fcc = 2.0}",
    "duration": 'a duration such as "90s", "30m", "2h", "1d" or a number of seconds',
}

# One line of documentation per setting of the engine's dataclasses ([operators], [tuning], [weights]); the keys
# themselves, their defaults and types come from the dataclasses, so a setting the engine adds is configurable at once.
DOCS = {
    "primitives": f"enabled operations, of: {', '.join(PRIMITIVES)}",
    "max_size": "nodes of a formula, constants included",
    "max_depth": "edges from the root to the deepest leaf",
    "max_sums": "sum(...) nodes of a formula",
    "init_depth": "depth range of random initial formulas",
    "grow_leaf_probability": "grow method: chance that a node above the depth limit is a leaf",
    "r_probability": "chance that a new pair-level leaf is r rather than a constant",
    "integer_constant_probability": "chance that a new constant is an integer (exponents such as -12, -6, 2)",
    "integer_constant_range": "range of integer constants (also of pair-level exponents: r^-12, r^-6)",
    "constant_magnitude_range": "log-uniform range of other constants' magnitudes",
    "atom_exponent_range": "uniform range of new atom-level exponents (the 0.5 of Sutton-Chen's embedding)",
    "crossover_probability": "chance of crossover, else one mutation chosen by the weights below",
    "point_weight": "mutation: swap an operator or a leaf",
    "subtree_weight": "mutation: replace a subtree by a random one",
    "hoist_weight": "mutation: replace a formula by one of its subtrees",
    "shrink_weight": "mutation: replace a subtree by a leaf",
    "insert_weight": "mutation: wrap a subtree in a new operator",
    "constant_weight": "mutation: perturb constants",
    "wrap_in_sum_weight": "mutation: turn an atom-level constant c into sum(c*g)",
    "unwrap_weight": "mutation: replace a sum by one of its r-free parts",
    "embed_weight": "mutation: embed a part holding a sum, S -> S^q or S + S^q",
    "constant_sigma": "relative step of constant perturbation",
    "perturb_all_probability": "constant perturbation: chance to move all constants at once rather than one",
    "energy": "weight of the standardised energy error (per atom)",
    "forces": "weight of the standardised force error",
    "stress": "weight of the standardised stress error",
    "polish": 'final local method of constant tuning: "lm" (Levenberg-Marquardt) or "cg" (conjugate gradient)',
    "polish_evaluations": "its budget per candidate: LM evaluations or CG iterations",
    "cg_iterations": "conjugate-gradient iterations per candidate",
    "cma_evaluations": "CMA-ES budget (constant vectors) for formulas with a constant exponent; 0: never",
    "cma_popsize": "constant vectors per CMA-ES generation",
    "cma_sigma": "CMA-ES initial step, relative to each constant",
    "cache_size": "structures whose best tuning an island remembers (least recently used forgotten first)",
}
ENGINE_SECTIONS = {"operators": OperatorConfig, "weights": ErrorWeights, "tuning": TuningConfig}

_SEARCH_DEFAULTS = SearchConfig()


def _kind(name, default):
    """The TOML kind of a dataclass setting, from its default value."""
    if name == "primitives":
        return "primitives"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "number"
    if isinstance(default, str):
        return "string"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, int) for v in default):
        return "int_pair"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
        return "number_pair"
    if isinstance(default, tuple) and all(isinstance(v, str) for v in default):
        return "strings"
    raise TypeError(f"no config type for the setting {name} = {default!r}")


def _engine_keys(cls):
    defaults = cls()
    keys = []
    for f in fields(cls):
        default = getattr(defaults, f.name)
        kind = _kind(f.name, default)
        minimum = 0.0 if cls is ErrorWeights else None
        keys.append(Key(f.name, kind, list(default) if isinstance(default, tuple) else default,
                        DOCS.get(f.name, f.name.replace("_", " ")), minimum=minimum))
    return tuple(keys)


TOP_LEVEL = (Key("seed", "int", 0, "seed of the search: the same config and seed give the same front, bit for bit",
                 minimum=0, field="seed"),)

SECTIONS = {
    "data": (
        Key("train", "paths", [], "training data: POET folders, folders of POET folders, or files ase.io reads "
                                  "(extended XYZ, OUTCAR, vasprun.xml); relative to this file"),
        Key("groups", "strings", [], "group names, one per train path (default: the paths' last two components)"),
        Key("test", "paths", [], "separate test data (same forms as train); when empty, test_fraction splits train"),
        Key("test_fraction", "number", 0.2, "share of each group's configurations held out for testing when "
                                            "there is no test data (0: no test set)", minimum=0.0),
        Key("split_seed", "int", 0, "seed of that train/test split (independent of the search seed)", minimum=0),
        Key("weights", "weights", {}, 'weights of groups in the error objective, e.g. {"DFT_Cu/lowIndexSurfaces" '
                                      '= 5.0}; groups not named weigh 1', field="group_weights"),
    ),
    "cutoff": (
        Key("r_in", "number", 3.0, "Å, inner radius of the smooth cutoff f (f = 1 below)", minimum=0.0, field="r_in"),
        Key("r_out", "number", 5.0, "Å, outer radius (f = 0 from here)", minimum=0.0, exclusive=True, field="r_out"),
    ),
    "search": (
        Key("islands", "int", _SEARCH_DEFAULTS.islands, "independent populations, ring migration between them",
            minimum=1, field="islands"),
        Key("population", "int", _SEARCH_DEFAULTS.population, "individuals per island", minimum=1, field="population"),
        Key("immigrants", "int", _SEARCH_DEFAULTS.immigrants, "fresh random formulas per island and generation",
            minimum=0, field="immigrants"),
        Key("tournament", "int", _SEARCH_DEFAULTS.tournament, "tournament size of parent selection", minimum=1, field="tournament"),
        Key("migration_interval", "int", _SEARCH_DEFAULTS.migration_interval,
            "generations between migrations (checkpoints, front.json and log.jsonl do not wait for them)",
            minimum=1, field="migration_interval"),
        Key("migrants", "int", _SEARCH_DEFAULTS.migrants, "best individuals sent to the next island at a migration",
            minimum=0, field="migrants"),
        Key("workers", "int", 0, "local processes running islands without a [parallel] scheduler; 0: one per "
                                 "island up to the CPU cores (the front depends on neither)", minimum=0, field="workers"),
        Key("screen_fraction", "number", _SEARCH_DEFAULTS.screen_fraction,
            "share of the training configurations constants are tuned on", minimum=0.0, exclusive=True, field="screen_fraction"),
        Key("screen_atoms", "int", _SEARCH_DEFAULTS.screen_atoms,
            "at most this many atoms of them (tuning then costs the same however large the data)", minimum=1, field="screen_atoms"),
        Key("seeds", "formulas", [], 'formulas placed in every initial population, e.g. ["sum(r^-6)"]', field="seeds"),
    ),
    "parallel": (
        Key("scheduler", "string", None, 'Dask scheduler running the islands: "local:N" (a local cluster of N '
                                         'worker processes) or "tcp://HOST:PORT"; none: [search] workers', field="scheduler"),
    ),
    "stop": (
        Key("generations", "int", _SEARCH_DEFAULTS.generations, "generations per island", minimum=1, field="generations"),
        Key("time_limit", "duration", None, 'wall clock, e.g. "90s", "30m", "2h", "1d" or seconds; a generation '
                                            'under way at the limit is abandoned', field="time_limit"),
        Key("evaluations", "int", None, "formula evaluations (all islands)", minimum=1, field="max_evaluations"),
        Key("target_error", "number", None, "standardised training error (the error objective's square root)",
            minimum=0.0, field="target_error"),
    ),
    **{section: _engine_keys(cls) for section, cls in ENGINE_SECTIONS.items()},
    "properties": (
        Key("use", "strings", [], "0 K properties fitted in the search as a fourth objective (names as in "
                                  "`symbolicpot properties`, or \"all\": every one the search computes); empty: none"),
        Key("reference", "path", None, "reference values, POET's TargetProperties_0K.data format (default: the "
                                       "shipped DFT copper file)"),
        Key("element", "string", "Cu", "the element of the crystals"),
        Key("lattice", "string", "fcc", "its ground-state lattice: fcc, bcc or hcp (a model whose ground state is "
                                        "another is unphysical)"),
        Key("weights", "weights", {}, "weights of the properties in the property error, e.g. {dE_hcp_fcc = 3.0}; "
                                      "others weigh 1"),
        Key("screen", "number", 2.0, "properties are computed for candidates whose error is at most this many "
                                     "times the best of their island", minimum=1.0),
    ),
}
# [cost] is special: a table in the format `symbolicpot calibrate --out` writes, the path of such a file, or a table
# holding only `target` ("lammps" or "evaluator": that target's built-in model).
SECTION_ORDER = ("data", "cutoff", "search", "parallel", "stop", "operators", "weights", "tuning", "properties",
                 "cost")

# Where each SearchConfig field lives in a config (for error messages): from the keys' `field`.
_SEARCH_FIELDS = {key.field: f"[{section}] {key.name}" if section else key.name
                  for section, keys in ((None, TOP_LEVEL), *SECTIONS.items()) for key in keys if key.field}


def read_config(path):
    """The raw table of a TOML config file; ValueError naming the file for unreadable TOML."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not valid TOML: not UTF-8 text") from None


def resolve(raw, base_dir, where="config", overrides=None):
    """The resolved config of a raw table (read_config, or a resolved config itself).

    `base_dir` is the folder relative paths refer to; `where` names the source in error messages; `overrides`
    maps (section or None, key) to values that replace the table's (command-line flags; paths already absolute).
    """
    raw = _checked_table(raw, where)
    raw = {name: dict(value) if isinstance(value, dict) else value for name, value in raw.items()}
    for (section, name), value in (overrides or {}).items():
        if section is None:
            raw[name] = value
        else:
            raw.setdefault(section, {})
            if not isinstance(raw[section], dict):
                raise ValueError(f"{where}: [{section}] must be a table, got {_toml_type(raw[section])}")
            raw[section][name] = value
    known = {key.name for key in TOP_LEVEL} | set(SECTION_ORDER)
    for name in raw:
        if name not in known:
            raise ValueError(f"{where}: unknown key {name!r} (known: {', '.join(sorted(known))})")
    resolved = {key.name: _value(raw, key, None, base_dir, where) for key in TOP_LEVEL}
    for section, keys in SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise ValueError(f"{where}: [{section}] must be a table, got {_toml_type(table)}")
        names = [key.name for key in keys]
        for name in table:
            if name not in names:
                raise ValueError(f"{where}: [{section}] unknown key {name!r} (known: {', '.join(names)})")
        resolved[section] = {key.name: _value(table, key, section, base_dir, where) for key in keys}
    resolved["cost"] = _cost(raw.get("cost"), base_dir, where)
    _check_consistency(resolved, where)
    search_config(resolved, where)  # every remaining range and relation check of the engine's dataclasses
    return resolved


def resolve_file(path, overrides=None):
    """The resolved config of a TOML file (paths relative to its folder)."""
    path = Path(path)
    return resolve(read_config(path), path.resolve().parent, str(path), overrides)


def search_config(resolved, where="config"):
    """The SearchConfig of a resolved config ([search] workers 0: automatic_workers)."""
    settings = {key.field: resolved[section][key.name] if section else resolved[key.name]
                for section, keys in ((None, TOP_LEVEL), *SECTIONS.items()) for key in keys if key.field}
    settings["workers"] = settings["workers"] or automatic_workers(settings["islands"])
    settings["group_weights"] = dict(settings["group_weights"]) or None
    try:
        return SearchConfig(**settings, cost=CostModel.from_dict(resolved["cost"]),
                            properties=property_targets(resolved),
                            **{section: cls(**resolved[section]) for section, cls in ENGINE_SECTIONS.items()})
    except ValueError as error:
        raise ValueError(f"{where}: {_config_names(str(error))}") from None


def property_targets(resolved):
    """The PropertyTargets of a resolved config's [properties], or None when it uses none."""
    from ..properties import read_reference
    from ..properties.in_loop import IN_LOOP

    table = resolved["properties"]
    if not table["use"]:
        return None
    try:
        reference = read_reference(table["reference"])
    except OSError as error:
        raise ValueError(f"[properties] reference: cannot read {table['reference']}: {error.strerror}") from None
    use = [name for name in IN_LOOP if name in reference] if table["use"] == ["all"] else table["use"]
    unused = sorted(set(table["weights"]) - set(use))
    if unused:
        raise ValueError(f"[properties] weights: {', '.join(unused)} not in [properties] use")
    weights = {name: table["weights"].get(name, 1.0) for name in use}
    try:
        return PropertyTargets(reference, weights, table["element"], table["lattice"], table["screen"])
    except ValueError as error:
        raise ValueError(str(error).replace("PropertyTargets.weights", "[properties] use")
                         .replace("PropertyTargets.", "[properties] ")) from None


def automatic_workers(islands):
    """One process per island, at most one per CPU core this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(islands, cores))


def load_data(resolved):
    """(train, test or None) Datasets of a resolved config."""
    from ..data import load

    data = resolved["data"]
    if not data["train"]:
        raise ValueError("no training data: give [data] train in the config or --data PATH")
    train = load(data["train"], data["groups"] or None)
    if data["test"]:
        return train, load(data["test"])
    if data["test_fraction"] > 0:
        return train.split(float(data["test_fraction"]), data["split_seed"])
    return train, None


def changed_settings(old, new):
    """["[section] key: old -> new", ...] of the settings two resolved configs differ in, leaving out those a
    resumed run may change: the stopping rules ([stop]), [search] workers and [parallel] scheduler (the front does
    not depend on them)."""
    def flat(config):
        return {(section, key): value for section, table in config.items()
                for key, value in (table.items() if section in SECTION_ORDER else [(None, table)])}
    a, b = flat(old), flat(new)
    changes = []
    for section, key in dict.fromkeys([*a, *b]):
        if section == "stop" or (section, key) in (("search", "workers"), ("parallel", "scheduler")):
            continue
        if a.get((section, key)) != b.get((section, key)):
            label = section if key is None else f"[{section}] {key}"
            changes.append(f"{label}: {_show(a.get((section, key)))} -> {_show(b.get((section, key)))}")
    return changes


def parse_duration(value, where="time_limit"):
    """Seconds of a duration: a number of seconds or text such as "90s", "30m", "2h", "1d", "1h30m", "5400"."""
    if is_number(value):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*(\d+(\.\d+)?\s*[smhd]\s*)+", value):
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        seconds = sum(float(n) * units[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)\s*([smhd])", value))
    else:
        raise ValueError(f"{where}: expected {KINDS['duration']}, got {value!r}")
    if not 0 < seconds < math.inf:
        raise ValueError(f"{where}: must be a positive duration, got {value!r}")
    return seconds


# ------------------------------------------------------------------------------------------------- writing TOML

def config_toml(resolved, header=""):
    """TOML text of a resolved config (tomllib reads it back to an equal dict; absent optional keys are left out)."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{key.name} = {_toml_value(resolved[key.name])}" for key in TOP_LEVEL]
    for section in SECTION_ORDER:
        if section == "cost":
            continue
        lines += ["", f"[{section}]"]
        lines += [f"{name} = {_toml_value(value)}" for name, value in resolved[section].items() if value is not None]
    lines += ["", CostModel.from_dict(resolved["cost"]).to_toml().rstrip("\n")]
    return "\n".join(lines) + "\n"


def default_config_text(data=None):
    """The commented default config `symbolicpot init-config` writes; `data` fills [data] train."""
    out = ["# symbolicpot evolve config (TOML). Every key is optional except [data] train (or --data on the command",
           "# line); commented keys show their defaults. Paths are relative to this file's folder. Run it with",
           "#   symbolicpot evolve THIS_FILE.toml --out runs/NAME",
           "# and inspect the front with `symbolicpot front runs/NAME` (also while the run goes on).", ""]
    def line(setting, doc):
        return f"{setting:<38} # {doc}"
    for key in TOP_LEVEL:
        out.append(line(f"{key.name} = {_toml_value(key.default)}", key.doc))
    for section, keys in SECTIONS.items():
        out += ["", f"[{section}]"]
        for key in keys:
            if section == "data" and key.name == "train":
                out.append(line(f"train = {_toml_value(list(data or []))}", key.doc))
            elif key.default is None:
                example = {"time_limit": '"2h"', "evaluations": "1000000", "target_error": "0.001",
                           "scheduler": '"tcp://HOST:8786"', "reference": '"TargetProperties_0K.data"'}[key.name]
                out.append(line(f"# {key.name} = {example}",
                                key.doc if "(default" in key.doc else f"{key.doc} (default: none)"))
            else:
                out.append(line(f"# {key.name} = {_toml_value(key.default)}", key.doc))
    out += ["", "# The speed objective's cost model (ns per atom of one energy + forces + virial evaluation): by",
            "# default the built-in one of the deployed potential, the exported LAMMPS plugin with tabulated pair",
            "# functions, where a formula costs by its distinct sums and atom-level nodes. To price the evaluator",
            "# of the search instead (every node of every pair function):",
            '#   [cost]',
            '#   target = "evaluator"',
            "# For this machine's figures, run",
            "#   symbolicpot calibrate --target lammps --out cost.toml      (or --target evaluator)",
            '# and either paste its [cost] tables here or set  cost = "cost.toml"  at the top of this file.', ""]
    return "\n".join(out)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # repr of a float is valid TOML (1e-05, inf) and reads back exactly
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, keys quoted
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {value!r}")


# ----------------------------------------------------------------------------------------------- validation

def _checked_table(raw, where):
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a table, got {_toml_type(raw)}")
    return raw


def _value(table, key, section, base_dir, where):
    """The checked, resolved value of `key` in `table` (its default when absent)."""
    label = f"{where}: [{section}] {key.name}" if section else f"{where}: {key.name}"
    if key.name not in table or table[key.name] is None:
        return list(key.default) if isinstance(key.default, list) else key.default
    value = table[key.name]
    expected = KINDS[key.kind]
    wrong = ValueError(f"{label}: expected {expected}, got {_toml_type(value)} {_show(value)}")
    if key.kind == "int":
        if not is_integer(value):
            raise wrong
    elif key.kind == "number":
        if not is_number(value) or not math.isfinite(value):
            raise wrong
        value = float(value)
    elif key.kind == "bool":
        if not isinstance(value, bool):
            raise wrong
    elif key.kind == "string":
        if not isinstance(value, str):
            raise wrong
    elif key.kind == "duration":
        return parse_duration(value, label)
    elif key.kind == "path":
        if not isinstance(value, str):
            raise wrong
        return str((Path(base_dir) / os.path.expanduser(value)).resolve())
    elif key.kind == "weights":
        if not isinstance(value, dict):
            raise wrong
        for name, weight in value.items():
            if not (is_number(weight) and 0 < weight < math.inf):
                raise ValueError(f"{label}: {name!r} must be a number > 0, got {_show(weight)}")
        return {name: float(weight) for name, weight in value.items()}
    elif key.kind in ("paths", "strings", "formulas", "primitives"):
        if isinstance(value, str) and key.kind == "paths":
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong
        if key.kind == "paths":
            return [str((Path(base_dir) / os.path.expanduser(v)).resolve()) for v in value]
        if key.kind == "formulas":
            for v in value:
                try:
                    parse_expression(v)
                except ValueError as error:
                    raise ValueError(f"{label}: {v!r} is not a formula: {error}") from None
        if key.kind == "primitives":
            unknown = [v for v in value if v not in PRIMITIVES]
            if unknown:
                raise ValueError(f"{label}: unknown symbols {unknown} (known: {', '.join(PRIMITIVES)})")
        return list(value)
    elif key.kind in ("int_pair", "number_pair"):
        check = is_integer if key.kind == "int_pair" else is_number
        if not isinstance(value, list) or len(value) != 2 or not all(check(v) for v in value):
            raise wrong
        return [int(v) if key.kind == "int_pair" else float(v) for v in value]
    if key.minimum is not None and (value < key.minimum or (key.exclusive and value == key.minimum)):
        relation = ">" if key.exclusive else ">="
        raise ValueError(f"{label}: must be {relation} {key.minimum:g}, got {value!r}")
    return value


def _cost(value, base_dir, where):
    """The cost model table of [cost]: absent (the built-in model of the default target), a table holding only
    `target` (that target's built-in model), a whole table, or the path of a file holding one."""
    label = f"{where}: [cost]"
    if value is None:
        return DEFAULT_COST_MODEL.to_dict()
    if isinstance(value, dict) and set(value) == {"target"}:
        if value["target"] not in DEFAULT_COST_MODELS:
            raise ValueError(f"{label}: target must be one of {', '.join(map(repr, DEFAULT_COST_MODELS))}, "
                             f"got {value['target']!r}")
        return DEFAULT_COST_MODELS[value["target"]].to_dict()
    if isinstance(value, str):
        path = (Path(base_dir) / os.path.expanduser(value)).resolve()
        table = read_config(path).get("cost")
        if table is None:
            raise ValueError(f"{label}: {path} holds no [cost] table (write one with `symbolicpot calibrate --out`)")
        value, label = table, f"{path}: [cost]"
    if not isinstance(value, dict):
        raise ValueError(f"{label}: expected a table or the path of a file with a [cost] table, "
                         f"got {_toml_type(value)}")
    try:
        return CostModel.from_dict(value).to_dict()
    except (ValueError, TypeError) as error:
        raise ValueError(f"{label}: {_config_names(str(error))}") from None


def _check_consistency(resolved, where):
    data, cutoff = resolved["data"], resolved["cutoff"]
    if data["groups"] and len(data["groups"]) != len(data["train"]):
        raise ValueError(f"{where}: [data] groups: {len(data['groups'])} names for {len(data['train'])} train paths")
    if not data["test_fraction"] < 1:
        raise ValueError(f"{where}: [data] test_fraction: must be < 1, got {data['test_fraction']!r}")
    try:
        Cutoff(cutoff["r_in"], cutoff["r_out"])
    except ValueError as error:
        raise ValueError(f"{where}: [cutoff] {error}") from None


def _config_names(message):
    """An engine dataclass's error message with its field names replaced by config keys."""
    def replace(match):
        owner, field = match.group(1), match.group(2)
        if owner == "SearchConfig":
            return _SEARCH_FIELDS.get(field, f"[search] {field}")
        section = {"OperatorConfig": "operators", "TuningConfig": "tuning", "CostModel": "cost"}[owner]
        return f"[{section}] {field}"
    return re.sub(r"\b(SearchConfig|OperatorConfig|TuningConfig|CostModel)\.([\w*]+)", replace, message)


def _toml_type(value):
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                       (list, "an array"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _show(value):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
