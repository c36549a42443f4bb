"""Tables of a formula's pair functions h_k(r) = g_k(r) f(r) (f the smooth cutoff), read by the LAMMPS plugin.

Scheme: quintic Hermite interpolation on a uniform grid in r. Each interval [r_i, r_i + Δ] holds the polynomial in
t = (r − r_i)/Δ ∈ [0, 1] that matches h, dh/dr and d²h/dr² at both ends, so the table's h and dh/dr are continuous
and its error is at most Δ⁶ max|h⁽⁶⁾| / 46080 in h. The derivatives at the nodes are exact (second-order forward mode
through the formula's tree, `pair_jets`; no finite differences). The grid ends at r_out and has r_in as a node:
f'' jumps there, and a polynomial of one interval never spans the jump. It starts at `table_start` (CLOSEST × the
element's nearest-neighbour distance, rounded down to a node); closer pairs get the formula's own code.

Refinement: from FIRST_STEP Å, the step is halved until, at SAMPLES points inside every interval, the errors δh_k
and δh_k' of every sum k meet
    Σ_k n w_k max|δh_k| ≤ ENERGY_BOUND (eV/atom)   and   Σ_k 2 n w_k max|δh_k'| ≤ FORCE_BOUND (eV/Å),
where n is the largest number of neighbours within r_out and w_k the largest |∂T/∂S_k| of an atom in eam_fs's probe
structures (fcc crystals hot, squeezed and stretched, and a slab). Since δT_i = Σ_k ∂T/∂S_k Σ_j δh_k(r_ij) and
δF_i = Σ_j Σ_k (∂T_i/∂S_k + ∂T_j/∂S_k) δh_k'(r_ij) r̂_ij, these bound each atom's energy and force error on such
structures.
"""
from dataclasses import dataclass
import math

import numpy as np

from ..data.neighbours import structure_neighbours
from ..expr import R, ExpressionError, walk
from .eam_fs import CLOSEST, nearest_neighbour_distance, probe_structures

ENERGY_BOUND = 1e-9   # eV/atom
FORCE_BOUND = 1e-7    # eV/Å
FIRST_STEP = 0.125    # Å, before halving; at most: r_out − r_in is a whole number of steps
MAX_INTERVALS = 2 ** 16
SAMPLES = np.array([0.1, 0.28, 0.5, 0.72, 0.9])  # where inside each interval the error is checked (t)


class TableError(ExpressionError):
    """No table meets the bounds (a pair function that is not finite, or too steep): export with `exact`."""


@dataclass(frozen=True)
class PairTable:
    """Quintic polynomials of h_k on the intervals [start + i·step, start + (i+1)·step], i < intervals.

    `coefficients` (intervals, sums, 6): c_m of h_k(r) = Σ_m c_m t^m (eV), t = (r − start)/step − i.
    `value_error`, `slope_error` (sums,): the largest |δh_k| (eV) and |δh_k'| (eV/Å) at the sampled points;
    `energy_error` (eV/atom) and `force_error` (eV/Å): the bounds of the module's note they give.
    """
    start: float  # Å
    step: float   # Å
    coefficients: np.ndarray
    value_error: np.ndarray = None
    slope_error: np.ndarray = None
    energy_error: float = math.inf
    force_error: float = math.inf

    def __call__(self, r):
        """(h (sums, n), dh/dr (sums, n)) read from the table at distances r (n,) in [start, r_out), as the plugin
        reads them."""
        x = (np.asarray(r, dtype=float) - self.start) / self.step
        i = np.minimum(x.astype(np.int64), len(self.coefficients) - 1)
        t = x - i
        c = np.moveaxis(self.coefficients[i], 0, -1)  # (sums, 6, n)
        h = c[:, 0] + t * (c[:, 1] + t * (c[:, 2] + t * (c[:, 3] + t * (c[:, 4] + t * c[:, 5]))))
        dh = c[:, 1] + t * (2.0 * c[:, 2] + t * (3.0 * c[:, 3] + t * (4.0 * c[:, 4] + t * 5.0 * c[:, 5])))
        return h, dh / self.step


