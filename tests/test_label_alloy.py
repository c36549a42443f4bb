"""benchmarks/label_alloy.py: Cu–Ni snapshots labelled by CuNi.eam.alloy (not DFT) read back with the labels an
independent LAMMPSlib calculator of the same file gives (its atom types in the file's order Ni, Cu, the labeller's
in the order Cu, Ni), in the recipe's compositions at Vegard's lattice constant, the same file for the same seed."""
import numpy as np
import pytest
from ase.units import GPa

from symbolicpot.data import load
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.potentials import lammps_potentials_dir, load_potential

pytestmark = pytest.mark.skipif(not lammps_available(), reason='needs the lammps and mpich wheels ("lammps[mpi]")')

ATOMS = 300  # 2–3 trajectories of 4 snapshots: a few seconds


@pytest.fixture(scope="module")
def label_alloy(benchmark_script):
    return benchmark_script("label_alloy")


@pytest.fixture(scope="module")
def labelled(label_alloy, tmp_path_factory):
    """(path, summary) of a small Cu–Ni set, seed 2."""
    path = tmp_path_factory.mktemp("cuni") / "cuni.extxyz"
    return path, label_alloy.label(label_alloy.CU_NI, ATOMS, seed=2, out=path)


def test_labels_are_those_of_the_potential_file_whatever_the_type_order(labelled):
    path, summary = labelled
    data = load(path)
    assert summary["structures"] == data.n_configs and summary["atoms"] == data.n_atoms_total >= ATOMS
    assert data.species == ("Cu", "Ni")
    calculator = load_potential(lammps_potentials_dir() / "CuNi.eam.alloy").calculator
    assert calculator.parameters.atom_types == {"Ni": 1, "Cu": 2}  # the other order than the labeller's
    forces = np.split(data.forces, data.atom_offsets[1:-1])
    for c in (0, data.n_configs // 2, data.n_configs - 1):  # a few structures, of different trajectories
        atoms = data.atoms[c].copy()
        atoms.calc = calculator
        assert atoms.info["labels"] == "CuNi.eam.alloy (LAMMPS eam/alloy; not DFT)"
        # extxyz rounds positions to 1e-8 Å, which moves energies, forces and stresses by up to ~1.5e-7 (eV, eV/Å,
        # GPa) on 3000 atoms of this data: ten times that and more
        assert data.energy[c] == pytest.approx(atoms.get_potential_energy(), abs=1e-6)
        np.testing.assert_allclose(forces[c], atoms.get_forces(), atol=1e-6)
        np.testing.assert_allclose(data.stress[c], atoms.get_stress() / GPa, atol=1e-5)  # GPa
    assert np.all(np.abs(data.stress).max(axis=1) > 0.1)  # strained and hot: stresses of GPa, not zeros


def test_compositions_vary_over_the_recipes_at_vegards_lattice_constant(labelled, label_alloy):
    path, _ = labelled
    data = load(path)
    recipe = label_alloy.CU_NI
    fractions = set()
    for atoms in data.atoms:
        x = atoms.get_chemical_symbols().count("Cu") / len(atoms)
        assert (x, 1 - x) in recipe.compositions
        fractions.add(x)
        a = x * 3.615 + (1 - x) * 3.52  # Å: Vegard's law between the potential's fcc Cu and Ni
        strain = np.zeros((3, 3))
        strain[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]] = atoms.info["strain"]
        strain[[1, 2, 2], [0, 1, 0]] = strain[[0, 1, 0], [1, 2, 2]]
        repeats = atoms.cell.array @ np.linalg.inv(np.eye(3) + strain) / a  # diagonal: 2–4 cubic cells per axis
        np.testing.assert_allclose(repeats, np.diag(np.rint(np.diag(repeats))), atol=1e-9)
        assert 32 <= len(atoms) <= 108
    assert len(fractions) > 1, "seed 2 draws more than one composition"


def test_a_seed_gives_the_same_file(labelled, label_alloy, tmp_path):
    path, _ = labelled
    again, other = tmp_path / "again.extxyz", tmp_path / "other.extxyz"
    label_alloy.label(label_alloy.CU_NI, ATOMS, seed=2, out=again)
    label_alloy.label(label_alloy.CU_NI, ATOMS, seed=3, out=other)
    assert path.read_bytes() == again.read_bytes() != other.read_bytes()
