"""The `lammps` export: generated C++ pair style compiled into a plugin, checked against the Python evaluator.

Agreement is relative to each structure's own scale: energies to Σ_i|T_i|, atom energies to max|T_i|, virials W
(eV) to max(max|W|, Σ_i|T_i|), forces to max(max|F|, that virial scale / (N·r_out)) — the size of the pair forces,
which cancel in symmetric cells (there both sides hold only rounding noise of the pair terms).
Plugins are compiled once per session (in parallel), each under a style name hashed from its formula and mode.
Tabulated plugins (the default export) must agree within the bounds the tables are refined to
(pair_tables.ENERGY_BOUND per atom, FORCE_BOUND per force component) on top of that rounding tolerance.
"""
import hashlib
import math
import os
import shutil
import subprocess
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import ase.build
import ase.io
import numpy as np
import pytest

from symbolicpot.data import Dataset, load
from symbolicpot.evaluate import Cutoff, Evaluator, EV_PER_A3_IN_GPA, kernels
from symbolicpot.expr import (PRIMITIVES, ExpressionError, call, constants, distinct_sums, format_expression,
                              parse_expression, sums)
from symbolicpot.expr.compile import compile_formula
from symbolicpot.export.cxx_formula import atom_code, pair_code
from symbolicpot.export.lammps import (LammpsBuildError, build_plugin, export_lammps, pair_style_source,
                                       plugin_file_name)
from symbolicpot.export.lammps_plugins import ENVIRONMENT_VARIABLE
from symbolicpot.export.lammps_runtime import lammps_available, new_lammps
from symbolicpot.export.pair_tables import ENERGY_BOUND, FORCE_BOUND, TableError, pair_jets, tabulate_pairs
from symbolicpot.export.potential import Potential
from symbolicpot.export.sum_layout import SumLayout
from symbolicpot.operators import OperatorConfig, random_formula

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
LENNARD_JONES = "sum(49000*r^-12) - sum(33*r^-6)"
POET_SUTTON_CHEN = "-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.50)"  # POET's find
GP9 = "-0.07682*sum(1) - 69.88*sum(0.1828^r)^0.6961 + 65.76*sum(r^(-4.425))^0.8481 + 0.5827"  # DFT_Cu front models
GP17 = "1368.0*sum(0.03013^r) - 32.99*sum(0.1148^r)^0.6046 - 0.505"
STEEP_AT_R_IN = "sum(exp(-60*(r - 3.02)^2))^0.5 - 0.1*sum(tanh(12*(r - 3.1))) + sum(r^-6)"  # varies fast near r_in
# Si with a √ real only near 4 neighbours (4 bonds within r_out in diamond, 12 in fcc): not finite on the fcc probes
DIAMOND_ONLY = "sum(300*r^-9) - (4.5 - sum(1))^0.5"
DIAMOND_CUTOFF = (2.7, 3.2)
# pair functions without the smooth cutoff (they vanish at r_out = 5 Å by themselves), one also with it
NOCUT_TABLE = "sum[nocut](exp(2/(r - 5))*r^-2) + sum[nocut]((5 - r)^3*r^-4) - (sum((5 - r)^3*r^-4) + sum(r^-6))^0.5"
TOLERANCE = 1e-10
# Alloys: per-species terms of species-filtered sums (a Finnis–Sinclair binary), filtered sums sharing one pair
# function without blocks, per-species terms of sums over all neighbours, inner blocks, three species, one pair
# function read by a filtered and an unfiltered sum of one term, and species that do not interact (a Ni-Al pair
# computes no pair function).
FS_ALLOY = ("Ni: sum[Ni](700*r^-9) + sum[Al](600*r^-8) - (sum[Ni](550*r^-6) + sum[Al](400*r^-5))^0.5; "
            "Al: sum[Ni](600*r^-8) + sum[Al](300*r^-7) - (sum[Ni](450*r^-6) + sum[Al](120*r^-5))^0.5")
SHARED_PAIR = "sum(644.52*r^-9) - (sum[Ni](527.62*r^-6) + 0.4*sum[Al](527.62*r^-6))^0.5"
EMBEDDINGS = "Ni: sum(644.52*r^-9) - sum(527.62*r^-6)^0.5; Al: 0.8*sum(644.52*r^-9) - 0.9*sum(527.62*r^-6)^0.6"
INNER_BLOCKS = ("{Ni: 1; Al: 0.7}*sum(644.52*r^-9) - (sum[Ni](527.62*r^-6) + sum[Al](300*r^-6))^0.5 "
                "+ {Ni: -4.2; Al: -3.1}")
