"""eam/fs export: which formulas have EAM shape, the split into F, ρ and φ, and setfl files LAMMPS reads and runs
to within the tabulation tolerance of the Python evaluator.

Measured on POET's DFT_Cu structures (MD snapshots, surface slabs, 0 K cells) for the formulas below: energies agree
to 3e-11 eV/atom or better (1e-8 required), forces to 5e-6 eV/Å and stresses to 5e-5 GPa. Forces come from the
tables' cubic derivatives, one order less accurate than the values, hence tolerances of 1e-5 eV/Å and 3e-4 GPa.
"""
import ase.build
import numpy as np
import pytest

from symbolicpot.data.neighbours import structure_neighbours
from symbolicpot.evaluate import EV_PER_A3_IN_GPA, Evaluator
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.export.eam_fs import TOLERANCE, EamShape, NotEamError, tabulate, write_setfl
from symbolicpot.export.lammps_runtime import lammps_available, lammps_results
from symbolicpot.export.potential import Potential

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
EAM_SHAPED = {
    "sutton_chen": (SUTTON_CHEN, 3.0, 5.0),
    "lennard_jones": ("sum(49000*r^-12) - sum(33*r^-6)", 4.0, 6.0),
    "poet_sutton_chen": ("-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.50)", 3.0, 5.0),
    # one density entering linearly too, a cutoff kink at bcc Cu's nearest neighbours (2.4998 Å)
    "born_mayer_and_density": ("0.2 + sum(3000*exp(-3.2*r)) - (sum(2*r^-4))^0.75 + 0.1*sum(2*r^-4)", 2.5, 5.5),
    # a negative density function: the tables flip its sign
    "negative_density": ("sum(644.52*r^-9) - (-1*sum(-527.62*r^-6))^0.5", 3.0, 5.0),
}
needs_lammps = pytest.mark.skipif(not lammps_available(), reason='needs the lammps[mpi] wheels')


def potential(name):
    formula, r_in, r_out = EAM_SHAPED[name]
    return Potential.from_formula(formula, r_in, r_out)


@pytest.mark.parametrize("name", EAM_SHAPED)
def test_f_rho_and_phi_rebuild_the_atom_energies(name):
    """T_i = F(Σ_j ρ(r_ij)) + ½ Σ_j φ(r_ij) on a rattled, sheared crystal, to rounding."""
    eam = EamShape(potential(name))
    atoms = ase.build.bulk("Cu", "fcc", a=3.61).repeat((3, 3, 3))
    atoms.set_cell(atoms.cell[:] @ np.array([[1.0, 0.03, 0.0], [0.02, 0.97, 0.04], [0.0, 0.01, 1.02]]),
                   scale_atoms=True)
    atoms.rattle(0.15, seed=1)
    i, _, r, _ = structure_neighbours(atoms, potential(name).r_out)
    rebuilt = eam.embedding(np.bincount(i, eam.density(r))) + np.bincount(i, 0.5 * eam.pair(r))
    ok, _, atom_energies, _, _ = evaluate_structure(potential(name).tree, atoms, potential(name).cutoff)
    assert ok
    np.testing.assert_allclose(rebuilt, atom_energies, rtol=1e-12, atol=1e-12 * np.abs(atom_energies).max())


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
])
def test_formulas_without_eam_shape_get_a_clear_message(formula, message):
    with pytest.raises(NotEamError) as raised:
        tabulate(Potential.from_formula(formula))
    assert message in str(raised.value) and str(raised.value).startswith(Potential.from_formula(formula).formula)


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
    assert len(tables.embedding.values) == 4097 and len(tables.density.values) == 16385
    assert tables.error_estimate < TOLERANCE
    assert lines[3] == "1 Cu" and lines[4] == f"4097 {tables.embedding.delta!r} 16385 {5.0 / 16384!r} 5.0"
    assert lines[5] == "29 63.546 3.61 fcc"
    values = np.array(" ".join(lines[6:]).split(), dtype=float)
    np.testing.assert_array_equal(values, np.concatenate([tables.embedding.values, tables.density.values,
                                                          tables.r_phi.values]))
    assert all(len(line) < 1024 for line in lines)
    assert lines[6].split()[0] == "0.0000000000000000e+00"  # F(0) = -0^0.5, written %.16e


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
    eam, f = EamShape(chosen), tables.embedding
    rho, rho_max = eam.density(r).sum(), (len(f.values) - 1) * f.delta
    assert rho > 1.2 * rho_max
    slope = (f.values[-1] - f.values[-2]) / f.delta
    expected = f.values[-1] + slope * (rho - rho_max) + 0.5 * eam.pair(r).sum()
    energy, _, _ = lammps_results(atoms, ["pair_style eam/fs", f"pair_coeff * * {path} Cu"])
    assert energy == pytest.approx(expected, rel=1e-9)
