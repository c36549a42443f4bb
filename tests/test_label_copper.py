"""benchmarks/label_copper.py: its extended XYZ reads back through symbolicpot.data.load with the labels LAMMPS gives
each structure (stress sign and units included), and a seed gives the same file twice."""
import numpy as np
import pytest
from ase.units import GPa

from symbolicpot.data import load
from symbolicpot.export.lammps_runtime import lammps_available, lammps_results
from symbolicpot.potentials import lammps_pair_commands, literature_path

pytestmark = pytest.mark.skipif(not lammps_available(), reason='needs the lammps and mpich wheels ("lammps[mpi]")')


@pytest.fixture(scope="module")
def label_copper(benchmark_script):
    return benchmark_script("label_copper")


def test_labels_read_back_as_lammps_computes_them(label_copper, tmp_path):
    path = tmp_path / "cu.extxyz"
    summary = label_copper.label_copper(1, seed=3, out=path)  # one trajectory
    data = load(path)
    assert summary["structures"] == len(data.atoms) == label_copper.label_alloy.SNAPSHOTS_PER_TRAJECTORY
    assert summary["atoms"] == len(data.forces)
    pair_commands, _ = lammps_pair_commands(literature_path("eam", "Cu_mishin1"))
    forces = np.split(data.forces, np.cumsum([len(atoms) for atoms in data.atoms])[:-1])
    for atoms, energy, force, stress in zip(data.atoms, data.energy, forces, data.stress):
        expected_energy, expected_forces, expected_stress = lammps_results(atoms, pair_commands)
        assert energy == pytest.approx(expected_energy, abs=1e-6)
        np.testing.assert_allclose(force, expected_forces, atol=1e-6)
        np.testing.assert_allclose(stress, expected_stress / GPa, atol=1e-5)  # GPa
    assert np.all(np.abs(data.stress).max(axis=1) > 0.1)  # strained and hot: stresses of GPa, not zeros


def test_a_seed_gives_the_same_file(label_copper, tmp_path):
    first, second, other = (tmp_path / f"{name}.extxyz" for name in ("first", "second", "other"))
    label_copper.label_copper(1, seed=5, out=first)
    label_copper.label_copper(1, seed=5, out=second)
    label_copper.label_copper(1, seed=6, out=other)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