TERNARY = ("Ni: sum(644.52*r^-9) - (sum[Ni](527.62*r^-6) + sum[Al](300*r^-5) + sum[Cu](400*r^-6))^0.5; "
           "Al: sum[Al](500*r^-8) + sum[Ni](600*r^-9) + sum[Cu](600*r^-9) - sum(350*r^-6)^0.5; "
           "Cu: sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
FILTERED_AND_ALL = ("Ni: sum[Ni](700*r^-9) - (sum[Ni](550*r^-6) + 0.3*sum(550*r^-6))^0.5; "
                    "Al: sum(600*r^-8) - sum[Al](120*r^-5)^0.5")
UNMIXED = "Ni: sum[Ni](700*r^-9) - sum[Ni](550*r^-6)^0.5; Al: sum[Al](300*r^-7) - sum[Al](120*r^-5)^0.5"
# sums without the smooth cutoff, filtered by species, one pair function also with the cutoff (sum[Al](g))
NOCUT_ALLOY = ("Ni: sum[Ni, nocut](700*r^-9*exp(2/(r - 5))) + sum[Al](600*r^-8) "
               "- (sum[Ni, nocut]((5 - r)^3*r^-6) + sum[Al]((5 - r)^3*r^-6))^0.5; "
               "Al: sum(600*r^-8) - sum[Ni, nocut]((5 - r)^3*r^-6)^0.5")
ALLOY_TOLERANCE = 1e-12  # rounding: ~80 neighbours' terms summed in another order, each 1e-16 relative: ~1e-14

needs_lammps = pytest.mark.skipif(not lammps_available() or shutil.which(os.environ.get("CXX", "g++")) is None,
                                  reason="needs the lammps[mpi] wheels and g++")


def potential(formula, r_in=3.0, r_out=5.0, elements=("Cu",)):
    return Potential(formula, r_in, r_out, elements)


@pytest.fixture(scope="session")
def plugins(tmp_path_factory):
    """build(formulas, exact=True, elements=("Cu",), cutoff=(3.0, 5.0)) -> {formula: (plugin path, style name)},
    compiling each formula once per session, mode (exact: the formula's pair code; else tables), elements and cutoff
    (r_in, r_out Å)."""
    folder = tmp_path_factory.mktemp("plugins")
    built = {}

    def build_one(key):
        formula, exact, elements, (r_in, r_out) = key
        style = "sp_" + hashlib.blake2b(f"{formula} {exact} {elements} {r_in} {r_out}".encode(),
                                        digest_size=8).hexdigest()
        paths = export_lammps(potential(formula, r_in, r_out, elements), folder / style, style, register=False,
                              exact=exact)
        return paths[1], style

    def build(formulas, exact=True, elements=("Cu",), cutoff=(3.0, 5.0)):
        keys = [(f, exact, tuple(elements), tuple(cutoff)) for f in formulas]
        missing = [key for key in dict.fromkeys(keys) if key not in built]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            built.update(zip(missing, pool.map(build_one, missing)))
        return {key[0]: built[key] for key in keys}
    return build


@pytest.fixture(scope="session")
def dft_cu(poet_data):
    """DFT_Cu structures: every 7th MD snapshot (NVT 300 K, NPT 1400 K), the 13 surface slabs and the 0 K cells."""
    root = poet_data / "DFT_Cu"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    md = load([root / "NVT_FCC_300K", root / "NPT_FCC_1400K", root / "lowIndexSurfaces"])
    picked = [c for c in range(md.n_configs) if md.group[c] == 2 or c % 7 == 0]
    structures = [md.atoms[c] for c in picked]
    structures += [ase.io.read(path, format="vasp") for path in sorted((root / "0K").glob("*.vasp"))]
    return unlabelled(structures)


def unlabelled(structures):
    n, n_atoms = len(structures), sum(len(a) for a in structures)
    return Dataset(tuple(structures), np.full(n, np.nan), np.full((n_atoms, 3), np.nan), np.full((n, 6), np.nan),
                   np.zeros(n, int), ("test",), tuple("test" for _ in structures))


# ------------------------------------------------------------------------------------------- LAMMPS on ase.Atoms

def lammps_cell(cell):
    """(rotation R, LAMMPS box rows) with cell @ R = rows lower-triangular (a along x, b in the xy plane), the tilts
    reduced by lattice vectors into LAMMPS's limits (the same lattice, so the same energies)."""
    a, b, c = np.asarray(cell, dtype=float)
    ax = np.linalg.norm(a)
    bx = b @ a / ax
    by = math.sqrt(b @ b - bx * bx)
    cx = c @ a / ax
    cy = (b @ c - bx * cx) / by
    cz = math.sqrt(c @ c - cx * cx - cy * cy)
    rows = np.array([[ax, 0, 0], [bx, by, 0], [cx, cy, cz]])
    rotation = np.linalg.solve(np.asarray(cell, dtype=float), rows)
    rows[2] -= round(rows[2, 1] / rows[1, 1]) * rows[1]
    rows[2] -= round(rows[2, 0] / rows[0, 0]) * rows[0]
    rows[1] -= round(rows[1, 0] / rows[0, 0]) * rows[0]
    return rotation, rows


def atom_types(atoms, types):
    """The LAMMPS type (from 1) of each atom: `types` names each type's element (pair_coeff's words); atoms of an
    element named by several types take those types in turn."""
    choices = {name: [t + 1 for t, word in enumerate(types) if word == name] for name in types}
    return [choices[name][k % len(choices[name])] for k, name in enumerate(atoms.get_chemical_symbols())]


def run_lammps(structures, plugin, style, types=("Cu",), null=()):
    """Energies (C,) eV, atom energies (N,), forces (N, 3) eV/Å and virials (C, 6) eV (LAMMPS sign: positive when
    repulsive; Voigt order xx yy zz yz xz xy) of `structures` with the plugin's pair style, one LAMMPS process;
    `types`: the element of each atom type (atom_types), pair_coeff's word for it unless it is in `null`: NULL, and
    pair_style hybrid gives those types' pairs to pair_style zero."""
    words = " ".join("NULL" if name in null else name for name in types)
    pair_lines = [f"pair_style {style}", f"pair_coeff * * {words}"] if not null else [
        f"pair_style hybrid {style} zero 5.0", f"pair_coeff * * {style} {words}",
        *(f"pair_coeff * {t + 1} zero" for t, name in enumerate(types) if name in null)]
    energies, atom_energies, forces, virials = [], [], [], []
    lmp = new_lammps()
    try:
        for atoms in structures:
            rotation, rows = lammps_cell(atoms.cell)
            lmp.commands_list([
                "clear", f"plugin load {plugin}", "units metal", "atom_style atomic", "atom_modify map array",
                "boundary p p p",
                "region box prism 0 {!r} 0 {!r} 0 {!r} {!r} {!r} {!r}".format(
                    *map(float, rows[[0, 1, 2, 1, 2, 2], [0, 1, 2, 0, 0, 1]])), f"create_box {len(types)} box"])
            n = len(atoms)
            lmp.create_atoms(n, list(range(1, n + 1)), atom_types(atoms, types),
                             (atoms.positions @ rotation).ravel().tolist())
            lmp.commands_list([
                "mass * 1.0", *pair_lines, "compute pea all pe/atom",
                "compute sa all stress/atom NULL virial", "thermo_style custom step pe pxx pyy pzz pxy pxz pyz",
                "run 0"])
            order = np.argsort(lmp.numpy.extract_atom("id")[:n])
            rotate_back = rotation.T
            energies.append(lmp.get_thermo("pe"))
            atom_energies.append(np.array(lmp.numpy.extract_compute("pea", 1, 1)[:n])[order])
            forces.append(np.array(lmp.numpy.extract_atom("f")[:n])[order] @ rotate_back)
            volume = abs(np.linalg.det(rows))
            pressure = [lmp.get_thermo(k) for k in ("pxx", "pyy", "pzz", "pxy", "pxz", "pyz")]
            w = np.array(pressure) * volume / lmp.extract_global("nktv2p")
            tensor = np.array([[w[0], w[3], w[4]], [w[3], w[1], w[5]], [w[4], w[5], w[2]]])
            tensor = rotation @ tensor @ rotation.T
            virials.append(tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]])
            per_atom = np.array(lmp.numpy.extract_compute("sa", 1, 2)[:n]).sum(axis=0)
            np.testing.assert_allclose(-per_atom[:3], w[:3] * lmp.extract_global("nktv2p"),
                                       rtol=1e-12, atol=1e-12 * np.abs(w).max() * lmp.extract_global("nktv2p"))
    finally:
        lmp.close()
    return np.array(energies), np.concatenate(atom_energies), np.concatenate(forces), np.array(virials)


