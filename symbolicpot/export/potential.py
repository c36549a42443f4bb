"""A finished potential as data: formula, cutoff, elements, provenance; the JSON every export format starts from.

The file holds the formula as text (parsed with the project's parser, never evaluated as code) and its constants
in postfix order, the cutoff radii r_in, r_out (Å), the chemical symbols of the species it is for (`elements`) and
their masses (`masses`, u, in that order), and where the formula came from. Version-1 files (one `element` and its
`mass`) read as a one-element list.
"""
from dataclasses import dataclass, field
from functools import cached_property
import json
import math
from pathlib import Path

from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from ..cutoff import DEFAULT, Cutoff
from ..expr import block_species, constants, format_expression, parse_expression, species_named

FORMAT = "symbolicpot-potential"
VERSION = 2
KEYS = ("format", "version", "convention", "formula", "constants", "r_in", "r_out", "elements", "masses", "provenance")
VERSION_1_KEYS = {"elements": "element", "masses": "mass"}  # version 1: one element and its mass under these keys
CONVENTION = ("E = sum_i T_i (eV); in T_i, sum(g) = sum over all neighbours j != i (no 1/2) of g(r_ij) f(r_ij), "
              "sum[X](g) the same over the neighbours of species X only, and a species block (X: a; Y: b at the root, "
              "{X: a; Y: b} inside) takes the expression of atom i's species; r in Å, f the smooth cutoff: 1 up to "
              "r_in, 0 from r_out")


class PotentialError(ValueError):
    """A potential file that cannot be read; the message names the file and the key."""


@dataclass(frozen=True)
class Potential:
    """An atom-level formula T_i (text, canonical form) with its cutoff radii (Å), the chemical symbols of its
    species (`elements`: a symbol or a list; default: the species the formula names, else Cu) and their masses (u;
    default: ase's standard atomic masses). The formula names no species outside `elements`, and a formula with
    species blocks has a term for each of them."""
    formula: str
    r_in: float = DEFAULT.r_in
    r_out: float = DEFAULT.r_out
    elements: tuple = None
    masses: tuple = None
    provenance: dict = field(default_factory=dict, compare=False)  # run, index, errors, ...

    def __post_init__(self):
        Cutoff(self.r_in, self.r_out)  # validates the radii
        tree = parse_expression(self.formula)
        elements = _elements(tree, self.elements)
        masses = tuple(float(atomic_masses[atomic_numbers[e]]) for e in elements) if self.masses is None \
            else tuple(self.masses)
        if len(masses) != len(elements) or not all(_positive(m) for m in masses):
            raise PotentialError(f"masses must be one positive number (u) per element ({', '.join(elements)}), "
                                 f"got {list(masses)!r}")
        for name, value in (("formula", format_expression(tree)), ("elements", elements),
                            ("masses", tuple(map(float, masses))), ("r_in", float(self.r_in)),
                            ("r_out", float(self.r_out))):
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
    def from_formula(cls, text, r_in=DEFAULT.r_in, r_out=DEFAULT.r_out, elements=None, *, element=None):
        """A potential typed in by hand, e.g. "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"; `element` is the one
        chemical symbol of a single-element potential (elements=[element])."""
        if element is not None and elements is not None:
            raise ValueError("give element (one chemical symbol) or elements (a list), not both")
        return cls(text, float(r_in), float(r_out), elements if element is None else element,
                   provenance={"source": "formula"})

    def to_dict(self):
        return {"format": FORMAT, "version": VERSION, "convention": CONVENTION, "formula": self.formula,
                "constants": constants(self.tree), "r_in": self.r_in, "r_out": self.r_out,
                "elements": list(self.elements), "masses": list(self.masses), "provenance": self.provenance}

    def to_json(self, path):
        """Write the potential to `path` (JSON); returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path):
        """Read a file written by `to_json` (or a version-1 file); PotentialError names the file and the offending
        key."""
        path = Path(path)
        data = _read_json(path)
        if data.get("format") != FORMAT or data.get("version") not in (1, VERSION):
            raise PotentialError(f"{path}: not a {FORMAT} file of version 1 or {VERSION} (keys 'format', 'version')")
        renamed = VERSION_1_KEYS if data["version"] == 1 else {}
        keys = [renamed.get(key, key) for key in KEYS]
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise PotentialError(f"{path}: unknown key {unknown[0]!r} (known in version {data['version']}: "
                                 f"{', '.join(keys)})")
        if renamed:
            elements = [_get(data, "element", str, path)]
            masses = [_number(data, "mass", path)] if "mass" in data else None
        else:
            elements = _list(data, "elements", str, path, "a list of chemical symbols")
            masses = _list(data, "masses", (int, float), path, "a list of numbers") if "masses" in data else None
        provenance = _get(data, "provenance", dict, path) if "provenance" in data else {}
        try:
            return cls(_formula(data, path), _number(data, "r_in", path), _number(data, "r_out", path), elements,
                       masses, provenance)
        except PotentialError as error:
            raise PotentialError(f"{path}: {error}") from None
        except ValueError as error:  # the cutoff radii
            raise PotentialError(f"{path}: keys 'r_in', 'r_out': {error}") from None


def _elements(tree, elements):
    """The tuple of chemical symbols `elements` (a symbol, a list, or None: the species `tree` names, else Cu),
    checked against the formula; PotentialError naming what is wrong."""
    blocks, named = block_species(tree), species_named(tree)
    if elements is None:
        elements = tuple(dict.fromkeys([*blocks, *named])) or ("Cu",)
    elements = (elements,) if isinstance(elements, str) else tuple(elements)
    for name in elements:
        if name not in chemical_symbols[1:]:
            raise PotentialError(f"element {name!r} is not a chemical symbol")
    if not elements or len(set(elements)) != len(elements):
        raise PotentialError(f"elements must list each chemical symbol once, got {list(elements)!r}")
    outside = [name for name in named if name not in elements]
    if outside:
        raise PotentialError(f"the formula names {', '.join(outside)}, not among the elements {', '.join(elements)} "
                             f"(key 'elements')")
    missing = [name for name in elements if blocks and name not in blocks]
    if missing:
        raise PotentialError(f"the formula has no term for {', '.join(missing)} (its species blocks name "
                             f"{', '.join(blocks)}; key 'elements')")
    return elements


def _positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0.0


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


def _list(data, key, kind, path, kind_name):
    """data[key], checked to be a non-empty list of values of type `kind` (bool is no number here)."""
    value = _get(data, key, list, path, kind_name=kind_name)
    if not value or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
        raise PotentialError(f"{path}: key '{key}' must be {kind_name}, got {value!r}")
    return value


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

