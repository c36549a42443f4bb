"""eam/fs tables (LAMMPS setfl files) for formulas of EAM shape.

A formula has EAM shape when its atom term is linear in every sum but at most one, the density sum S_ρ:
T_i = F(S_ρ(i)) + Σ_k a_k S_k(i), e.g. Sutton–Chen `sum(644.52*r^-9) - sum(527.62*r^-6)^0.5` (sums of the same pair
expression count as one). LAMMPS's eam/fs computes E = Σ_i F(ρ_i) + ½ Σ_{i≠j} φ(r_ij) with ρ_i = Σ_{j≠i} ρ(r_ij), so
the tables hold F(ρ), ρ(r) = ±g_ρ(r) f(r) (the sign that makes densities positive) and r·φ(r) with
φ(r) = 2 f(r) Σ_k a_k g_k(r), f the smooth cutoff.

Grids: LAMMPS interpolates each table with its own cubic (PairEAM::interpolate, reproduced in `Spline`). Starting from
1025 points, each grid is doubled until the error it alone causes in the atom energies of the probe structures (the
element's fcc crystal, hot, squeezed and stretched, and a surface slab) is at most TOLERANCE / 20, and for the r grid
also until an atom with 12 neighbours at the worst place near r_in or r_out errs by at most TOLERANCE / 2: there the
cutoff's second derivative jumps, and the cubic is only second-order accurate.
Ranges: r from 0 to r_out; ρ from 0 to ρ_max, the density of fcc squeezed to nearest neighbours at CLOSEST × the
element's nearest-neighbour distance (about 20 times the density of the crystal at rest); beyond ρ_max LAMMPS
continues F linearly and warns. Where a function is not finite at the start of its grid (r^-9 at r = 0), the table
holds the first finite value.
"""
from dataclasses import dataclass
import math
from pathlib import Path

import ase.build
from ase.data import atomic_numbers, covalent_radii, reference_states
import numpy as np
import sympy

from ..data.neighbours import structure_neighbours
from ..expr import PRIMITIVES, format_expression, refuse_three_body, species_named, sums
from ..expr.symbolic import Sum_j, to_sympy

TOLERANCE = 1e-8      # eV/atom, tabulation error allowed
SHELL = 12            # neighbours of a close-packed first shell
CLOSEST = 0.6         # ρ_max: fcc with nearest neighbours at CLOSEST × the element's nearest-neighbour distance
FIRST_POINTS = 1025   # points of the coarsest grid tried; then 2049, 4097, ...
MAX_POINTS = 2 ** 20 + 1
CUTOFFS = (1.0, 7.0)  # r_out in nearest-neighbour distances (2.55–17.9 Å for Cu; EAM cutoffs are 1.5–3): below,
                      # the crystal has no neighbours; above, over 2000 per atom (the probes' lists would take GBs)


class NotEamError(ValueError):
    """A formula without EAM shape, or whose tables cannot be made accurate."""


class EamShape:
    """An EAM-shaped formula split into F(ρ), ρ(r) and φ(r); NotEamError for any other formula."""

    def __init__(self, potential):
        self.potential = potential
        pair_expressions = sums(potential.tree)
        keys = [to_sympy(g) for g in pair_expressions]
        distinct = list(dict.fromkeys(keys))
        symbols = sympy.symbols(f"s:{len(distinct)}")
        atom = to_sympy(potential.tree).xreplace({Sum_j(key): s for key, s in zip(distinct, symbols)})
        slopes = [sympy.diff(atom, s) for s in symbols]
        nonlinear = [k for k, slope in enumerate(slopes) if slope.free_symbols & set(symbols)]
        if len(nonlinear) > 1:
            names = ", ".join(f"sum({format_expression(pair_expressions[keys.index(distinct[k])])})"
                              for k in nonlinear)
            raise NotEamError(f"no EAM shape: the atom term must be linear in every sum but one (the density), and "
                              f"it is nonlinear in {names}")
        density_key = distinct[nonlinear[0]] if nonlinear else None
        self._is_density = [key == density_key for key in keys]  # per sum, in postfix order
        self._density = next((g for g, key in zip(pair_expressions, keys) if key == density_key), None)
        self._pair_terms = [(float(slopes[k]), pair_expressions[keys.index(key)])
                            for k, key in enumerate(distinct) if k not in nonlinear and slopes[k] != 0]

    def density(self, r):
        """ρ(r) = g_ρ(r) f(r) for distances r (Å), an array; zero without a density sum."""
        if self._density is None:
            return np.zeros_like(r)
        return _values(self._density, r=r) * self.potential.cutoff(r)[0]

    def pair(self, r):
        """φ(r) = 2 f(r) Σ_k a_k g_k(r) (eV) for distances r (Å), an array."""
        return 2.0 * self.potential.cutoff(r)[0] * sum((a * _values(g, r=r) for a, g in self._pair_terms),
                                                      np.zeros_like(r))

    def embedding(self, rho):
        """F(ρ) (eV): the atom term with the density sum at ρ (an array) and the linear sums at 0."""
        inputs = iter([rho if is_density else 0.0 for is_density in self._is_density])
        return np.broadcast_to(_values(self.potential.tree, sum_values=inputs), np.shape(rho))


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
    """A setfl's content: F on ρ = k·drho, ρ(r) and r·φ(r) (eV·Å) on r = k·dr, and the estimated error."""
    embedding: Spline
    density: Spline
    r_phi: Spline
    error_estimate: float  # eV/atom: the largest atom-energy error on the probes plus the worst case at the kinks