def assert_agrees(dataset, prediction, lammps_result, r_out=5.0, table=False, tolerance=TOLERANCE):
    """Assert the agreement stated in the module docstring (with `table`, plus the tables' bounds: ENERGY_BOUND per
    atom energy, N·ENERGY_BOUND per energy, FORCE_BOUND per force, and N·r_out·FORCE_BOUND per virial component, as
    W = −½ Σ_i Σ_j r_ij ⊗ F_ij takes each atom's force error at most r_out times); return the largest relative
    difference beyond the tables' bounds."""
    energy, atom_energy, forces, virial = lammps_result
    python_virial = -prediction.stress * np.array([a.get_volume() for a in dataset.atoms])[:, None] / EV_PER_A3_IN_GPA
    offsets = dataset.atom_offsets
    worst = 0.0
    for c in range(dataset.n_configs):
        rows = slice(offsets[c], offsets[c + 1])
        energy_scale = np.abs(prediction.atom_energy[rows]).sum()
        virial_scale = max(np.abs(python_virial[c]).max(), energy_scale)
        n = dataset.n_atoms[c]
        force_scale = max(np.abs(prediction.forces[rows]).max(), virial_scale / (n * r_out))
        e_bound, f_bound = (ENERGY_BOUND, FORCE_BOUND) if table else (0.0, 0.0)
        for error, scale, bound in ((abs(energy[c] - prediction.energy[c]), energy_scale, n * e_bound),
                                    (np.abs(atom_energy[rows] - prediction.atom_energy[rows]).max(),
                                     np.abs(prediction.atom_energy[rows]).max(), e_bound),
                                    (np.abs(forces[rows] - prediction.forces[rows]).max(), force_scale, f_bound),
                                    (np.abs(virial[c] - python_virial[c]).max(), virial_scale, n * r_out * f_bound)):
            assert error <= tolerance * scale + bound, (c, error, scale, bound)
            worst = max(worst, max(error - bound, 0.0) / scale if scale else 0.0)
    return worst


def random_valid_formulas(dataset, n, config, seed=5):
    """`n` random formulas of `config` that evaluate finite on `dataset`, with forces not all zero."""
    rng, evaluator, found = np.random.default_rng(seed), Evaluator(dataset), []
    while len(found) < n:
        tree = random_formula(rng, config)
        prediction = evaluator(tree)
        if prediction.ok and np.abs(prediction.forces).max() > 0.0:
            found.append(format_expression(tree))
    return found


# ------------------------------------------------------------------------------------------------------ the tests

def test_source_holds_only_numbers_and_names_the_exporter_wrote():
    source = pair_style_source(potential("sum(0.1*r^-9 + exp(-r/3)) - (2.5 + sum(r^-6))^0.5 / 3"), "my_style")
    assert "const double t0 = 1.0 / r;" in source and "t0 * t0" in source  # r^-9 by multiplications
    assert "std::pow" not in source.split("inline void pair_terms")[1].split("class PairSymbolic")[0]  # 0.5: sqrt
    assert repr(0.1) in source and repr(1.0 / 3.0) in source  # x/3 is x·(1/3), as the evaluator computes it
    for bad_name in ("a b", "x;system", "9lives", "n/a", ""):
        with pytest.raises(ValueError):
            pair_style_source(potential(SUTTON_CHEN), bad_name)
    bad_element = SimpleNamespace(formula=SUTTON_CHEN, tree=parse_expression(SUTTON_CHEN), r_in=3.0, r_out=5.0,
                                  elements=('Cu"; int x',), masses=None)
    with pytest.raises(ValueError):
        pair_style_source(bad_element, "ok")
    with pytest.raises(ExpressionError):  # a constant part that is not finite
        pair_style_source(potential("sum(r) + log(0 - 1)"), "ok")


@needs_lammps
def test_compiler_failure_shows_the_compiler_output(tmp_path, monkeypatch):
    broken = tmp_path / "broken.cpp"
    broken.write_text("int main( {\n")
    with pytest.raises(LammpsBuildError, match="broken.cpp"):
        build_plugin(broken, tmp_path / "x_plugin.so")
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    with pytest.raises(LammpsBuildError, match="not found"):
        build_plugin(broken, tmp_path / "x_plugin.so")


@needs_lammps
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tables"])
def test_plugin_matches_the_python_evaluator_on_dft_cu(dft_cu, plugins, exact):
    formulas = [SUTTON_CHEN, LENNARD_JONES, POET_SUTTON_CHEN, GP9, GP17, STEEP_AT_R_IN, NOCUT_TABLE,
                *steep_near_r_in(2),
                *random_valid_formulas(dft_cu, 3, OperatorConfig()),
                *random_valid_formulas(dft_cu, 3, OperatorConfig(primitives=tuple(PRIMITIVES)))]
    if not exact:
        formulas = [f for f in formulas if tabulates(f)]
        assert len(formulas) >= 12
    built = plugins(formulas, exact)
    evaluator = Evaluator(dft_cu, Cutoff(3.0, 5.0))
    for formula in formulas:
        prediction = evaluator(parse_expression(formula))
        assert prediction.ok
        plugin, style = built[formula]
        result = run_lammps(dft_cu.atoms, plugin, style)
        worst = assert_agrees(dft_cu, prediction, result, table=not exact)
        energy_error = np.abs(result[1] - prediction.atom_energy).max()
        force_error = np.abs(result[2] - prediction.forces).max()
        print(f"{formula}: relative difference beyond the bounds {worst:.1e}; largest differences "
              f"{energy_error:.1e} eV/atom, {force_error:.1e} eV/Å")


def tabulates(formula):
    """True when the formula's pair functions have tables within the bounds (pair_tables.TableError otherwise)."""
    try:
        tabulate_pairs(SumLayout.of(parse_expression(formula), ("Cu",)), 3.0, 5.0)
    except TableError:
        return False
    return True


