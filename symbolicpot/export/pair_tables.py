"""Tables of a formula's pair functions h_k(r) = g_k(r) f(r) (f the smooth cutoff; h_k = g_k for a sum without it,
`nocut`), read by the LAMMPS plugin.

Scheme: quintic Hermite interpolation in s = r², as LAMMPS's `pair_style table` with `rsq` lookup: the plugin then
needs neither √ nor division per pair (h from s, and dh/dr / r = 2 dh/ds, which is what a pair force needs). Each
interval [s_i, s_i + Δ] holds the polynomial in t = (s − s_i)/Δ ∈ [0, 1] that matches h, dh/ds and d²h/ds² at both
ends, so the table's h and its derivative are continuous and its error is at most Δ⁶ max|d⁶h/ds⁶| / 46080 in h. The
derivatives at the nodes are exact (second-order forward mode through the formula's tree, `pair_jets`, then
d/ds = d/dr / 2r, in extended precision; no finite differences).

Segments: the range of s is cut at r_in² × 2^m (at r_out² × 2^m when r_in = 0), and each segment has its own uniform
step. A power of r varies over a distance proportional to r, an exponential over a fixed distance, and a uniform
grid in s is coarsest in r where r is small: one step for all of s would be set by the closest pairs (r^-9 near
1.5 Å) and be 10-100 times finer than needed beyond r_in. r_in² is a node (f'' jumps there: a polynomial never spans
it). The table ends at r_out² and starts at CLOSEST × the element's nearest-neighbour distance (its square rounded
down to a node of the first segment; for an alloy, the smallest of its elements'); closer pairs get the formula's own
code. The plugin finds a segment by
comparisons (branch-free) and the interval by one multiplication.

Refinement: in each segment, from FIRST_STEP Å², the step is halved until the errors δh_k and δh_k' (d/dr) at
SAMPLES points inside every interval meet
    n max_r Σ_k w_k |δh_k(r)| ≤ ENERGY_BOUND (eV/atom)   and   2 n max_r Σ_k w_k |δh_k'(r)| ≤ FORCE_BOUND (eV/Å),
where n is the largest number of neighbours within r_out and w_k the largest |∂T_i/∂h_k(r_ij)| of an atom i and a
neighbour j in eam_fs's probe structures (fcc crystals, and the element's own when bcc or diamond, hot, squeezed
and stretched, and an fcc slab, those where the atom formula and these derivatives are finite: the bounds hold on
them; for an alloy, their atoms take the elements in turn; ∂T_i/∂h_k(r_ij) adds up ∂T_i/∂S over the plugin's per-atom values S that h_k of j
adds to, export.sum_layout; a term's three-body sums enter it as their values on the probes). Since
δT_i = Σ_j Σ_k ∂T_i/∂h_k(r_ij) δh_k(r_ij) and δF_i = Σ_j Σ_k (∂T_i/∂h_k(r_ij) + ∂T_j/∂h_k(r_ij)) δh_k'(r_ij) r̂_ij,
these bound each atom's energy and force error on such structures; a bound of the largest value over r holds on the
whole table when it holds on every segment.

A nocut sum's table holds g_k itself on [r_start, r_out]: no cutoff brings it smoothly to 0; the plugin's neighbour
test (r < r_out) cuts it there, as the evaluator's does, and its last node holds g_k's left limit at r_out (g_k one
ulp below, eam_fs.below_cutoff: SW's e^{σ/(r − aσ)} is not finite at aσ itself). The refinement and its bounds are
the same: an atom's energy is still Σ_j Σ_k ∂T_i/∂h_k δh_k(r_ij) over its neighbours within r_out, and the errors
are sampled inside every interval, the last one included.
"""
from dataclasses import dataclass
import math

import numpy as np

from ..data.neighbours import structure_neighbours
from ..expr import C, PRIMITIVES, R, S, ExpressionError, const, walk
from .eam_fs import CLOSEST, below_cutoff, nearest_neighbour_distance, probe_structures