def tabulate_pairs(tree, pair_expressions, r_in, r_out, element):
    """The PairTable of the sums `pair_expressions` (distinct, in the plugin's order) of the atom formula `tree`,
    cutoff r_in, r_out (Å), for `element`; TableError when no grid of up to MAX_INTERVALS meets the bounds."""
    nearest = nearest_neighbour_distance(element)
    neighbours, weights = _sensitivity(tree, pair_expressions, r_in, r_out, element, nearest)
    band = r_out - r_in if r_in > 0.0 else r_out
    step = band / math.ceil(band / FIRST_STEP)
    while True:
        intervals = math.floor((r_out - CLOSEST * nearest) / step)
        if intervals > MAX_INTERVALS or intervals < 1:
            raise TableError(f"no table of up to {MAX_INTERVALS} intervals meets {ENERGY_BOUND} eV/atom and "
                             f"{FORCE_BOUND} eV/Å (last try: step {2 * step:.3g} Å); export it with exact=True "
                             f"(--exact)")
        start = r_out - intervals * step
        table = _table(pair_expressions, r_in, r_out, start, step, intervals, neighbours, weights)
        if table.energy_error <= ENERGY_BOUND and table.force_error <= FORCE_BOUND:
            return table
        step /= 2.0


def pair_jets(g, r, r_in, r_out, outer=None):
    """(h, dh/dr, d²h/dr²) of h = g(r) f(r) at distances r (n,) Å, f the smooth cutoff. `outer` (n,) bool chooses the
    piece of f at each point (default: r > r_in), for the ends of intervals that meet at r_in."""
    r = np.asarray(r, dtype=float)
    g_jet = jets(g, {R: (r, np.ones_like(r), np.zeros_like(r))})
    gap = (r_out ** 2 - r_in ** 2) ** 3
    piece = np.polynomial.Polynomial([r_out ** 2 - 3.0 * r_in ** 2, 0.0, 2.0]) \
        * np.polynomial.Polynomial([r_out ** 2, 0.0, -1.0]) ** 2 / gap
    outer = r > r_in if outer is None else outer
    f = [np.where(outer, piece.deriv(m)(r) if m else piece(r), float(m == 0)) for m in range(3)]
    (g0, g1, g2), (f0, f1, f2) = g_jet, f
    return g0 * f0, g1 * f0 + g0 * f1, g2 * f0 + 2.0 * g1 * f1 + g0 * f2


def jets(node, leaves):
    """(value, first, second derivative) of `node` along one direction, elementwise with numpy; `leaves` maps each
    input leaf (R, or sum nodes) to its jet. Values as the evaluator computes them (a ÷ b is a·(1/b)); not finite
    outside a primitive's domain."""
    memo = {}

    def jet(node):
        if node not in memo:
            memo[node] = _jet(node)
        return memo[node]

    def _jet(node):
        if node.op == "const":
            return node.value, 0.0, 0.0
        if node in leaves:
            return leaves[node]
        with np.errstate(all="ignore"):
            return _RULES[node.op](*(jet(child) for child in node.children))
    return jet(node)


def _product(a, b):
    (a0, a1, a2), (b0, b1, b2) = a, b
    return a0 * b0, a1 * b0 + a0 * b1, a2 * b0 + 2.0 * a1 * b1 + a0 * b2


def _quotient(a, b):
    (a0, a1, a2), (b0, b1, b2) = a, b
    inverse = 1.0 / b0
    q0 = a0 * inverse
    q1 = (a1 - q0 * b1) * inverse
    return q0, q1, (a2 - 2.0 * q1 * b1 - q0 * b2) * inverse


def _power(a, b):
    (a0, a1, a2), (b0, b1, b2) = a, b
    value = np.power(a0, b0)
    if np.all(np.equal(b1, 0.0)) and np.all(np.equal(b2, 0.0)):  # a fixed exponent: no logarithm of a
        below = b0 * np.power(a0, b0 - 1.0)
        return value, below * a1, b0 * (b0 - 1.0) * np.power(a0, b0 - 2.0) * a1 * a1 + below * a2
    log_a = np.log(a0)
    u1 = b1 * log_a + b0 * a1 / a0
    u2 = b2 * log_a + 2.0 * b1 * a1 / a0 + b0 * (a2 / a0 - (a1 / a0) ** 2)
    return value, value * u1, value * (u2 + u1 * u1)