def steep_near_r_in(n, seed=11):
    """`n` formulas whose pair functions vary on 0.02-0.07 Å around r_in = 3 Å, where the cutoff's f'' jumps:
    Gaussians exp(−a(r − c)²) and steps tanh(b(r − d))·r^p of random width, place and power."""
    rng, formulas = np.random.default_rng(seed), []
    for _ in range(n):
        a, c, b, d = rng.uniform(100, 1000), rng.uniform(2.9, 3.1), rng.uniform(10, 40), rng.uniform(2.9, 3.1)
        formulas.append(f"(1 + sum(exp({-a!r}*(r - {c!r})^2)))^0.5 - 0.1*sum(tanh({b!r}*(r - {d!r}))*"
                        f"r^{int(rng.integers(-9, -3))})")
    return formulas


def test_tables_match_the_pair_functions_on_random_formulas():
    """Tables of random formulas (every primitive) and of pair functions that vary fast near r_in read back h_k and
    dh_k/dr within the documented bounds (assert_table_within_bounds). NOCUT_TABLE's table holds g itself, its
    e^{2/(r − 5)} taken to its left limit 0 at r_out (g is not finite there)."""
    rng, config = np.random.default_rng(3), OperatorConfig(primitives=tuple(PRIMITIVES))
    trees = [parse_expression(text) for text in (STEEP_AT_R_IN, GP9, "sum(tanh(40*(r - 3)))", "sum(exp(-r))",
                                                 NOCUT_TABLE, *steep_near_r_in(4))]
    while len(trees) < 18:
        tree = random_formula(rng, config)
        if tabulates(format_expression(tree)):
            trees.append(tree)
    for tree in trees:
        assert_table_within_bounds(tree)


def assert_table_within_bounds(tree, elements=("Cu",), cutoff=(3.0, 5.0)):
    """The table of the formula's pair functions meets the documented bounds, checked on a grid 40× denser than the
    refinement's samples.

    How the tolerances follow from the bounds: an atom's energy error is Σ_j Σ_k (∂T/∂S_k) δh_k(r_ij), at most
    n·max_r Σ_k w_k|δh_k(r)| with n neighbours and w_k ≥ |∂T/∂S_k| (the table's `neighbours` and `weights`, taken
    from the probe structures); its force error at most 2n·max_r Σ_k w_k|δh_k'(r)|. The refinement makes these
    ≤ ENERGY_BOUND (1e-9 eV/atom) and FORCE_BOUND (1e-7 eV/Å) at 5 points per interval, which sit at or near the
    extrema of the quintic's error (t = 0.5 for h, t ≈ 0.28, 0.72 for h'): between them the error may exceed the
    sampled one only as far as the sixth derivative varies within an interval, for which the test allows a factor
    2. On top, the rounding of the polynomials is allowed: 1e-15 of the sum of |coefficients| (times r_out for h')."""
    layout = SumLayout.of(tree, elements)
    table = tabulate_pairs(layout, *cutoff)
    assert table.energy_error <= ENERGY_BOUND and table.force_error <= FORCE_BOUND
    ends = (*table.starts[1:], cutoff[1] ** 2)
    s = np.concatenate([np.linspace(start, end, 200 * (b - a), endpoint=False) for start, end, a, b
                        in zip(table.starts, ends, table.offsets, table.offsets[1:])])
    r = np.sqrt(s)
    h, dh = table(r)
    exact = np.array([pair_jets(node.children[0], r, *cutoff, cut=node.cut)[:2] for node in layout.pairs])
    value_rounding = 1e-15 * np.abs(table.coefficients).sum(axis=2).max(axis=0)[:, None]  # (sums, 1)
    slope_rounding = cutoff[1] * 1e-15 * np.abs(table.slope_coefficients).sum(axis=2).max(axis=0)[:, None]
    energy = table.neighbours * (table.weights @ np.maximum(np.abs(h - exact[:, 0]) - value_rounding, 0.0))
    force = 2 * table.neighbours * (table.weights @ np.maximum(np.abs(dh - exact[:, 1]) - slope_rounding, 0.0))
    print(f"{format_expression(tree)}: {energy.max() / ENERGY_BOUND:.2f} and {force.max() / FORCE_BOUND:.2f} "
          f"of the bounds")
    assert energy.max() <= 2.0 * ENERGY_BOUND, (format_expression(tree), energy.max())
    assert force.max() <= 2.0 * FORCE_BOUND, (format_expression(tree), force.max())


def test_tables_leave_out_probe_structures_where_the_formula_is_not_finite():
    """DIAMOND_ONLY takes √ of a negative on the fcc probes: its table's bounds hold on the diamond ones (it
    had no table while the probes were fcc only); a formula finite on no probe is refused, pointing to --exact."""
    assert_table_within_bounds(parse_expression(DIAMOND_ONLY), ("Si",), DIAMOND_CUTOFF)
    with pytest.raises(TableError, match=r"not finite on any probe structure .* export it with exact=True \(--exact"):
        tabulate_pairs(SumLayout.of(parse_expression("sum(r^-9) - (1.5 - sum(1))^0.5"), ("Si",)), *DIAMOND_CUTOFF)


