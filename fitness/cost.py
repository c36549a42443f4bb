"""The speed objective: a deterministic model of a formula's evaluation cost, and its calibration on this machine.

The model prices what the compiled evaluator (symbolicpot.evaluate) does for energies, forces and virials: per pair,
the neighbour loop every formula pays, each sum's storage and chain rule into the forces, and one interpreter step
per node of each sum's pair-level program; per atom, one step per node of the atom-level program. Costs are in
estimated nanoseconds per atom. Unlike wall-clock timings of candidates, the same model and formula always give the
same cost, so a run's front depends only on its config and seed.
"""
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
import functools
import gc
import itertools
import json
import math
import time
from types import MappingProxyType

import numba
import numpy as np
from scipy.optimize import nnls
from scipy.stats import spearmanr

from ..data import example_path, load
from ..evaluate import Cutoff, Evaluator
from ..expr import PRIMITIVES, R, call, const, sums, walk
from ..operators import OperatorConfig, random_formula

PAIR_KINDS = ("r", *PRIMITIVES)  # priced node kinds inside a sum
ATOM_KINDS = tuple(PRIMITIVES)   # priced node kinds outside sums


@dataclass(frozen=True)
class CostModel:
    """Estimated evaluation time of a formula (energy + forces + virial) in the compiled evaluator, ns per atom:

        cost = neighbours · (pair_base_ns + Σ_sums (sum_ns + Σ_nodes pair_ns[kind])) + Σ_atom-level nodes atom_ns[kind]

    `pair_ns` (ns per pair) and `atom_ns` (ns per atom) map node kinds (PAIR_KINDS, ATOM_KINDS) to their cost.
    Constants have no entry: every expression has exactly one leaf more than binary nodes, so no timing can tell a
    leaf's cost from its parent's; a constant leaf is priced in the binary nodes, sum_ns and pair_base_ns, and `r`
    by what it costs beyond a constant. The model follows the evaluator as it is today: a node costs the same
    whatever its operands, so an integer exponent costs a full pow (the evaluator always calls pow). Exported code
    (LAMMPS, ASE) may differ: a compiler can fold constants and turn r^-6 into multiplications.
    """
    pair_base_ns: float           # per pair, paid by every formula: neighbour loop, forces, virial
    sum_ns: float                 # per pair and sum: storing g and dg/dr, accumulating S, chain rule into forces
    pair_ns: Mapping[str, float]  # per pair and node of a sum's expression, by kind
    atom_ns: Mapping[str, float]  # per atom and atom-level node other than sum, by kind
    neighbours: float = 42.7      # mean neighbours per atom (full list): POET DFT_Cu fcc 300 K at r_c = 5 Å

    def __post_init__(self):
        for name in ("pair_base_ns", "sum_ns", "neighbours"):
            object.__setattr__(self, name, _non_negative(getattr(self, name), f"CostModel.{name}"))
        _require(self.neighbours > 0.0, "CostModel.neighbours", "must be > 0")
        for name, kinds in (("pair_ns", PAIR_KINDS), ("atom_ns", ATOM_KINDS)):
            table = _checked_keys(getattr(self, name), f"CostModel.{name}", kinds)
            values = {k: _non_negative(table[k], f"CostModel.{name}[{k!r}]") for k in kinds}
            object.__setattr__(self, name, MappingProxyType(values))  # read-only: the default is shared by every run

    def __hash__(self):
        return hash(tuple(_coefficients(self)) + (self.neighbours,))

    def __reduce__(self):  # pickling (island processes), which read-only tables do not support by themselves
        return CostModel.from_dict, (self.to_dict(),)

    def cost(self, formula):
        """Estimated evaluation time of `formula` (a typed Node), ns per atom; exactly reproducible."""
        return math.fsum(f * c for f, c in zip(_features(formula, self.neighbours), _coefficients(self)))

    def to_dict(self):
        """The coefficients as plain nested dicts of floats (JSON-ready); from_dict(to_dict()) == self."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: dict(v) if isinstance(v, Mapping) else v for name, v in values.items()}

    @classmethod
    def from_dict(cls, d):
        """The model of a to_dict() dict or a config's [cost] table; ValueError naming a missing, unknown or bad key."""
        _checked_keys(d, "CostModel", [f.name for f in fields(cls)])
        return cls(**d)

    def to_toml(self):
        """A TOML fragment: the [cost] table holding to_dict() (tomllib reads it back into an equal model)."""
        values = self.to_dict()
        tables = {name: table for name, table in values.items() if isinstance(table, dict)}
        lines = ["# symbolicpot.fitness.CostModel: ns per pair (atom_ns: per atom); neighbours per atom", "[cost]"]
        lines += [f"{name} = {value!r}" for name, value in values.items() if name not in tables]
        for name, table in tables.items():
            lines += ["", f"[cost.{name}]"] + [f"{json.dumps(kind)} = {value!r}" for kind, value in table.items()]
        return "\n".join(lines) + "\n"