def tabulate(potential, tolerance=TOLERANCE):
    """The eam/fs tables of an EAM-shaped `potential` (see the module's note on grids and ranges)."""
    try:
        return _tabulate(potential, tolerance)
    except NotEamError as error:
        raise NotEamError(f"{potential.formula}: {error}") from None


def _tabulate(potential, tolerance):
    refuse_three_body(potential.tree, "eam/fs export")
    named = species_named(potential.tree)
    if named:
        raise NotEamError(f"eam/fs export does not take alloy formulas yet (this one names {', '.join(named)}); the "
                          "ASE calculator and the LAMMPS plugin (--format lammps) take them")
    element = potential.single_element("eam/fs export")
    shape = EamShape(potential)
    d, r_out = nearest_neighbour_distance(element), potential.r_out
    low, high = (k * d for k in CUTOFFS)
    if not low < r_out <= high:
        raise NotEamError(f"r_out = {r_out!r} Å: eam/fs tables of {element} are made for cutoffs from "
                          f"{low:.3g} to {high:.3g} Å ({CUTOFFS[0]:g} to {CUTOFFS[1]:g} nearest-neighbour distances)")
    sign = _density_sign(shape, CLOSEST * d, r_out)
    rho_max = sign * shape.density(_fcc_distances(element, CLOSEST * d, r_out)).sum()
    rho_max = rho_max if rho_max > 0.0 else 1.0  # no density sum: F is a constant

    def embedding(rho):
        return shape.embedding(sign * rho)

    def density(r):
        return sign * shape.density(r)

    def r_phi(r):
        return r * shape.pair(r)

    probes = _Probes(element, d, r_out, embedding, density, r_phi)
    n_rho = _refine(lambda n: 20 * probes.error(embedding=Spline(embedding, rho_max, n, "F at ρ")) / tolerance, "F")
    f = Spline(embedding, rho_max, n_rho, "F at ρ")
    seen = slice(int(probes.rho.min() / f.delta), int(probes.rho.max() / f.delta) + 2)
    slope = np.abs(np.gradient(f.values, f.delta)[seen]).max()  # eV per unit density

    def pair_tables(n):
        return Spline(density, r_out, n, "ρ at r"), Spline(r_phi, r_out, n, "φ at r")

    def kink_error(rho_r, r_phi_r):
        """Error (eV) of an atom with SHELL neighbours at the worst place within 3 grid steps of r_in or r_out, where
        the cutoff's second derivative jumps and LAMMPS's cubic is least accurate."""
        x = np.concatenate([k + np.linspace(-3.0, 3.0, 385) * rho_r.delta for k in (potential.r_in, r_out)])
        x = x[(x > 0.0) & (x < r_out)]
        return SHELL * np.max(slope * np.abs(rho_r(x) - density(x)) + 0.5 * np.abs(r_phi_r(x) - r_phi(x)) / x)

    def pair_error(n):
        rho_r, r_phi_r = pair_tables(n)
        return max(20 * probes.error(density=rho_r, r_phi=r_phi_r), 2 * kink_error(rho_r, r_phi_r)) / tolerance
    rho_r, r_phi_r = pair_tables(_refine(pair_error, "ρ(r) and φ(r)"))
    return Tables(f, rho_r, r_phi_r, probes.error(f, rho_r, r_phi_r) + float(kink_error(rho_r, r_phi_r)))


