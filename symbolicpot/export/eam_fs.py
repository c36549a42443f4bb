"""eam/fs tables (LAMMPS setfl files) for formulas of EAM shape, of one element or several.

A formula has EAM shape when the term T_a of each of its elements a (`tree.term_for`) is F_a of one density plus terms
linear in the sums: T_a = F_a(u) + Σ_k c_k S_k with u = Σ_k w_k S_k a sum or a linear combination of sums (sums of the
same pair expression and species count as one), e.g. Sutton–Chen `sum(644.52*r^-9) - sum(527.62*r^-6)^0.5`, or a
Finnis–Sinclair alloy whose Ni atoms embed `sum[Ni](550*r^-6) + sum[Al](400*r^-5)`. LAMMPS's eam/fs computes
E = Σ_i F_{s_i}(ρ_i) + ½ Σ_i Σ_{j≠i} φ_{s_i s_j}(r_ij) with ρ_i = Σ_{j≠i} ρ_{s_i s_j}(r_ij), so with f the smooth cutoff:
- ρ_ab(r) = ±f(r) Σ_k w_k g_k(r), the density at an a-atom from a b-neighbour: the sums of a's density whose species
  filter takes b (`sum[b](g)` or `sum(g)`), with the sign that makes a's densities positive;
- φ_ab(r) = p_ab(r) + p_ba(r), symmetric, where p_ab(r) = f(r) Σ_k c_k g_k(r) over a's linear sums that take b is what
  an a-atom's term gains from a b-neighbour: our full-list sums count each pair from both ends, without ½, so the
  pair energy Σ_i Σ_j p_{s_i s_j}(r_ij) is ½ Σ_i Σ_j φ_{s_i s_j}(r_ij) (one element: φ = 2p);
- F_a(ρ): T_a with the density at ρ and the linear sums at 0, so F_a holds a's constants (energy references).
A sum without the smooth cutoff (`sum[nocut](g)`) enters ρ_ab and φ_ab as g, f ≡ 1: LAMMPS's eam/fs truncates at the
file's cutoff, r_out, as the evaluator does (the formula must vanish there by itself: evaluate.vanishing, checked
before tabulating); at r_out, the end of the r grid, such a g takes its left limit (below_cutoff).

Grids: LAMMPS interpolates each table with its own cubic (PairEAM::interpolate, reproduced in `Spline`), on one ρ grid
for all F_a and one r grid for all ρ_ab and φ_ab. Starting from 1025 points, each grid is doubled until the error it
alone causes in the atom energies (LAMMPS's split) of the probe structures is at most TOLERANCE / 20, and for the r
grid also until an atom with 12 neighbours at the worst place near r_in or r_out errs by at most TOLERANCE / 2: there
the cutoff's second derivative jumps, and the cubic is only second-order accurate. The probes (`probe_structures`:
fcc crystals, and bcc or diamond ones for an element whose crystal in ase is, hot, squeezed and stretched, and an
fcc surface slab) are made of each element alone,
at its nearest-neighbour distance, and, for several elements, of all of them at random (a solid solution at their
mean nearest-neighbour distance).
Ranges: r from 0 to r_out; ρ from 0 to ρ_max, the largest over the elements a and b of the density at an a-atom of fcc
b squeezed to nearest neighbours at CLOSEST × the mean nearest-neighbour distance of a and b (one element: about 20
times the density of its crystal at rest); beyond ρ_max LAMMPS continues F linearly and warns. Where a function is
not finite at the start of its grid (r^-9 at r = 0), the table holds the first finite value.
"""
from dataclasses import dataclass
import math
from pathlib import Path

import ase.build
from ase.data import atomic_numbers, covalent_radii, reference_states
import numpy as np
import sympy

from ..data.neighbours import structure_neighbours
from ..evaluate.vanishing import check_vanishing
from ..expr import PRIMITIVES, Node, format_expression, refuse_three_body, term_for, walk
from ..expr.symbolic import to_sympy

TOLERANCE = 1e-8      # eV/atom, tabulation error allowed
SHELL = 12            # neighbours of a close-packed first shell
CLOSEST = 0.6         # ρ_max: fcc with nearest neighbours at CLOSEST × the elements' nearest-neighbour distance
FIRST_POINTS = 1025   # points of the coarsest grid tried; then 2049, 4097, ...
MAX_POINTS = 2 ** 20 + 1
CUTOFFS = (1.0, 7.0)  # r_out in nearest-neighbour distances (2.55–17.9 Å for Cu; EAM cutoffs are 1.5–3): below,
                      # the crystal has no neighbours; above, over 2000 per atom (the probes' lists would take GBs)