ENERGY_BOUND = 1e-9   # eV/atom
FORCE_BOUND = 1e-7    # eV/Å
FIRST_STEP = 1.0      # Å², before halving; at most: each segment is a whole number of steps
MAX_INTERVALS = 2 ** 16  # in all segments together (and so in each)
SAMPLES = np.array([0.1, 0.28, 0.5, 0.72, 0.9])  # where inside each interval the error is checked (t)


class TableError(ExpressionError):
    """No table meets the bounds (a pair function that is not finite, or too steep): export with `exact`."""


@dataclass(frozen=True)
class PairTable:
    """Quintic polynomials of h_k on the intervals of segments of s = r².

    Segment m starts at s = starts[m] (Å²), has steps[m] (Å²) wide intervals and holds rows offsets[m] to
    offsets[m + 1] − 1 of `coefficients` (intervals, sums, 6): on row offsets[m] + i, h_k = Σ_q c_q t^q (eV),
    t = (s − starts[m]) / steps[m] − i. Segment m covers s from starts[m] to starts[m + 1] (r_out² for the last).
    `value_error`, `slope_error` (sums,): the largest |δh_k| (eV) and |δh_k'| (eV/Å) at the sampled points;
    `energy_error` (eV/atom) and `force_error` (eV/Å): the bounds of the module's note they give, with
    `neighbours` (n) and `weights` (sums,) (w_k, eV per eV of h_k) of the probe structures.
    """
    starts: tuple
    steps: tuple
    offsets: tuple
    coefficients: np.ndarray
    value_error: np.ndarray = None
    slope_error: np.ndarray = None
    energy_error: float = math.inf
    force_error: float = math.inf
    neighbours: int = 0
    weights: np.ndarray = None

    @property
    def r_start(self):
        """The distance (Å) of the first node: closer pairs are not in the table."""
        return math.sqrt(self.starts[0])

    @property
    def inverse_steps(self):
        """1 / steps[m] (1/Å²): the plugin multiplies by them."""
        return tuple(1.0 / step for step in self.steps)

    @property
    def slope_coefficients(self):
        """(intervals, sums, 5): d_q of (dh_k/dr)/r = 2 dh_k/ds = Σ_q d_q t^q (eV/Å²), d_q = 2 (q+1) c_(q+1) / step."""
        inverse = np.repeat(self.inverse_steps, np.diff(self.offsets))[:, None, None]
        return self.coefficients[..., 1:] * (2.0 * np.arange(1.0, 6.0)) * inverse

    def __call__(self, r):
        """(h (sums, n), dh/dr (sums, n)) read from the table at distances r (n,) in [r_start, r_out), as the plugin
        reads them (h from the coefficients, dh/dr as r times the slope polynomial)."""
        r = np.asarray(r, dtype=float)
        s = r * r
        m = (s[:, None] >= np.array(self.starts[1:])).sum(axis=1)
        x = (s - np.array(self.starts)[m]) * np.array(self.inverse_steps)[m]
        offsets = np.array(self.offsets)
        i = np.minimum(x.astype(np.int64), offsets[m + 1] - offsets[m] - 1)
        t = x - i
        row = offsets[m] + i
        c = np.moveaxis(self.coefficients[row], 0, -1)  # (sums, 6, n)
        d = np.moveaxis(self.slope_coefficients[row], 0, -1)  # (sums, 5, n)
        h = c[:, 0] + t * (c[:, 1] + t * (c[:, 2] + t * (c[:, 3] + t * (c[:, 4] + t * c[:, 5]))))
        slope = d[:, 0] + t * (d[:, 1] + t * (d[:, 2] + t * (d[:, 3] + t * d[:, 4])))
        return h, slope * r