def write_setfl(potential, path, tables=None):
    """Write the setfl file of `potential` for `pair_style eam/fs` to `path`; returns the Tables written."""
    tables = tabulate(potential) if tables is None else tables
    element = potential.single_element("eam/fs export")
    z = atomic_numbers[element]
    lattice = reference_states[z] or {}
    formula = potential.formula if len(potential.formula) < 900 else "(too long for LAMMPS's 1024-character lines)"
    f, rho, r_phi = tables.embedding, tables.density, tables.r_phi
    header = [
        f"symbolicpot eam/fs: {formula}",
        f"E = sum_i F(rho_i) + 1/2 sum_i sum_(j!=i) phi(r_ij); POET smooth cutoff from {potential.r_in!r} to "
        f"{potential.r_out!r} A",
        f"F tabulated up to rho = {(len(f.values) - 1) * f.delta:.6g} (linear beyond); estimated tabulation error "
        f"{tables.error_estimate:.1e} eV/atom",
        f"1 {element}",
        f"{len(f.values)} {f.delta!r} {len(rho.values)} {rho.delta!r} {potential.r_out!r}",
        f"{z} {potential.masses[0]!r} {float(lattice.get('a', 0.0))!r} {lattice.get('symmetry', 'none')}"]
    lines = [" ".join(f"{v:.16e}" for v in table.values[k:k + 5])
             for table in (f, rho, r_phi) for k in range(0, len(table.values), 5)]
    Path(path).write_text("\n".join(header + lines) + "\n", encoding="ascii")
    return tables


def probe_structures(element, d):
    """Structures where tables are checked: fcc crystals of the element (108 atoms, nearest neighbours at d Å) at rest
    with 0.04 d rattle, squeezed and stretched by 5 % with 0.08 d rattle, and a (100) slab."""
    structures = [ase.build.fcc100(element, (3, 3, 5), a=d * 2 ** 0.5, vacuum=6.0, periodic=True)]
    for seed, (scale, rattle) in enumerate([(1.0, 0.04), (0.95, 0.08), (1.05, 0.08)]):
        crystal = ase.build.bulk(element, "fcc", a=scale * d * 2 ** 0.5, cubic=True).repeat(3)
        crystal.rattle(rattle * d, seed=seed)
        structures.append(crystal)
    return structures


class _Probes:
    """Atom energies of the probe structures, exactly and through tables."""

    def __init__(self, element, d, cutoff, embedding, density, r_phi):
        structures = probe_structures(element, d)
        lists = [structure_neighbours(atoms, cutoff) for atoms in structures]
        offsets = np.cumsum([0] + [len(atoms) for atoms in structures])
        self.centre = np.concatenate([i + offset for (i, _, _, _), offset in zip(lists, offsets)])
        self.distance = np.concatenate([distance for _, _, distance, _ in lists])
        self.functions = (embedding, density, r_phi)
        self.rho = np.bincount(self.centre, density(self.distance))
        self.exact = self._atom_energies(*self.functions)

    def error(self, embedding=None, density=None, r_phi=None):
        """Largest |atom energy − exact| (eV) with the functions given (tables) in place of the exact ones."""
        given = [exact if new is None else new for new, exact in zip((embedding, density, r_phi), self.functions)]
        return float(np.abs(self._atom_energies(*given) - self.exact).max())

    def _atom_energies(self, embedding, density, r_phi):
        n = self.centre.max() + 1
        rho = np.bincount(self.centre, density(self.distance), minlength=n)
        return embedding(rho) + np.bincount(self.centre, 0.5 * r_phi(self.distance) / self.distance, minlength=n)


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


def _density_sign(shape, r_min, r_out):
    """+1 or −1, the sign of ρ(r) on [r_min, r_out] (Å) (LAMMPS's density tables start at ρ = 0)."""
    with np.errstate(all="ignore"):
        rho = shape.density(np.linspace(r_min, r_out, 4096))
    if (rho >= 0.0).all():
        return 1.0
    if (rho <= 0.0).all():
        return -1.0
    raise NotEamError(f"the density function changes sign (or is not finite) between {r_min:.3g} and {r_out:.3g} Å, "
                      f"and eam/fs densities start at 0")


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