@needs_lammps
def test_a_plugin_tabulated_on_diamond_probes_matches_the_evaluator_on_diamond(plugins):
    """DIAMOND_ONLY's tabulated plugin on rattled diamond Si: within ALLOY_TOLERANCE (rounding) and the tables'
    bounds of the evaluator (assert_agrees)."""
    plugin, style = plugins([DIAMOND_ONLY], False, ("Si",), DIAMOND_CUTOFF)[DIAMOND_ONLY]
    atoms = ase.build.bulk("Si", "diamond", a=5.431, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    dataset = unlabelled([atoms])
    prediction = Evaluator(dataset, Cutoff(*DIAMOND_CUTOFF))(parse_expression(DIAMOND_ONLY))
    assert prediction.ok
    assert_agrees(dataset, prediction, run_lammps([atoms], plugin, style, ("Si",)), r_out=DIAMOND_CUTOFF[1],
                  table=True, tolerance=ALLOY_TOLERANCE)


def test_tables_refuse_pair_functions_they_cannot_hold():
    """Not finite on the table's range (from 0.6 nearest-neighbour distances, 1.53 Å for Cu), or a step 1e-4 Å wide
    (no table of MAX_INTERVALS meets the bounds): TableError, pointing to --exact."""
    for formula, message in (("sum((r - 2)^-0.5)", "not finite near r = 1.53"),
                             ("sum(tanh(10000*(r - 3.5)))", "no table of up to")):
        with pytest.raises(TableError, match=message) as error:
            tabulate_pairs(SumLayout.of(parse_expression(formula), ("Cu",)), 3.0, 5.0)
        assert "--exact" in str(error.value)


def test_pair_jets_match_sympy_derivatives():
    """The exact h, h', h'' the tables are built from agree with SymPy's derivatives of g·f (every primitive).

    Bound 1e-6 relative: a wrong rule is off by order 1, while float64 rounding of these random expressions stays
    below it but not always below 1e-9 (e.g. (-tanh(r - 11))^exp(exp(r)), whose h' is the small difference of two
    larger terms: measured 8e-9)."""
    import sympy
    from symbolicpot.expr.symbolic import to_sympy
    rng, config = np.random.default_rng(8), OperatorConfig(primitives=tuple(PRIMITIVES))
    x = sympy.Symbol("x", positive=True)
    cutoff = (2 * x ** 2 - 27 + 25) * (25 - x ** 2) ** 2 / 16 ** 3  # r_in 3, r_out 5
    r = np.array([2.1, 2.9, 3.4, 4.6])
    compared = 0
    while compared < 60:
        g = random_formula(rng, config)
        g = sums(g)[0] if sums(g) else None
        if g is None:
            continue
        expression = to_sympy(g)
        symbol = next(iter(expression.free_symbols), x)
        h = expression.subs(symbol, x) * sympy.Piecewise((1, x <= 3), (cutoff, True))
        ours = np.array(pair_jets(g, r, 3.0, 5.0))
        exact = np.array([[complex(sympy.diff(h, x, m).subs(x, v).evalf(30)) for v in r] for m in range(3)])
        usable = np.isfinite(ours).all(axis=0) & (np.abs(exact.imag) == 0).all(axis=0)
        if usable.any():
            compared += 1
            np.testing.assert_allclose(ours[:, usable], exact.real[:, usable], rtol=1e-6,
                                       atol=1e-12 * np.abs(exact.real[:, usable]).max(), err_msg=str(expression))


def crystal_input(plugin, style, atoms, extra=(), types=("Cu",)):
    """LAMMPS input lines building `atoms` (via lammps_cell; `types` as for run_lammps) with the plugin's pair
    style."""
    rotation, rows = lammps_cell(atoms.cell)
    lines = [f"plugin load {plugin}", "units metal", "atom_style atomic", "atom_modify map array", "boundary p p p",
             *extra,
             "region box prism 0 {!r} 0 {!r} 0 {!r} {!r} {!r} {!r}".format(
                 *map(float, rows[[0, 1, 2, 1, 2, 2], [0, 1, 2, 0, 0, 1]])), f"create_box {len(types)} box"]
    lines += ["create_atoms {} single {!r} {!r} {!r} units box remap yes".format(t, *map(float, x))
              for t, x in zip(atom_types(atoms, types), atoms.positions @ rotation)]
    return rotation, lines + [f"pair_style {style}", f"pair_coeff * * {' '.join(types)}"]


def wheel_program(name):
    """A program installed beside this Python by the lammps / mpich wheels (lmp, mpiexec)."""
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def mixed_crystal(species, seed, a=3.61, cells=3):
    """A rattled, sheared fcc crystal (cells³ cubic cells) whose atoms take the `species` at random."""
    atoms = ase.build.bulk("Cu", "fcc", a=a, cubic=True).repeat((cells, cells, cells))
    atoms.symbols = np.random.default_rng(seed).choice(species, len(atoms))
    atoms.set_cell(atoms.cell[:] @ np.array([[1.0, 0.03, 0.0], [0.0, 0.98, 0.04], [0.02, 0.0, 1.01]]),
                   scale_atoms=True)
    atoms.rattle(0.1, seed=seed)
    return atoms


@needs_lammps
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tables"])
@pytest.mark.parametrize("newton", ["on", "off"])
@pytest.mark.parametrize("formula, types", [(SUTTON_CHEN, ("Cu",)), (FS_ALLOY, ("Al", "Ni", "Al")),
                                            (FILTERED_AND_ALL, ("Ni", "Al"))],
                         ids=["sutton-chen", "alloy", "alloy-filtered-and-all"])
def test_two_processes_match_the_evaluator(plugins, tmp_path, newton, exact, formula, types):
    """dT/dS of ghost atoms owned by the other process arrive by forward communication; with newton_pair on or off
    no force is left on a ghost. Tables: within their bounds (N·ENERGY_BOUND, FORCE_BOUND) beyond rounding. The
    alloys' atoms are Ni and Al at random (FS_ALLOY's Al atoms of two LAMMPS types)."""
    elements = tuple(dict.fromkeys(types))
    plugin, style = plugins([formula], exact, elements)[formula]
    atoms = mixed_crystal(elements, seed=3, cells=4)
    assert_two_processes_agree(plugin, style, atoms, types, newton, parse_expression(formula), Cutoff(3.0, 5.0),
                               tmp_path, exact, TOLERANCE)


def run_two_processes(plugin, style, atoms, types, newton, folder):
    """(energy eV, pressure diagonal (3,) bar in the LAMMPS frame, forces (N, 3) eV/Å) of `atoms` from the wheel's
    `lmp` on 2 MPI processes with newton pair `newton`, the input and dump written in `folder`."""
    rotation, lines = crystal_input(plugin, style, atoms, [f"newton {newton}", "processors 2 1 1"], types)
    lines += ["thermo_style custom step pe pxx pyy pzz pxy pxz pyz", "run 0",
              *(f"variable {k} equal {k}" for k in ("pe", "pxx", "pyy", "pzz")),
              *(f"variable {k}_text format {k} %.17g" for k in ("pe", "pxx", "pyy", "pzz")),
              'print "RESULT ${pe_text} ${pxx_text} ${pyy_text} ${pzz_text}"',
              "write_dump all custom forces.dump id fx fy fz modify format float %.17g sort id"]
    (folder / "in.test").write_text("\n".join(lines) + "\n")
    result = subprocess.run([str(wheel_program("mpiexec")), "-n", "2", str(wheel_program("lmp")), "-in", "in.test",
                             "-log", "none", "-nocite"], cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 by 1 by 1 MPI processor grid" in result.stdout
    result_line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    values = [float(v) for v in result_line.split()[1:]]
    return values[0], np.array(values[1:]), np.loadtxt(folder / "forces.dump", skiprows=9)[:, 1:] @ rotation.T


def assert_two_processes_agree(plugin, style, atoms, types, newton, tree, cutoff, folder, exact, tolerance):
    """run_two_processes against the evaluator: energy and forces within `tolerance` of their scales (plus the
    tables' bounds unless `exact`), the pressure's trace to 1e-6 (LAMMPS's unit constants)."""
    energy, pressure, forces = run_two_processes(plugin, style, atoms, types, newton, folder)
    prediction = Evaluator(unlabelled([atoms]), cutoff)(tree)
    e_bound, f_bound = (0.0, 0.0) if exact else (len(atoms) * ENERGY_BOUND, FORCE_BOUND)
    assert abs(energy - prediction.energy[0]) <= tolerance * np.abs(prediction.atom_energy).sum() + e_bound
    assert np.abs(forces - prediction.forces).max() <= tolerance * np.abs(prediction.forces).max() + f_bound
    python_pressure_bar = -prediction.stress[0, :3].sum() * 1e4  # GPa → bar, LAMMPS sign; the trace is frame-free
    assert abs(pressure.sum() - python_pressure_bar) <= 1e-6 * abs(python_pressure_bar)


@needs_lammps
@pytest.mark.parametrize("formula, exact", [(SUTTON_CHEN, True), (SUTTON_CHEN, False), (GP9, False)],
                         ids=["sc-exact", "sc-tables", "gp9-tables"])
def test_nve_conserves_energy(plugins, formula, exact):
    """108 Cu atoms (3×3×3 fcc cells), Sutton–Chen plugin (exact, or tabulated: h of the table is continuous with
    its derivative, and the slope the plugin reads is that derivative up to rounding, so its forces are −∇ of its
    energy) and tabulated gp:9 (non-integer powers of r and of a constant), 300 K, 10 ps of velocity Verlet at 1 fs.

    Bounds: drift |dE/dt| ≤ 1e-6 eV/atom/ps (1e-5 eV/atom over the run, ~0.04 K of temperature) and
    max|E − E0| ≤ 1e-4 eV/atom (kT/250). Measured: 4.1e-8 eV/atom/ps for SC exact and tabulated alike, 7.8e-8 for
    gp:9, and ~1e-5 eV/atom. A force that is not −∇E shows
    as drift far above that. The fluctuation of a symplectic integrator with consistent forces grows as dt²: at 2 fs it
    is 3–5.5× that at 1 fs (measured 4.0×).
    """
    plugin, style = plugins([formula], exact)[formula]
    assert_conserves_energy(plugin, style, fluctuation=1e-4)


def assert_conserves_energy(plugin, style, fluctuation, **crystal):
    """NVE runs at 1 and 2 fs (nve_energies of `crystal`): near 300 K, drift ≤ 1e-6 eV/atom/ps, max|E − E0| ≤
    `fluctuation` eV/atom at 1 fs, and the fluctuation at 2 fs 3–5.5× that at 1 fs (the dt² of a symplectic
    integrator with forces that are −∇E)."""
    runs = {dt: nve_energies(plugin, style, dt, **crystal) for dt in (0.001, 0.002)}
    times, energy, temperature = runs[0.001]
    drift = np.polyfit(times, energy, 1)[0]
    print(f"drift {drift:.1e} eV/atom/ps, largest |E - E0| {np.abs(energy - energy[0]).max():.1e} eV/atom")
    assert 250.0 < temperature.mean() < 350.0
    assert abs(drift) <= 1e-6, drift
    assert np.abs(energy - energy[0]).max() <= fluctuation
    ratio = runs[0.002][1].std() / energy.std()
    assert 3.0 <= ratio <= 5.5, ratio


def nve_energies(plugin, style, dt, picoseconds=10.0, lattice="fcc 3.61", element="Cu"):
    """(times ps, total energy eV/atom, temperature K) every 0.1 ps of an NVE run of 3×3×3 cubic cells of `lattice`
    (108 fcc Cu atoms by default) of `element`; velocities drawn at 600 K so that the crystal, started on its
    lattice, settles near 300 K."""
    lmp = new_lammps()
    try:
        lmp.commands_list([f"plugin load {plugin}", "units metal", "atom_style atomic", f"lattice {lattice}",
                           "region box block 0 3 0 3 0 3", "create_box 1 box", "create_atoms 1 box",
                           f"pair_style {style}", f"pair_coeff * * {element}",
                           "velocity all create 600.0 87287 mom yes rot yes dist gaussian", "fix nve all nve",
                           f"timestep {dt!r}", "thermo_style custom step temp etotal", "run 0"])
        n, chunk = lmp.get_natoms(), round(0.1 / dt)
        samples = []
        for k in range(round(picoseconds / 0.1) + 1):
            if k:
                lmp.command(f"run {chunk} pre no post no")
            samples.append((k * 0.1, lmp.get_thermo("etotal") / n, lmp.get_thermo("temp")))
    finally:
        lmp.close()
    return tuple(np.array(column) for column in zip(*samples))


@needs_lammps
def test_exported_folder_runs_with_the_wheels_lmp(tmp_path, monkeypatch):
    """`in.NAME` runs with the wheel's `lmp`; the registered copy is auto-loaded through the lammps.plugins entry
    point, so a script without `plugin load` finds the style from any folder. A built-in style name is refused."""
    registered = tmp_path / "registered"
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(registered))
    with pytest.raises(ValueError, match="pair style of LAMMPS itself"):  # it would replace eam in every run
        export_lammps(Potential.from_formula(SUTTON_CHEN), tmp_path / "eam", "eam")
    paths = export_lammps(Potential.from_formula(SUTTON_CHEN), tmp_path / "out", "sc_export_test")
    assert [p.name for p in paths] == ["pair_sc_export_test.cpp", plugin_file_name("sc_export_test"),
                                       "in.sc_export_test", plugin_file_name("sc_export_test")]
    assert paths[3].parent == registered
    lmp = str(wheel_program("lmp"))
    result = subprocess.run([lmp, "-in", "in.sc_export_test", "-log", "none"], cwd=tmp_path / "out",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Loop time of" in result.stdout
    thermo = result.stdout.split("Loop time of")[0].split("TotEng")[-1].splitlines()[1:]
    etotal = [float(line.split()[4]) for line in thermo]
    assert len(etotal) == 11 and np.ptp(etotal) < 1e-3 * 256  # eV; 256 atoms, 1 ps
    (tmp_path / "in.plain").write_text("units metal\nlattice fcc 3.61\nregion b block 0 2 0 2 0 2\ncreate_box 1 b\n"
                                       "create_atoms 1 box\npair_style sc_export_test\npair_coeff * * Cu\nrun 0\n")
    result = subprocess.run([lmp, "-in", "in.plain", "-log", "none"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"Loaded 1 plugins from {registered}" in result.stdout


@pytest.mark.skipif(shutil.which(os.environ.get("CXX", "g++")) is None, reason="needs g++")
def test_generated_code_matches_the_evaluator_programs_on_random_formulas(tmp_path):
    """Edge cases and random formulas (every primitive) in one standalone C++ program: g_k, dg_k/dr at several r and
    T, dT/dS_k at several S agree with the evaluator's interpreter (kernels.run_program) wherever that is finite."""
    rng, config = np.random.default_rng(11), OperatorConfig(primitives=tuple(PRIMITIVES))
    edge_cases = [parse_expression(text) for text in (
        "1 - (2 - (3 - sum(r - (1 - r))))", "sum(r)^sum(r^-1)", "sum(r^0) + sum(r^1)*sum(r^-1) - sum(r)", "sum(r^-2)",
        "sum(r^2.5)^-0.5", "sum(sqrt(r))/(2 - sum(1/r))", "sum(0.5^r) + sum((-2)^r)", "log(sum(exp(-r)))",
        "tanh(sum(r^-64) + sum(r^65))", "sum(r/2/4) * -(sum(r)^3)", "sum(2^3*r) - 2^sum(r)")]
    r_values = [1.9, 2.55, 3.3, 4.2, 4.95]
    s_values = [0.3, 1.7, 6.5, 23.0]
    formulas, blocks, calls = [], [], []
    while len(formulas) < 100:
        tree = edge_cases.pop() if edge_cases else random_formula(rng, config)
        try:
            pairs = distinct_sums(tree)
            pair_lines, atom_lines = pair_code(pairs), atom_code(tree, SumLayout.of(tree, ("Cu",)).values[0])
        except ExpressionError:  # a constant part that is not finite
            continue
        f, k = len(formulas), len(pairs)
        formulas.append((tree, pairs))
        blocks.append(f"namespace f{f} {{\ninline void pair_terms(const double r, double *g, double *dg) {{\n"
                      + "\n".join(pair_lines) + "\n}\ninline double atom_term(const double *s, double *dt) {\n"
                      + "\n".join(atom_lines) + "\n}\n}")
        calls.append(f"{{ double g[{k}], dg[{k}], s[{k}], dt[{k}];\n"
                     f"for (double r : rs) {{ f{f}::pair_terms(r, g, dg); for (int k = 0; k < {k}; k++) "
                     f'std::printf("%.17g %.17g ", g[k], dg[k]); }}\n'
                     f"for (double v : ss) {{ for (int k = 0; k < {k}; k++) s[k] = v * (k + 1); "
                     f'std::printf("%.17g ", f{f}::atom_term(s, dt)); '
                     f'for (int k = 0; k < {k}; k++) std::printf("%.17g ", dt[k]); }}\nstd::printf("\\n"); }}')
    program = ("#include <cmath>\n#include <cstdio>\n" + "\n".join(blocks)
               + f"\nint main() {{\nconst double rs[] = {{{', '.join(map(repr, r_values))}}};\n"
               f"const double ss[] = {{{', '.join(map(repr, s_values))}}};\n" + "\n".join(calls) + "\n}\n")
    (tmp_path / "formulas.cpp").write_text(program)
    compiler = os.environ.get("CXX", "g++")
    build = subprocess.run([compiler, "-std=c++17", "-O2", "-fno-math-errno", "formulas.cpp", "-o", "formulas"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-5000:]
    output = subprocess.run([str(tmp_path / "formulas")], capture_output=True, text=True, check=True).stdout
    compared = 0
    for (tree, pairs), line in zip(formulas, output.splitlines()):
        values = np.array([float(v) for v in line.split()])
        k = len(pairs)
        cxx_pair = values[:2 * k * len(r_values)].reshape(len(r_values), k, 2)
        cxx_atom = values[2 * k * len(r_values):].reshape(len(s_values), 1 + k)
        for index, g in enumerate(pairs):
            for point, r in enumerate(r_values):
                expected = interpret(call("sum", g), [r], pair_level=True)
                if expected is not None:
                    compared += 1
                    assert np.allclose(cxx_pair[point, index], expected, rtol=1e-12, atol=0), (format_expression(g), r)
        order = [pairs.index(g) for g in sums(tree)]  # the evaluator's inputs, duplicates included
        for point, v in enumerate(s_values):
            expected = interpret(tree, [v * (order[m] + 1) for m in range(len(order))])
            if expected is not None:
                compared += 1
                gradient = np.zeros(k)
                np.add.at(gradient, order, expected[1:])
                assert np.allclose(cxx_atom[point], [expected[0], *gradient], rtol=1e-12, atol=1e-300), \
                    (format_expression(tree), v)
    assert compared > 300


def interpret(tree, inputs, pair_level=False):
    """(value, derivatives along the inputs) of the evaluator's interpreter at one point, for the atom program of
    `tree` or (pair_level) the pair program of its only sum; None when not finite."""
    program = compile_formula(tree)
    chosen = program.pairs[0] if pair_level else program.atoms[0]
    code, arg, const_ids = chosen.code, chosen.arg, chosen.const_ids
    theta = np.array(constants(tree), dtype=float)[const_ids]
    depth, n, batch = program.depth, len(inputs), kernels.BATCH
    sv, sg = np.zeros((depth, batch)), np.zeros((depth, n, batch))
    sh, part, live = np.zeros((depth, 0, n, batch)), np.zeros((5, batch)), np.zeros(depth, np.bool_)
    rows = np.zeros((n, batch))
    rows[:, 0] = inputs
    if not kernels.run_program(code, arg, theta, 0, rows, 1, sv, sg, sh, part, live):
        return None
    result = np.array([sv[0, 0], *sg[0, :, 0]])
    return result if np.isfinite(result).all() else None


# ------------------------------------------------------------------------------------------------------- alloys

def test_a_pair_computes_only_the_pair_functions_its_atoms_read():
    """SumLayout: an atom keeps one value per distinct (pair function, neighbour species) its term reads, and a pair
    of atoms computes the pair functions either atom's values take from the other's species: all of them for a
    single element, none for species that do not interact; the generated plugin skips such pairs."""
    single = SumLayout.of(parse_expression(GP9), ("Cu",))
    assert single.values[0].sums == tuple((p, "") for p in range(3)) and single.needed(0, 0) == (0, 1, 2)
    # FS_ALLOY's pair functions h_0 .. h_6: 700r^-9, 600r^-8, 550r^-6, 400r^-5 (Ni's term), 300r^-7, 450r^-6, 120r^-5
    layout = SumLayout.of(parse_expression(FS_ALLOY), ("Ni", "Al"))
    assert layout.values[0].sums == ((0, "Ni"), (1, "Al"), (2, "Ni"), (3, "Al"))
    assert layout.values[1].sums == ((1, "Ni"), (4, "Al"), (5, "Ni"), (6, "Al"))
    assert layout.gathers(0, 1) == ((1, 1), (3, 3)) and layout.gathers(1, 0) == ((0, 1), (2, 5))
    assert layout.needed(0, 1) == layout.needed(1, 0) == (1, 3, 5)
    assert layout.needed(0, 0) == (0, 2) and layout.needed(1, 1) == (4, 6)
    shared = SumLayout.of(parse_expression(FILTERED_AND_ALL), ("Ni", "Al"))  # 550r^-6 feeds two values of Ni
    assert shared.gathers(0, 0) == ((0, 0), (1, 1), (2, 1)) and shared.needed(0, 1) == (1, 2)
    unmixed = SumLayout.of(parse_expression(UNMIXED), ("Ni", "Al"))
    assert unmixed.needed(0, 1) == () and unmixed.needed(0, 0) == (0, 1)
    source = pair_style_source(potential(UNMIXED, elements=("Ni", "Al")), "unmixed", exact=True)
    assert "constexpr int PAIR_LIST_SIZE[NLISTS] = {2, 0, 2};" in source


@needs_lammps
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tables"])
def test_alloy_plugins_match_the_python_evaluator(plugins, exact):
    """Alloy formulas on mixed rattled fcc crystals (108 atoms, two or three species at random), with pair_coeff
    naming the elements in either order and with one element on two atom types: within ALLOY_TOLERANCE of each
    structure's scale (assert_agrees), on top of the tables' bounds for tabulated plugins."""
    binary = [mixed_crystal(["Ni", "Al"], seed) for seed in (1, 2)]
    ternary = [mixed_crystal(["Ni", "Al", "Cu"], seed) for seed in (3, 4)]
    cases = [(formula, binary, ("Ni", "Al"), [("Ni", "Al"), ("Al", "Ni"), ("Ni", "Al", "Ni")])
             for formula in (FS_ALLOY, SHARED_PAIR, EMBEDDINGS, INNER_BLOCKS, FILTERED_AND_ALL, UNMIXED, NOCUT_ALLOY)]
    cases.append((TERNARY, ternary, ("Ni", "Al", "Cu"), [("Cu", "Al", "Ni"), ("Al", "Cu", "Ni", "Cu")]))
    for elements in dict.fromkeys(e for _, _, e, _ in cases):
        plugins([f for f, _, e, _ in cases if e == elements], exact, elements)  # compiled in parallel
    for formula, structures, elements, type_lists in cases:
        plugin, style = plugins([formula], exact, elements)[formula]
        dataset = unlabelled(structures)
        prediction = Evaluator(dataset, Cutoff(3.0, 5.0))(parse_expression(formula))
        assert prediction.ok
        for types in type_lists:
            worst = assert_agrees(dataset, prediction, run_lammps(structures, plugin, style, types), table=not exact,
                                  tolerance=ALLOY_TOLERANCE)
            print(f"{formula} with pair_coeff * * {' '.join(types)}: relative difference beyond the bounds "
                  f"{worst:.1e}")


@needs_lammps
def test_atoms_of_null_types_take_no_part(plugins):
    """pair_style hybrid STYLE zero 5.0 with pair_coeff * * STYLE Ni Al NULL (as for eam/fs): the Cu atoms of type 3
    neither feel nor exert forces; the other atoms' energies, forces and the virial are those of the crystal without
    them (ALLOY_TOLERANCE), theirs are zero."""
    plugin, style = plugins([FS_ALLOY], True, ("Ni", "Al"))[FS_ALLOY]
    atoms = mixed_crystal(["Ni", "Al", "Cu"], seed=5)
    kept = np.array(atoms.get_chemical_symbols()) != "Cu"
    energy, atom_energy, forces, virial = run_lammps([atoms], plugin, style, ("Ni", "Al", "Cu"), null=("Cu",))
    assert not atom_energy[~kept].any() and not forces[~kept].any()
    dataset = unlabelled([atoms[kept]])
    prediction = Evaluator(dataset, Cutoff(3.0, 5.0))(parse_expression(FS_ALLOY))
    assert_agrees(dataset, prediction, (energy, atom_energy[kept], forces[kept], virial), tolerance=ALLOY_TOLERANCE)


@needs_lammps
def test_pair_coeff_names_an_element_the_potential_lacks(plugins):
    """An element outside the potential's (Fe), or one its formula has no term for (Cu for a Ni–Al formula), is a
    LAMMPS error naming it, the atom type and the potential's elements."""
    plugin, style = plugins([FS_ALLOY], True, ("Ni", "Al"))[FS_ALLOY]
    lmp = new_lammps()
    try:
        lmp.commands_list([f"plugin load {plugin}", "units metal", "atom_style atomic", "lattice fcc 3.61",
                           "region box block 0 2 0 2 0 2", "create_box 2 box", "create_atoms 1 box",
                           f"pair_style {style}"])
        for word in ("Fe", "Cu"):
            with pytest.raises(Exception, match=f"has no element {word} .atom type 2.; it is a potential for Ni Al"):
                lmp.command(f"pair_coeff * * Ni {word}")
    finally:
        lmp.close()


@needs_lammps
def test_an_alloy_input_script_runs_a_mixed_crystal(tmp_path):
    """`in.NAME` of an alloy runs with the wheel's `lmp`: fcc with the elements mixed at random, NVE 1 ps, the total
    energy kept to 1e-3 eV/atom (a broken force would heat the crystal far more)."""
    paths = export_lammps(Potential.from_formula(FS_ALLOY), tmp_path, "alloy_example", register=False)
    script = paths[2].read_text()
    assert "create_box 2 box" in script and "set type 1 type/fraction 2 0.5 " in script
    assert "pair_coeff * * Ni Al" in script
    result = subprocess.run([str(wheel_program("lmp")), "-in", paths[2].name, "-log", "none"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "settings made for type/fraction" in result.stdout
    thermo = result.stdout.split("Loop time of")[0].split("TotEng")[-1].splitlines()[1:]
    etotal = [float(line.split()[4]) for line in thermo]
    assert len(etotal) == 11 and np.ptp(etotal) < 1e-3 * 256