SOLUTION_SEED = 0     # the random species of the probes' solid solutions
# The probes' crystals (probe_structures): lattice -> cubic lattice constant in nearest-neighbour distances, repeats
PROBE_LATTICES = {"fcc": (2 ** 0.5, 3), "bcc": (2 / 3 ** 0.5, 3), "diamond": (4 / 3 ** 0.5, 2)}


class NotEamError(ValueError):
    """A formula without EAM shape, or whose tables cannot be made accurate."""


@dataclass(frozen=True)
class _TermSplit:
    """One element's term T = F(u) + Σ_k c_k S_k with density u = Σ_k w_k S_k: `density` holds the (w_k, sum node)
    and `pair` the (c_k, sum node) of its distinct sums, `is_density` tells per sum of the term, in postfix order,
    whether F reads u there (else 0)."""
    term: Node
    density: tuple
    pair: tuple
    is_density: tuple


def _split(term, element):
    """The _TermSplit of `term`, the formula of the atoms of `element`; NotEamError when it has no EAM shape.
    Derivatives are taken with the constants as exact fractions, so that a density such as S_1 + 0.4 S_2 is found
    whatever the rounding of its coefficients."""
    nodes = [n for n in walk(term) if n.op == "sum"]
    keys = [to_sympy(n) for n in nodes]
    distinct = list(dict.fromkeys(keys))
    symbols = sympy.symbols(f"s:{len(distinct)}")
    atom = to_sympy(term).xreplace(dict(zip(distinct, symbols)))
    atom = atom.xreplace({x: sympy.Rational(x) for x in atom.atoms(sympy.Float)})
    slopes = [sympy.diff(atom, s) for s in symbols]
    nonlinear = [k for k, slope in enumerate(slopes) if slope.free_symbols]
    if nonlinear:
        weights = _density_weights(slopes, symbols, nonlinear[0])
        couplings = [] if weights is None else [slope - w * slopes[nonlinear[0]] for slope, w in zip(slopes, weights)]
    else:
        weights, couplings = [0] * len(symbols), slopes
    if weights is None or any(c.free_symbols for c in couplings):
        names = ", ".join(format_expression(nodes[keys.index(distinct[k])]) for k in nonlinear)
        raise NotEamError(f"no EAM shape: the term of {element} atoms is nonlinear in {names}, and not as F(ρ) of one "
                          f"density ρ, a sum or a linear combination of sums (eam/fs takes F(ρ) plus terms linear in "
                          f"the sums)")
    first = [nodes[keys.index(key)] for key in distinct]
    density_key = distinct[nonlinear[0]] if nonlinear else None
    return _TermSplit(term, tuple((float(w), n) for w, n in zip(weights, first) if w != 0),
                      tuple((float(c), n) for c, n in zip(couplings, first) if c != 0),
                      tuple(key == density_key for key in keys))


def _density_weights(slopes, symbols, k):
    """The weights w_j of the density u = Σ_j w_j S_j (w_k = 1) of T = F(u) + terms linear in the sums, from the
    slopes ∂T/∂S_j as ∂²T/∂S_k∂S_j / ∂²T/∂S_k² = F''(u) w_j / F''(u); None when these are not constants."""
    curvature = sympy.diff(slopes[k], symbols[k])
    if curvature == 0:
        return None
    weights = [sympy.diff(slopes[k], s) / curvature for s in symbols]
    weights = [sympy.simplify(w) if w.free_symbols else w for w in weights]
    return None if any(w.free_symbols for w in weights) else weights


