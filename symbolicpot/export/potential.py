"""A finished potential as data: formula, cutoff, element, provenance; the JSON every export format starts from.

The file holds the formula as text (parsed with the project's parser, never evaluated as code) and its constants
in postfix order, the cutoff radii r_in, r_out (Å), the element and its mass (u), and where the formula came from.
"""
from dataclasses import dataclass, field
from functools import cached_property
import json
import math
from pathlib import Path

from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from ..cutoff import DEFAULT, Cutoff
from ..expr import constants, format_expression, parse_expression, species_named

FORMAT = "symbolicpot-potential"
VERSION = 1
KEYS = ("format", "version", "convention", "formula", "constants", "r_in", "r_out", "element", "mass", "provenance")
CONVENTION = ("E = sum_i T_i (eV); in T_i, sum(g) = sum over all neighbours j != i (no 1/2) of g(r_ij) f(r_ij), "
              "r in Å, f the smooth cutoff: 1 up to r_in, 0 from r_out")


class PotentialError(ValueError):
    """A potential file that cannot be read; the message names the file and the key."""


@dataclass(frozen=True)
class Potential:
    """An atom-level formula T_i (text, canonical form) with its cutoff radii (Å), element and mass (u)."""
    formula: str
    r_in: float = DEFAULT.r_in
    r_out: float = DEFAULT.r_out
    element: str = "Cu"
    mass: float | None = None  # default: ase's standard atomic mass of `element`
    provenance: dict = field(default_factory=dict, compare=False)  # run, index, errors, ...

    def __post_init__(self):
        if self.element not in chemical_symbols[1:]:
            raise PotentialError(f"element {self.element!r} is not a chemical symbol")
        mass = atomic_masses[atomic_numbers[self.element]] if self.mass is None else self.mass
        if not (math.isfinite(mass) and mass > 0.0):
            raise PotentialError(f"mass must be a positive number (u), got {mass!r}")
        Cutoff(self.r_in, self.r_out)  # validates the radii
        tree = parse_expression(self.formula)
        for name, value in (("formula", format_expression(tree)), ("mass", float(mass)),
                            ("r_in", float(self.r_in)), ("r_out", float(self.r_out))):
            object.__setattr__(self, name, value)
        self.__dict__["tree"] = tree  # parsed once (the canonical text reads back to the same tree)

    @cached_property
    def tree(self):
        """The formula as a typed expression tree (symbolicpot.expr.Node)."""
        return parse_expression(self.formula)

    @property
    def cutoff(self):
        return Cutoff(self.r_in, self.r_out)

    @classmethod
    def from_formula(cls, text, r_in=DEFAULT.r_in, r_out=DEFAULT.r_out, element="Cu"):
        """A potential typed in by hand, e.g. "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"."""
        return cls(text, float(r_in), float(r_out), element, provenance={"source": "formula"})

    def to_dict(self):
        return {"format": FORMAT, "version": VERSION, "convention": CONVENTION, "formula": self.formula,
                "constants": constants(self.tree), "r_in": self.r_in, "r_out": self.r_out, "element": self.element,
                "mass": self.mass, "provenance": self.provenance}

    def to_json(self, path):
        """Write the potential to `path` (JSON); returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path):
        """Read a file written by `to_json`; PotentialError names the file and the offending key."""
        path = Path(path)
        data = _read_json(path)
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise PotentialError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise PotentialError(f"{path}: not a {FORMAT} file of version {VERSION} (keys 'format', 'version')")
        optional = {"mass": _number(data, "mass", path) if "mass" in data else None,
                    "provenance": _get(data, "provenance", dict, path) if "provenance" in data else {}}
        try:
            return cls(_formula(data, path), _number(data, "r_in", path), _number(data, "r_out", path),
                       _get(data, "element", str, path), **optional)
        except PotentialError as error:
            raise PotentialError(f"{path}: {error}") from None
        except ValueError as error:  # the cutoff radii
            raise PotentialError(f"{path}: keys 'r_in', 'r_out': {error}") from None


def _read_json(path):
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PotentialError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise PotentialError(f"{path}: expected a JSON object")
    return data


def _get(data, key, kind, path, where="", kind_name=None):
    """data[key], checked to be of type `kind` (bool is no number here)."""
    label = f"{where}.{key}" if where else key
    if key not in data:
        raise PotentialError(f"{path}: key '{label}' is missing")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PotentialError(f"{path}: key '{label}' must be {kind_name or kind.__name__}, got {value!r}")
    return value


def _number(data, key, path):
    value = _get(data, key, (int, float), path, kind_name="a number")
    if not math.isfinite(value):
        raise PotentialError(f"{path}: key '{key}' must be a finite number, got {value!r}")
    return float(value)


def _formula(data, path, where=""):
    """The formula text of `data`, parsed and checked against its "constants" list when there is one."""
    text = _get(data, "formula", str, path, where)
    label = f"{where}.formula" if where else "formula"
    try:
        tree = parse_expression(text)
    except ValueError as error:
        raise PotentialError(f"{path}: key '{label}': {error}") from None
    if "constants" in data and data["constants"] != constants(tree):
        raise PotentialError(f"{path}: key '{label}': its constants differ from the list under 'constants'")
    return text


def require_species_blind(tree, what):
    """PotentialError unless the formula `tree` names no species: `what` (an export format) does not take alloy
    formulas (species-filtered sums, per-species terms) yet; the ASE calculator evaluates them."""
    named = species_named(tree)
    if named:
        raise PotentialError(f"{what} does not take alloy formulas yet (this one names {', '.join(named)}); "
                             "the ASE calculator evaluates them")