def _features(formula, neighbours):
    """Node counts weighted like the coefficients: cost = Σ features · _coefficients (ns per atom)."""
    pair = Counter(node.op for g in sums(formula) for node in walk(g))
    atom = Counter(node.op for node in walk(formula))
    atom.subtract(pair)
    n_sums = atom.pop("sum", 0)
    return ([neighbours, neighbours * n_sums] + [neighbours * pair[k] for k in PAIR_KINDS]
            + [atom[k] for k in ATOM_KINDS])


def _coefficients(model):
    """The model's coefficients in the order of _features."""
    return ([model.pair_base_ns, model.sum_ns] + [model.pair_ns[k] for k in PAIR_KINDS]
            + [model.atom_ns[k] for k in ATOM_KINDS])


def _require(condition, where, message):
    if not condition:
        raise ValueError(f"{where}: {message}")


def _non_negative(value, where):
    _require(isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value < math.inf, where,
             f"must be a finite number >= 0, got {value!r}")
    return float(value)


def _checked_keys(table, where, keys):
    _require(isinstance(table, Mapping), where, f"must be a table, got {table!r}")
    for key in table:
        _require(key in keys, where, f"unknown key {key!r} (known: {', '.join(keys)})")
    for key in keys:
        _require(key in table, where, f"missing key {key!r}")
    return table


# Measured 2026-11-23 on the project's 2-core Intel Xeon machine (Python 3.11, numba 0.68.1, one thread) by
# calibrate(seed=0, n_formulas=600, repeats=15) on the shipped Sutton–Chen example; `neighbours` is DFT_Cu's.
DEFAULT_COST_MODEL = CostModel(
    pair_base_ns=8.56, sum_ns=4.17,
    pair_ns={"r": 0.405, "+": 0.444, "-": 0.352, "*": 0.432, "/": 0.702, "^": 12.9, "exp": 4.74, "log": 3.85,
             "sqrt": 1.38, "tanh": 9.71},
    atom_ns={"+": 1.91, "-": 2.46, "*": 3.04, "/": 3.58, "^": 14.9, "exp": 6.96, "log": 5.28, "sqrt": 2.94,
             "tanh": 11.3})


def calibrate(dataset=None, seed=0, n_formulas=300, cutoff=Cutoff(), repeats=7):
    """A CostModel re-measured on this machine with the real Evaluator (~5 s with the defaults).

    Times `n_formulas` random formulas of the search's generator plus targeted_formulas() on `dataset` (default:
    the shipped Sutton–Chen example) with time_formulas, then fits the coefficients (fit_cost_model). The model's
    `neighbours` is the dataset's mean at `cutoff`. Only the model is deterministic, not its calibration.
    """
    _require(isinstance(n_formulas, int) and n_formulas >= 0, "calibrate", "n_formulas must be an integer >= 0")
    evaluator = Evaluator(load(example_path("sutton_chen")) if dataset is None else dataset, cutoff)
    rng = np.random.default_rng(seed)
    formulas = targeted_formulas() + random_valid_formulas(evaluator, rng, n_formulas)
    return fit_cost_model(formulas, time_formulas(evaluator, formulas, repeats, rng), mean_neighbours(evaluator))


