"""`SymbolicCalculator`: the compiled evaluator behind ASE's Calculator interface; any cell, MD and relaxation."""
import ase
import ase.build
import numpy as np
import pytest
from ase.calculators.calculator import CalculationFailed, PropertyNotImplementedError
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress
from ase.filters import FrechetCellFilter
from ase.md.velocitydistribution import thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.optimize import BFGS
from ase.units import fs
from scipy.optimize import minimize_scalar

from symbolicpot.calculator import SymbolicCalculator
from symbolicpot.evaluate import EV_PER_A3_IN_GPA, Evaluator
from symbolicpot.export.potential import Potential

SUTTON_CHEN = Potential.from_formula("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
FORMULAS = {
    "sutton_chen": SUTTON_CHEN,
    "lennard_jones": Potential.from_formula("sum(49000*r^-12) - sum(33*r^-6)", r_in=4.0, r_out=6.0),
    "poet_sutton_chen": Potential.from_formula(
        "-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.50)"),
    "three_sums": Potential.from_formula("sum(exp(-1.3*r))*sum(r^-2)^0.5 - tanh(sum(r^-4)/(1 + sum(exp(-1.3*r))))",
                                         r_in=2.5, r_out=4.5),
}


def with_calculator(atoms, potential=SUTTON_CHEN):
    atoms = atoms.copy()
    atoms.calc = SymbolicCalculator(potential)
    return atoms


def sheared_copper(seed=0):
    """A rattled fcc Cu supercell in a non-orthogonal cell (Å)."""
    atoms = ase.build.bulk("Cu", "fcc", a=3.61).repeat((3, 3, 3))
    atoms.set_cell(atoms.cell[:] @ np.array([[1.0, 0.03, 0.0], [0.02, 0.97, 0.04], [0.0, 0.01, 1.02]]),
                   scale_atoms=True)
    atoms.rattle(0.1, seed=seed)
    return atoms


@pytest.mark.parametrize("name", FORMULAS)
def test_agrees_with_the_evaluator_on_dft_cu(dft_cu, name):
    potential = FORMULAS[name]
    prediction = Evaluator(dft_cu, potential.cutoff)(potential.tree)
    assert prediction.ok
    for c, structure in enumerate(dft_cu.atoms):
        atoms = with_calculator(structure, potential)
        rows = slice(dft_cu.atom_offsets[c], dft_cu.atom_offsets[c + 1])
        scale = np.abs(prediction.atom_energy[rows]).sum()
        assert atoms.get_potential_energy() == pytest.approx(prediction.energy[c], rel=1e-12, abs=1e-12 * scale)
        assert atoms.get_potential_energy(force_consistent=True) == atoms.get_potential_energy()
        np.testing.assert_allclose(atoms.get_potential_energies(), prediction.atom_energy[rows], rtol=1e-12,
                                   atol=1e-12 * scale)
        np.testing.assert_allclose(atoms.get_forces(), prediction.forces[rows], rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(atoms.get_stress() * EV_PER_A3_IN_GPA, prediction.stress[c], rtol=0,
                                   atol=1e-12 * scale * EV_PER_A3_IN_GPA / structure.get_volume())


def test_forces_and_stress_are_derivatives_of_the_energy_in_a_sheared_cell():
    atoms = with_calculator(sheared_copper(), FORMULAS["three_sums"])
    np.testing.assert_allclose(atoms.get_forces(), calculate_numerical_forces(atoms, eps=1e-5), atol=1e-7)
    np.testing.assert_allclose(atoms.get_stress(), calculate_numerical_stress(atoms, eps=1e-6), atol=1e-8)


def test_results_turn_with_the_structure():
    atoms = with_calculator(sheared_copper())
    turned = atoms.copy()
    turned.rotate(37, (1, 2, 3), rotate_cell=True)
    turned = with_calculator(turned)
    rotation = np.linalg.solve(atoms.cell[:], turned.cell[:])  # turned cell = cell @ rotation
    assert turned.get_potential_energy() == pytest.approx(atoms.get_potential_energy(), rel=1e-12)
    np.testing.assert_allclose(turned.get_forces(), atoms.get_forces() @ rotation, atol=1e-11)
    stress = rotation.T @ atoms.get_stress(voigt=False) @ rotation
    np.testing.assert_allclose(turned.get_stress(voigt=False), stress, atol=1e-13)


def test_a_cluster_without_a_cell_equals_the_cluster_in_a_large_box():
    cluster = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    cluster.rattle(0.05, seed=3)
    cluster.positions += 40.0  # far outside the (absent) cell
    free = with_calculator(ase.Atoms(cluster.symbols, cluster.positions))
    boxed = with_calculator(ase.Atoms(cluster.symbols, cluster.positions, cell=[30, 31, 32], pbc=True))
    assert free.get_potential_energy() == pytest.approx(boxed.get_potential_energy(), rel=1e-13)
    np.testing.assert_allclose(free.get_forces(), boxed.get_forces(), atol=1e-12)
    with pytest.raises(PropertyNotImplementedError):
        free.get_stress()


def test_a_slab_periodic_in_two_directions_equals_the_slab_with_vacuum():
    slab = ase.build.fcc111("Cu", size=(3, 3, 4), a=3.61, vacuum=7.0)
    slab.rattle(0.05, seed=4)
    slab.pbc = (True, True, False)
    periodic = slab.copy()
    periodic.pbc = True
    assert with_calculator(slab).get_potential_energy() == pytest.approx(
        with_calculator(periodic).get_potential_energy(), rel=1e-13)


def test_verlet_md_conserves_energy():
    """108 Cu atoms near 300 K, 1 fs steps for 0.3 ps: the total energy stays within 5e-5 eV/atom (Verlet's own
    fluctuation at this step is about 2e-5; inconsistent forces would drift)."""
    atoms = with_calculator(ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3))
    thermalize_momenta(atoms, temperature_K=600, rng=np.random.default_rng(0))
    totals = []
    dynamics = VelocityVerlet(atoms, timestep=1 * fs)
    dynamics.attach(lambda: totals.append(atoms.get_total_energy()), interval=5)
    dynamics.run(300)
    assert 200 < atoms.get_temperature() < 500  # equipartition moved half the kinetic energy into the lattice
    assert np.ptp(totals) / len(atoms) < 5e-5


def test_bfgs_relaxes_an_fcc_cell_to_the_minimum_of_energy_against_lattice_constant():
    def energy_per_atom(a):
        return with_calculator(ase.build.bulk("Cu", "fcc", a=a)).get_potential_energy()
    best = minimize_scalar(energy_per_atom, bracket=(3.4, 3.6, 3.8), tol=1e-10).x
    atoms = with_calculator(ase.build.bulk("Cu", "fcc", a=3.45, cubic=True))
    assert BFGS(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-6, steps=200)
    assert atoms.cell.lengths() == pytest.approx([best] * 3, abs=1e-5)
    assert np.abs(atoms.get_stress()).max() < 1e-6


def test_loads_a_potential_file(tmp_path):
    path = SUTTON_CHEN.to_json(tmp_path / "sc.json")
    atoms = sheared_copper()
    assert with_calculator(atoms, path).get_potential_energy() == with_calculator(atoms).get_potential_energy()


def test_non_finite_values_fail_the_calculation():
    atom = with_calculator(ase.Atoms("Cu", positions=[[0, 0, 0]]), Potential.from_formula("sum(r^-6)^-0.5"))
    with pytest.raises(CalculationFailed, match="non-finite"):
        atom.get_potential_energy()