def _unary(function, first, second):
    """Chain rule for v = function(a) with v' = first(a, v), v'' = second(a, v)."""
    def rule(a):
        a0, a1, a2 = a
        v = function(a0)
        d1, d2 = first(a0, v), second(a0, v)
        return v, d1 * a1, d2 * a1 * a1 + d1 * a2
    return rule


_RULES = {
    "+": lambda a, b: tuple(x + y for x, y in zip(a, b)),
    "-": lambda a, b: tuple(x - y for x, y in zip(a, b)),
    "*": _product, "/": _quotient, "^": _power,
    "exp": _unary(np.exp, lambda a, v: v, lambda a, v: v),
    "log": _unary(np.log, lambda a, v: 1.0 / a, lambda a, v: -1.0 / (a * a)),
    "sqrt": _unary(np.sqrt, lambda a, v: 0.5 / v, lambda a, v: -0.25 / (v * a)),
    "tanh": _unary(np.tanh, lambda a, v: 1.0 - v * v, lambda a, v: -2.0 * v * (1.0 - v * v)),
}


def _table(pair_expressions, r_in, r_out, start, step, intervals, neighbours, weights):
    """The PairTable on `intervals` steps from `start`, with its errors at the SAMPLES points (module note)."""
    left = start + step * np.arange(intervals)
    outer = left >= r_in - 0.5 * step  # the cutoff's piece on each interval (r_in is a node)
    coefficients = np.empty((intervals, len(pair_expressions), 6))
    for k, g in enumerate(pair_expressions):
        ends = [pair_jets(g, x, r_in, r_out, outer) for x in (left, np.append(left[1:], r_out))]
        (y0, d0, s0), (y1, d1, s1) = ([h, step * dh, step * step * d2h] for h, dh, d2h in ends)
        jump = y1 - y0
        coefficients[:, k] = np.stack([
            y0, d0, 0.5 * s0, 10.0 * jump - 6.0 * d0 - 4.0 * d1 - 0.5 * (3.0 * s0 - s1),
            -15.0 * jump + 8.0 * d0 + 7.0 * d1 + 0.5 * (3.0 * s0 - 2.0 * s1),
            6.0 * jump - 3.0 * (d0 + d1) - 0.5 * (s0 - s1)], axis=1)
    if not np.isfinite(coefficients).all():
        bad = left[~np.isfinite(coefficients).all(axis=(1, 2))][0]
        raise TableError(f"a pair function is not finite near r = {bad:.6g} Å: export it with exact=True "
                         f"(--exact)")
    table = PairTable(float(start), float(step), coefficients)
    r = (left[:, None] + step * SAMPLES).ravel()
    h, dh = table(r)
    exact = [pair_jets(g, r, r_in, r_out, np.repeat(outer, len(SAMPLES)))[:2] for g in pair_expressions]
    value_error = np.array([np.abs(h[k] - exact_h).max() for k, (exact_h, _) in enumerate(exact)])
    slope_error = np.array([np.abs(dh[k] - exact_dh).max() for k, (_, exact_dh) in enumerate(exact)])
    return PairTable(table.start, table.step, coefficients, value_error, slope_error,
                     float(neighbours * weights @ value_error), float(2.0 * neighbours * weights @ slope_error))


def _sensitivity(tree, pair_expressions, r_in, r_out, element, nearest):
    """(n, w): the most neighbours within r_out and the largest |∂T/∂S_k| (k over the sums) of any probe atom."""
    sums_of_atoms, neighbours = [], 0
    for atoms in probe_structures(element, nearest):
        centre, _, distance, _ = structure_neighbours(atoms, r_out)
        neighbours = max(neighbours, np.bincount(centre).max())
        sums_of_atoms.append([np.bincount(centre, pair_jets(g, distance, r_in, r_out)[0], minlength=len(atoms))
                              for g in pair_expressions])
    s = np.concatenate(sums_of_atoms, axis=1)  # (sums, atoms)
    weights = []
    for k in range(len(pair_expressions)):
        leaves = {node: (s[m], float(m == k), 0.0) for node in walk(tree) if node.op == "sum"
                  for m in [pair_expressions.index(node.children[0])]}
        weights.append(np.abs(jets(tree, leaves)[1]).max())
    weights = np.array(weights)
    if not np.isfinite(weights).all():
        raise TableError("the atom formula's derivatives are not finite on the probe structures: export it with "
                         "exact=True (--exact)")
    return int(neighbours), weights