def tabulate_pairs(layout, r_in, r_out):
    """The PairTable of the pair functions `layout.pairs` (an export.sum_layout.SumLayout: the plugin's order; sum
    nodes, with or without the smooth cutoff), cutoff r_in, r_out (Å); TableError when no table of up to
    MAX_INTERVALS meets the bounds."""
    pairs = list(layout.pairs)
    nearest = min(nearest_neighbour_distance(element) for element in layout.elements)
    neighbours, weights = _sensitivity(layout, r_in, r_out, nearest)
    bounds = segment_bounds(r_in, r_out, CLOSEST * nearest)
    segments = [_segment(pairs, r_in, r_out, low, high, first, neighbours, weights)
                for first, (low, high) in zip([True] + [False] * len(bounds), zip(bounds, bounds[1:]))]
    offsets = np.cumsum([0] + [len(segment.coefficients) for segment in segments])
    if offsets[-1] > MAX_INTERVALS:
        raise TableError(f"the table needs {offsets[-1]} intervals, more than {MAX_INTERVALS}: export it with "
                         f"exact=True (--exact)")
    return PairTable(tuple(s.starts[0] for s in segments), tuple(s.steps[0] for s in segments),
                     tuple(int(o) for o in offsets), np.concatenate([s.coefficients for s in segments]),
                     np.max([s.value_error for s in segments], axis=0),
                     np.max([s.slope_error for s in segments], axis=0),
                     max(s.energy_error for s in segments), max(s.force_error for s in segments), neighbours, weights)


def segment_bounds(r_in, r_out, r_close):
    """[s_close, cuts..., r_out²] (Å²): the cuts are r_in² × 2^m (r_out² × 2^m when r_in = 0) between r_close² and
    r_out²; the first segment's table starts at a node at or below r_close² (module note)."""
    anchor = r_in * r_in if r_in > 0.0 else r_out * r_out
    low, high = r_close * r_close, r_out * r_out
    cuts = [anchor * 2.0 ** m for m in range(-64, 64) if low < anchor * 2.0 ** m < high]
    return [low, *cuts, high]


def _segment(pair_sums, r_in, r_out, low, high, first, neighbours, weights):
    """The one-segment PairTable from `low` to `high` (Å²) meeting the bounds (module note). The grid is laid from
    `high` down; the `first` segment's starts at its last node at or above `low`."""
    band = high - low
    step = band / math.ceil(band / FIRST_STEP)
    while True:
        intervals = math.floor(band / step) if first else round(band / step)
        if intervals > MAX_INTERVALS:
            raise TableError(f"no table of up to {MAX_INTERVALS} intervals meets {ENERGY_BOUND} eV/atom and "
                             f"{FORCE_BOUND} eV/Å (last try: step {2 * step:.3g} Å² in r² near "
                             f"r = {math.sqrt(low):.3g}-{math.sqrt(high):.3g} Å); export it with exact=True (--exact)")
        table = _table(pair_sums, r_in, r_out, high - intervals * step, step, intervals, neighbours, weights)
        if table.energy_error <= ENERGY_BOUND and table.force_error <= FORCE_BOUND:
            return table
        step /= 2.0


def pair_jets(g, r, r_in, r_out, outer=None, cut=True):
    """(h, dh/dr, d²h/dr²) of h = g(r) f(r) at distances r (n,) Å, f the smooth cutoff. `outer` (n,) bool chooses the
    piece of f at each point (default: r > r_in), for the ends of intervals that meet at r_in. Without the cutoff
    (`cut` False: a nocut sum) f ≡ 1, the inner piece everywhere, and g at r_out is its left limit
    (eam_fs.below_cutoff)."""
    r = np.asarray(r, dtype=np.result_type(r, float))  # float64, or np.longdouble kept
    g_jet = jets(g, {R: (r if cut else below_cutoff(r, r_out), np.ones_like(r), np.zeros_like(r))})
    gap = (r_out ** 2 - r_in ** 2) ** 3
    piece = np.polynomial.Polynomial([r_out ** 2 - 3.0 * r_in ** 2, 0.0, 2.0]) \
        * np.polynomial.Polynomial([r_out ** 2, 0.0, -1.0]) ** 2 / gap
    outer = (r > r_in if outer is None else outer) & cut
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
    **{symbol: _unary(p.numpy, *p.jet) for symbol, p in PRIMITIVES.items() if p.arity == 1},
}