class EamShape:
    """An EAM-shaped formula split, for the elements a, b of its potential, into F_a(ρ), ρ_ab(r) and φ_ab(r) (see
    the module's note); NotEamError for any other formula."""

    def __init__(self, potential):
        self.potential = potential
        self._splits = {a: _split(term_for(potential.tree, a), a) for a in potential.elements}

    def density(self, a, b, r):
        """ρ_ab(r), the density at an a-atom from a b-neighbour, for distances r (Å), an array (zero without a
        density)."""
        return self._combined(self._splits[a].density, b, r)

    def pair(self, a, b, r):
        """φ_ab(r) = p_ab(r) + p_ba(r) (eV) for distances r (Å), an array."""
        return self._combined(self._splits[a].pair, b, r) + self._combined(self._splits[b].pair, a, r)

    def _combined(self, terms, species, r):
        """Σ_k a_k g_k(r) f(r) over the (a_k, sum node) of `terms` whose sums take neighbours of `species`, with f ≡ 1
        for nocut sums (g_k at r_out: its left limit)."""
        return (self.potential.cutoff(r)[0] * _linear(terms, species, r, True)
                + _linear(terms, species, below_cutoff(r, self.potential.r_out), False))

    def embedding(self, a, rho):
        """F_a(ρ) (eV): a's term with its density at ρ (an array) and its linear sums at 0."""
        split = self._splits[a]
        inputs = iter([rho if is_density else 0.0 for is_density in split.is_density])
        return np.broadcast_to(_values(split.term, sum_values=inputs), np.shape(rho))


def _linear(terms, species, r, cut):
    """Σ_k a_k g_k(r) over the (a_k, sum node) of `terms` whose sums take neighbours of `species` and have the smooth
    cutoff (`cut`) or not, r an array."""
    return sum((a * _values(node.children[0], r=r) for a, node in terms
                if node.species in ("", species) and node.cut == cut), np.zeros_like(r))


def below_cutoff(r, r_out):
    """Distances r (an array, Å) with those from r_out on replaced by the longest below it in r's precision: a sum
    without the smooth cutoff (nocut) evaluated at r_out, where a table ends, takes its left limit, its value at the
    longest bond the neighbour tests (r < r_out) let in."""
    return np.minimum(r, np.nextafter(r.dtype.type(r_out), r.dtype.type(0.0)))


class Spline:
    """A function tabulated on n points of [0, span] and read back as LAMMPS's eam styles read their tables."""

    def __init__(self, function, span, n, name):
        self.delta = float(span) / (n - 1)
        x = np.linspace(0.0, span, n)
        with np.errstate(all="ignore"):
            f = np.array(function(x), dtype=float)
        finite = np.isfinite(f)
        start = finite.argmax()
        if not finite[start:].all():
            raise NotEamError(f"{name} = {x[start:][~finite[start:]][0]:.6g} is not finite")
        f[:start] = f[start]  # e.g. r^-9 at r = 0
        self.values = f
        # PairEAM::interpolate: spline[m][5] is the slope per grid step, [3] and [4] the cubic's upper coefficients.
        slope = np.empty_like(f)
        slope[[0, 1, -2, -1]] = f[1] - f[0], 0.5 * (f[2] - f[0]), 0.5 * (f[-1] - f[-3]), f[-1] - f[-2]
        slope[2:-2] = ((f[:-4] - f[4:]) + 8.0 * (f[3:-1] - f[1:-3])) / 12.0
        step = f[1:] - f[:-1]
        self._cubic = (slope[:-1] + slope[1:] - 2.0 * step, 3.0 * step - 2.0 * slope[:-1] - slope[1:], slope[:-1],
                       f[:-1])

    def __call__(self, x):
        """Table values at x >= 0 (an array), the last interval's cubic at its end beyond the table."""
        m = np.minimum((x / self.delta).astype(np.int64), len(self.values) - 2)
        p = np.minimum(x / self.delta - m, 1.0)
        c3, c4, c5, c6 = (c[m] for c in self._cubic)
        return ((c3 * p + c4) * p + c5) * p + c6


@dataclass(frozen=True)
class Tables:
    """A setfl's content for the potential's elements a, b (in its order): `embedding[a]` F_a on ρ = k·drho,
    `density[a][b]` ρ_ab(r) and `r_phi[a][b]` r·φ_ab(r) (eV·Å) on r = k·dr, and the estimated error."""
    embedding: tuple
    density: tuple
    r_phi: tuple
    error_estimate: float  # eV/atom: the largest atom-energy error on the probes plus the worst case at the kinks


def tabulate(potential, tolerance=TOLERANCE):
    """The eam/fs tables of an EAM-shaped `potential` (see the module's note on grids and ranges)."""
    try:
        return _tabulate(potential, tolerance)
    except NotEamError as error:
        raise NotEamError(f"{potential.formula}: {error}") from None


