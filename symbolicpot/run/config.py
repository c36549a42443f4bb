"""Run configs: reading, validation against the schema (run.schema), CLI overrides and the resolved form.

A config is read (tomllib) and *resolved* into a plain nested dict: every key present with its default filled in,
data paths absolute (a config's relative paths are relative to its folder), the time limit in seconds, the cost
model as a full table. The resolved dict is what a run directory stores (config.toml, checkpoints), what resume
compares, and what `search_config` turns into a SearchConfig. Unknown keys and wrong types are ValueErrors naming
the key and the expected type.
"""
import json
import math
import os
from pathlib import Path
import re
import tomllib

import tomlkit

from ..cutoff import Cutoff
from ..expr import PRIMITIVES, parse_expression
from ..fitness import DEFAULT_COST_MODEL, DEFAULT_COST_MODELS, CostModel
from ..properties.in_loop import PropertyTargets
from ..search.engine import SearchConfig
from ..settings import SettingError
from .files import is_integer, is_number
from .schema import ENGINE_SECTIONS, KINDS, SEARCH_FIELDS, SECTION_ORDER, SECTIONS, TOP_LEVEL


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
        from_data = {"operators": {"species": tuple(resolved["data"]["species"])}}  # OperatorConfig.species
        return SearchConfig(**settings, cost=CostModel.from_dict(resolved["cost"]),
                            properties=property_targets(resolved),
                            **{section: cls(**resolved[section], **from_data.get(section, {}))
                               for section, cls in ENGINE_SECTIONS.items()})
    except ValueError as error:
        raise ValueError(f"{where}: {_named(error)}") from None


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
    return PropertyTargets(reference, weights, table["element"], table["lattice"], table["screen"])


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
    document = tomlkit.document()
    for line in header.splitlines():
        document.add(tomlkit.comment(line))
    for key in TOP_LEVEL:
        document[key.name] = resolved[key.name]
    for section in SECTION_ORDER:
        document[section] = {name: value for name, value in resolved[section].items() if value is not None}
    document["cost"] = CostModel.from_dict(resolved["cost"]).to_dict()
    return tomlkit.dumps(document)


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
    elif key.kind == "numbers":
        if not isinstance(value, list) or not all(is_number(v) and math.isfinite(v) for v in value):
            raise wrong
        value = [float(v) for v in value]
        if key.minimum is not None and any(v < key.minimum for v in value):
            raise ValueError(f"{label}: every value must be >= {key.minimum:g}, got {_show(value)}")
        return value
    elif key.kind == "table":
        if not isinstance(value, dict):
            raise wrong
        return dict(value)
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
        raise ValueError(f"{label}: {_named(error)}") from None


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


def _named(error):
    """The message of an engine's error, a SettingError naming the config key it is about ("[operators] max_size:
    must be ..."); other errors as they are."""
    if not isinstance(error, SettingError) or not error.field:
        return str(error)
    if error.owner == "SearchConfig":
        key = SEARCH_FIELDS.get(error.field, f"[search] {error.field}")
    elif (error.owner, error.field) == ("OperatorConfig", "species"):
        key = "[data] species"
    elif error.owner == "PropertyTargets" and error.field == "weights":
        key = "[properties] use"  # the properties taking part; the weights' values are checked as read
    else:
        section = {**{cls.__name__: name for name, cls in ENGINE_SECTIONS.items()}, "CostModel": "cost",
                   "PropertyTargets": "properties"}[error.owner]
        key = f"[{section}] {error.field}"
    return f"{key}: {error.reason}"


def _toml_type(value):
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                       (list, "an array"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _show(value):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