def _table(pair_sums, r_in, r_out, start, step, intervals, neighbours, weights):
    """The one-segment PairTable of `intervals` steps of s = r² from `start`, with its errors at the SAMPLES points
    (module note)."""
    left = start + step * np.arange(intervals)
    outer = left >= r_in * r_in - 0.5 * step  # the cutoff's piece on each interval (r_in² is a node)
    coefficients = np.empty((intervals, len(pair_sums), 6))
    for k, node in enumerate(pair_sums):
        ends = [_s_jets(node, s, r_in, r_out, outer) for s in (left, np.append(left[1:], start + step * intervals))]
        (y0, d0, s0), (y1, d1, s1) = ([h, step * dh, step * step * d2h] for h, dh, d2h in ends)
        jump = y1 - y0
        coefficients[:, k] = np.stack([
            y0, d0, 0.5 * s0, 10.0 * jump - 6.0 * d0 - 4.0 * d1 - 0.5 * (3.0 * s0 - s1),
            -15.0 * jump + 8.0 * d0 + 7.0 * d1 + 0.5 * (3.0 * s0 - 2.0 * s1),
            6.0 * jump - 3.0 * (d0 + d1) - 0.5 * (s0 - s1)], axis=1)
    if not np.isfinite(coefficients).all():
        bad = left[~np.isfinite(coefficients).all(axis=(1, 2))][0]
        raise TableError(f"a pair function is not finite near r = {math.sqrt(bad):.6g} Å: export it with exact=True "
                         f"(--exact)")
    table = PairTable((float(start),), (float(step),), (0, intervals), coefficients)
    r = np.sqrt((left[:, None] + step * SAMPLES).ravel())
    h, dh = table(r)
    exact = [pair_jets(node.children[0], r, r_in, r_out, np.repeat(outer, len(SAMPLES)), node.cut)[:2]
             for node in pair_sums]
    value_error = np.abs(h - np.array([exact_h for exact_h, _ in exact]))  # (sums, points)
    slope_error = np.abs(dh - np.array([exact_dh for _, exact_dh in exact]))
    return PairTable(table.starts, table.steps, table.offsets, coefficients, value_error.max(axis=1),
                     slope_error.max(axis=1), float(neighbours * (weights @ value_error).max()),
                     float(2.0 * neighbours * (weights @ slope_error).max()), neighbours, weights)


def _s_jets(node, s, r_in, r_out, outer):
    """(h, dh/ds, d²h/ds²) of the pair function h of the sum `node` (pair_jets) at s = r² (n,) Å²: d/ds = (1/2r) d/dr,
    so dh/ds = h'/2r and d²h/ds² = (h'' − h'/r)/4r². In extended precision (np.longdouble, where the platform has
    one): the quintic's higher coefficients are differences of node values (h(s_i + Δ) − h(s_i) and the like), and
    the table's slope divides them by Δ, so values rounded to double would put eps·|h|/Δ into dh/dr and stop the
    refinement of steep pair functions at a floor."""
    r = np.sqrt(np.asarray(s, dtype=np.longdouble))
    h, dh, d2h = pair_jets(node.children[0], r, r_in, r_out, outer, node.cut)
    return h, dh / (2.0 * r), (d2h - dh / r) / (4.0 * s)