def _tabulate(potential, tolerance):
    refuse_three_body(potential.tree, "eam/fs export")
    check_vanishing(potential.tree, potential.r_out)
    shape, elements, r_out = EamShape(potential), potential.elements, potential.r_out
    d = {a: nearest_neighbour_distance(a) for a in elements}
    for a in elements:
        low, high = (k * d[a] for k in CUTOFFS)
        if not low < r_out <= high:
            raise NotEamError(f"r_out = {r_out!r} Å: eam/fs tables of {a} are made for cutoffs from {low:.3g} to "
                              f"{high:.3g} Å ({CUTOFFS[0]:g} to {CUTOFFS[1]:g} nearest-neighbour distances)")
    closest = {(a, b): CLOSEST * (d[a] + d[b]) / 2 for a in elements for b in elements}
    sign = {a: _density_sign(shape, a, closest, r_out) for a in elements}
    rho_max = max(sign[a] * shape.density(a, b, _fcc_distances(a, closest[a, b], r_out)).sum()
                  for a in elements for b in elements)
    rho_max = rho_max if rho_max > 0.0 else 1.0  # no density sum: F is a constant
    pairs = [(a, b) for a in elements for b in elements]  # (a, b) at a·len(elements) + b, as in LAMMPS
    embedding = [lambda rho, a=a: shape.embedding(a, sign[a] * rho) for a in elements]
    density = [lambda r, a=a, b=b: sign[a] * shape.density(a, b, r) for a, b in pairs]
    r_phi = [lambda r, a=a, b=b: r * shape.pair(a, b, r) for a, b in pairs]

    probes = _Probes(elements, d, r_out, embedding, density, r_phi)
    n_rho = _refine(lambda n: 20 * probes.error(embedding=[Spline(f, rho_max, n, "F at ρ") for f in embedding])
                    / tolerance, "F")
    f = [Spline(function, rho_max, n_rho, "F at ρ") for function in embedding]
    slope = []  # eV per unit density: the steepest F_a where the probes' a-atoms are
    for k, table in enumerate(f):
        rho = probes.rho[probes.element == k]
        seen = slice(int(rho.min() / table.delta), int(rho.max() / table.delta) + 2)
        slope.append(np.abs(np.gradient(table.values, table.delta)[seen]).max())

    def pair_tables(n):
        return ([Spline(function, r_out, n, "ρ at r") for function in density],
                [Spline(function, r_out, n, "φ at r") for function in r_phi])

    def kink_error(rho_r, r_phi_r):
        """Error (eV) of an atom with SHELL neighbours at the worst place within 3 grid steps of r_in or r_out, where
        the cutoff's second derivative jumps and LAMMPS's cubic is least accurate."""
        x = np.concatenate([k + np.linspace(-3.0, 3.0, 385) * rho_r[0].delta for k in (potential.r_in, r_out)])
        x = x[(x > 0.0) & (x < r_out)]
        return SHELL * max(np.max(slope[p // len(elements)] * np.abs(rho_r[p](x) - density[p](x))
                                  + 0.5 * np.abs(r_phi_r[p](x) - r_phi[p](x)) / x) for p in range(len(pairs)))

    def pair_error(n):
        rho_r, r_phi_r = pair_tables(n)
        return max(20 * probes.error(density=rho_r, r_phi=r_phi_r), 2 * kink_error(rho_r, r_phi_r)) / tolerance
    rho_r, r_phi_r = pair_tables(_refine(pair_error, "ρ(r) and φ(r)"))
    rows = range(0, len(pairs), len(elements))
    return Tables(tuple(f), tuple(tuple(rho_r[p:p + len(elements)]) for p in rows),
                  tuple(tuple(r_phi_r[p:p + len(elements)]) for p in rows),
                  probes.error(f, rho_r, r_phi_r) + float(kink_error(rho_r, r_phi_r)))


def write_setfl(potential, path, tables=None):
    """Write the setfl file of `potential` for `pair_style eam/fs` to `path`; returns the Tables written. Its elements
    come in the potential's order; the block of element b holds F_b and the densities ρ_ab at each element a from a
    b-neighbour (LAMMPS reads the j-th density of block i as element i's at element j), then r·φ_ab for b ≤ a."""
    tables = tabulate(potential) if tables is None else tables
    elements = potential.elements
    formula = potential.formula if len(potential.formula) < 900 else "(too long for LAMMPS's 1024-character lines)"
    f, rho = tables.embedding[0], tables.density[0][0]
    lines = [
        f"symbolicpot eam/fs: {formula}",
        f"E = sum_i F(rho_i) + 1/2 sum_i sum_(j!=i) phi(r_ij); POET smooth cutoff from {potential.r_in!r} to "
        f"{potential.r_out!r} A",
        f"F tabulated up to rho = {(len(f.values) - 1) * f.delta:.6g} (linear beyond); estimated tabulation error "
        f"{tables.error_estimate:.1e} eV/atom",
        f"{len(elements)} {' '.join(elements)}",
        f"{len(f.values)} {f.delta!r} {len(rho.values)} {rho.delta!r} {potential.r_out!r}"]
    for b, (element, mass) in enumerate(zip(elements, potential.masses)):
        z = atomic_numbers[element]
        lattice = reference_states[z] or {}
        lines.append(f"{z} {mass!r} {float(lattice.get('a', 0.0))!r} {lattice.get('symmetry', 'none')}")
        lines += _value_lines([tables.embedding[b], *(at_a[b] for at_a in tables.density)])
    lines += _value_lines([tables.r_phi[a][b] for a in range(len(elements)) for b in range(a + 1)])
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")
    return tables


def _value_lines(tables):
    """The values of `tables` (Splines), five a line, each table starting a line."""
    return [" ".join(f"{v:.16e}" for v in table.values[k:k + 5])
            for table in tables for k in range(0, len(table.values), 5)]


def probe_structures(element, d):
    """Structures where tables are checked: crystals of the element with nearest neighbours at d Å, fcc (108 atoms)
    and the element's own lattice in ase when it is bcc (54) or diamond (64), each at rest with 0.04 d rattle and
    squeezed and stretched by 5 % with 0.08 d rattle, and an fcc (100) slab. (Every lattice for every element would
    probe a copper model in diamond Cu, where an embedding's √ of a nearly vanishing sum weighs the tables' errors
    beyond what they can meet, and Sutton–Chen's eam/fs F grid would double.)"""
    structures = [ase.build.fcc100(element, (3, 3, 5), a=d * 2 ** 0.5, vacuum=6.0, periodic=True)]
    states = [(1.0, 0.04), (0.95, 0.08), (1.05, 0.08)]  # (scale, rattle in d)
    own = own_lattice(element)
    lattices = ["fcc"] + ([own] if own in PROBE_LATTICES and own != "fcc" else [])
    for seed, (lattice, (scale, rattle)) in enumerate((lattice, state) for lattice in lattices for state in states):
        a, repeat = PROBE_LATTICES[lattice]
        crystal = ase.build.bulk(element, lattice, a=scale * a * d, cubic=True).repeat(repeat)
        crystal.rattle(rattle * d, seed=seed)
        structures.append(crystal)
    return structures


def alloy_probe_structures(elements, d):
    """probe_structures of each of `elements` alone at its nearest-neighbour distance d[element] (Å) and, for several,
    of all of them at their mean one, each atom's species drawn at random (a solid solution)."""
    mixtures = dict.fromkeys([(a,) for a in elements] + [tuple(elements)])
    rng = np.random.default_rng(SOLUTION_SEED)
    structures = []
    for mixture in mixtures:
        for atoms in probe_structures(mixture[0], sum(d[a] for a in mixture) / len(mixture)):
            atoms.symbols = rng.choice(mixture, len(atoms))
            structures.append(atoms)
    return structures


class _Probes:
    """Atom energies of the probe structures in LAMMPS's split, F_a(ρ_i) + ½ Σ_j φ_ab(r_ij), exactly and through
    tables; `embedding` holds a function per element, `density` and `r_phi` one per pair of elements (a, b), in the
    order a·(number of elements) + b."""

    def __init__(self, elements, d, cutoff, embedding, density, r_phi):
        structures = alloy_probe_structures(elements, d)
        lists = [structure_neighbours(atoms, cutoff) for atoms in structures]
        offsets = np.cumsum([0] + [len(atoms) for atoms in structures])
        self.element = np.array([elements.index(s) for atoms in structures for s in atoms.get_chemical_symbols()])
        self.centre = np.concatenate([i + offset for (i, _, _, _), offset in zip(lists, offsets)])
        neighbour = np.concatenate([j + offset for (_, j, _, _), offset in zip(lists, offsets)])
        self.pair = self.element[self.centre] * len(elements) + self.element[neighbour]
        self.distance = np.concatenate([distance for _, _, distance, _ in lists])
        self.functions = (embedding, density, r_phi)
        self.rho = np.bincount(self.centre, _each(density, self.pair, self.distance))
        self.exact = self._atom_energies(*self.functions)

    def error(self, embedding=None, density=None, r_phi=None):
        """Largest |atom energy − exact| (eV) with the functions given (tables) in place of the exact ones."""
        given = [exact if new is None else new for new, exact in zip((embedding, density, r_phi), self.functions)]
        return float(np.abs(self._atom_energies(*given) - self.exact).max())

    def _atom_energies(self, embedding, density, r_phi):
        n = self.centre.max() + 1
        rho = np.bincount(self.centre, _each(density, self.pair, self.distance), minlength=n)
        return _each(embedding, self.element, rho) + np.bincount(
            self.centre, 0.5 * _each(r_phi, self.pair, self.distance) / self.distance, minlength=n)


def _each(functions, keys, x):
    """functions[k](x) where keys == k, for each k: `keys` (integers) and `x` arrays of one shape."""
    out = np.empty_like(x)
    for k, function in enumerate(functions):
        chosen = keys == k
        out[chosen] = function(x[chosen])
    return out


def _values(node, r=None, sum_values=None):
    """`node` evaluated elementwise with numpy: `r` (Å) for r, next(sum_values) for each sum in postfix order."""
    if node.op == "const":
        return node.value
    if node.op == "r":
        return r
    if node.op == "sum":
        return next(sum_values)
    with np.errstate(all="ignore"):
        return PRIMITIVES[node.op].numpy(*(_values(child, r, sum_values) for child in node.children))


def _refine(error, what):
    """The first n of FIRST_POINTS, 2 FIRST_POINTS − 1, ... whose error(n), relative to what is allowed, is <= 1."""
    n = FIRST_POINTS
    while not (value := error(n)) <= 1.0:
        if n >= MAX_POINTS or not math.isfinite(value):
            raise NotEamError(f"{what}: no table of up to {MAX_POINTS} points is accurate enough "
                              f"({value:.3g} times the error allowed)")
        n = 2 * n - 1
    return n


def _density_sign(shape, a, closest, r_out):
    """+1 or −1, the sign of the densities ρ_ab(r) at a-atoms on [closest[a, b], r_out] (Å) for every b (LAMMPS's
    density tables start at ρ = 0)."""
    with np.errstate(all="ignore"):
        rho = np.concatenate([shape.density(a, b, np.linspace(closest[a, b], r_out, 4096))
                              for b in shape.potential.elements])
    if (rho >= 0.0).all():
        return 1.0
    if (rho <= 0.0).all():
        return -1.0
    r_min = min(closest[a, b] for b in shape.potential.elements)
    raise NotEamError(f"the density function changes sign (or is not finite) at {a} atoms between {r_min:.3g} and "
                      f"{r_out:.3g} Å, and eam/fs densities start at 0")


def own_lattice(element):
    """The element's crystal structure in ase's reference data ('fcc', 'bcc', 'diamond', 'hcp', ...; None without)."""
    return (reference_states[atomic_numbers[element]] or {}).get("symmetry")


def nearest_neighbour_distance(element):
    """d (Å): the nearest-neighbour distance of the element's crystal in ase, else twice its covalent radius."""
    try:
        crystal = ase.build.bulk(element).repeat(2)
    except ValueError:  # no crystal reference data (e.g. H, N, O: diatomic)
        return 2.0 * float(covalent_radii[atomic_numbers[element]])
    distances = crystal.get_all_distances(mic=True)
    return float(distances[distances > 0.0].min())


def mixed_fcc_lattice_constant(elements):
    """a (Å) of an fcc crystal whose nearest neighbours sit at the mean nearest-neighbour distance of `elements`."""
    return sum(nearest_neighbour_distance(element) for element in elements) / len(elements) * 2 ** 0.5


def _fcc_distances(element, nearest, cutoff):
    """Distances (Å) from an atom of fcc `element` with nearest neighbours at `nearest` Å to all within `cutoff`."""
    return structure_neighbours(ase.build.bulk(element, "fcc", a=nearest * 2 ** 0.5), cutoff)[2]