def fit_cost_model(formulas, ns_per_atom, neighbours):
    """The CostModel with coefficients >= 0 minimising Σ (cost / measured − 1)² over formulas timed at `ns_per_atom`."""
    measured = np.asarray(ns_per_atom, dtype=float)
    features = np.array([_features(formula, neighbours) for formula in formulas])
    coefficients, _ = nnls(features / measured[:, None], np.ones(len(formulas)))
    base, per_sum, *per_node = map(float, coefficients)
    return CostModel(base, per_sum, dict(zip(PAIR_KINDS, per_node)), dict(zip(ATOM_KINDS, per_node[len(PAIR_KINDS):])),
                     neighbours)


def targeted_formulas(lengths=(1, 4, 16)):
    """Formulas that separate the coefficients: 1-4 sums of r, and for every node kind at each level a chain
    x + x + ... of `lengths` copies of one node of that kind (a binary primitive gets 1.5 as second operand)."""
    def chain(term, n):
        return functools.reduce(lambda a, b: call("+", a, b), [term] * n)

    def node(kind, operand):
        if kind == "r":
            return R
        return call(kind, operand, const(1.5)) if PRIMITIVES[kind].arity == 2 else call(kind, operand)
    sum_counts = [chain(call("sum", R), n) for n in (1, 2, 3, 4)]
    pair = [call("sum", chain(node(kind, R), n)) for kind in PAIR_KINDS for n in lengths]
    atom = [call("+", call("sum", R), chain(node(kind, const(1.5)), n)) for kind in ATOM_KINDS for n in lengths]
    return sum_counts + pair + atom


def random_valid_formulas(evaluator, rng, n, config=OperatorConfig(), max_draws_per_formula=100):
    """`n` formulas of `random_formula(rng, config)` that evaluate to finite values on the evaluator's data."""
    drawn = (random_formula(rng, config) for _ in range(max_draws_per_formula * n))
    formulas = list(itertools.islice((f for f in drawn if evaluator(f).ok), n))
    _require(len(formulas) == n, "random_valid_formulas",
             f"only {len(formulas)} of {max_draws_per_formula * n} random formulas evaluate to finite values")
    return formulas


def time_formulas(evaluator, formulas, repeats=7, rng=None):
    """Median evaluation time (energies, forces, virials) of each formula, ns per atom, shape (n,).

    After one warm-up call each, `repeats` rounds run every formula once, in a fresh random order per round, on one
    numba thread with the garbage collector paused.
    """
    _require(isinstance(repeats, int) and repeats >= 1, "time_formulas", "repeats must be an integer >= 1")
    rng = np.random.default_rng(0) if rng is None else rng
    seconds = np.empty((repeats, len(formulas)))
    with _timing_conditions():
        for formula in formulas:
            evaluator(formula)
        for round_seconds in seconds:
            for k in rng.permutation(len(formulas)):
                start = time.perf_counter()
                evaluator(formulas[k])
                round_seconds[k] = time.perf_counter() - start
    return np.median(seconds, axis=0) * 1e9 / evaluator.dataset.n_atoms_total


def rank_correlation(model, formulas, ns_per_atom):
    """Spearman rank correlation between the model's costs of `formulas` and their measured times."""
    return float(spearmanr([model.cost(formula) for formula in formulas], ns_per_atom).statistic)


def mean_neighbours(evaluator):
    """Mean neighbours per atom (full list) within the evaluator's cutoff."""
    return evaluator.neighbours.distance.size / evaluator.dataset.n_atoms_total


@contextmanager
def _timing_conditions():
    """One numba thread and no garbage collection inside the block."""
    threads, collecting = numba.get_num_threads(), gc.isenabled()
    numba.set_num_threads(1)
    gc.disable()
    try:
        yield
    finally:
        numba.set_num_threads(threads)
        if collecting:
            gc.enable()