def _sensitivity(layout, r_in, r_out, nearest):
    """(n, w): the most neighbours within r_out and, per pair function p, the largest |∂T_i/∂h_p(r_ij)| of any probe
    atom i and neighbour j (the sum of ∂T_i/∂S_v over the values v of i that h_p of j adds to, export.sum_layout),
    over the probe structures where the atom terms and these derivatives are finite (the bounds hold there; a
    diamond-Si formula may take √ of a negative in fcc); TableError when they are finite on none."""
    found = [probe for probe in (_probe_sensitivity(layout, atoms, r_in, r_out)
                                 for atoms in probe_structures(layout.elements[0], nearest)) if probe is not None]
    if not found:
        raise TableError(f"the atom formula or its derivatives are not finite on any probe structure (fcc, bcc and "
                         f"diamond crystals and an fcc slab, nearest neighbours at {nearest:.3g} Å): export it with "
                         f"exact=True (--exact)")
    return max(n for n, _ in found), np.max([w for _, w in found], axis=0)


def _probe_sensitivity(layout, atoms, r_in, r_out):
    """(n, w) of _sensitivity on one probe structure, whose atoms take the layout's elements in turn; None when an
    atom term or its derivatives are not finite there."""
    n_elements = len(layout.elements)
    element = np.arange(len(atoms)) % n_elements
    centre, neighbour, distance, vector = structure_neighbours(atoms, r_out)
    h = [pair_jets(node.children[0], distance, r_in, r_out, cut=node.cut)[0] for node in layout.pairs]
    three_body = {node: three_body_sums(node, centre, distance, vector, len(atoms), r_in, r_out)
                  for node in layout.triplets}
    weights = np.zeros(len(layout.pairs))
    for t, (term, values) in enumerate(zip(layout.terms, layout.values)):
        running = np.isin(element, [e for e in range(n_elements) if layout.term_of[e] == t])
        s = [np.bincount(centre, h[p] * _of_species(element[neighbour], layout.elements, species),
                         minlength=len(atoms))[running] for p, species in values.sums]
        nodes = [node for node in walk(term) if node.op == "sum"]
        for b in range(n_elements):
            gathers = layout.gathers(layout.term_of.index(t), b)
            for p in {p for _, p in gathers}:
                fed = {v for v, q in gathers if q == p}
                leaves = {node: (s[values.reads(node)[0]], float(values.reads(node)[0] in fed), 0.0)
                          for node in nodes}
                leaves.update({node: (three_body[node][running], 0.0, 0.0)
                               for node in walk(term) if node.op == "sum3"})
                value, slope, _ = jets(term, leaves)
                if not (np.isfinite(value).all() and np.isfinite(slope).all()):
                    return None
                weights[p] = max(weights[p], np.abs(slope).max())
    return int(np.bincount(centre).max()), weights


def three_body_sums(node, centre, distance, vector, n_atoms, r_in, r_out):
    """(n_atoms,) the three-body sum `node`, ½ Σ_{p≠q} h(r_p, r_q, c) f(r_p) f(r_q) (f ≡ 1 when nocut), at each atom
    of a structure, from its pairs (structure_neighbours: centre, distance Å, vector Å, sorted by centre)."""
    first = np.searchsorted(centre, np.arange(n_atoms + 1))
    repeats = np.diff(first)[centre]  # pair p is paired with every pair of its centre
    p = np.repeat(np.arange(len(centre)), repeats)
    q = first[centre[p]] + np.arange(len(p)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    p, q = p[p != q], q[p != q]
    c = np.einsum("ij,ij->i", vector[p], vector[q]) / (distance[p] * distance[q])
    value = jets(node.children[0], {R: (distance[p], 0.0, 0.0), S: (distance[q], 0.0, 0.0), C: (c, 0.0, 0.0)})[0]
    f = pair_jets(const(1.0), distance, r_in, r_out, cut=node.cut)[0]
    return np.bincount(centre[p], 0.5 * value * f[p] * f[q], minlength=n_atoms)


def _of_species(element, elements, species):
    """(n,) bool: which of the atoms of `element` (n,) (indices into `elements`) are of `species` ("": all)."""
    return np.full(len(element), True) if species == "" else element == elements.index(species)
