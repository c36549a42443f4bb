"""benchmarks/label_silicon.py: 64-atom diamond Si snapshots labelled by Si.sw (not DFT) read back with the labels an
independent LAMMPSlib calculator of the same file gives, at the recipe's temperatures in turn."""
import numpy as np
import pytest
from ase.units import GPa

from symbolicpot.data import load
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.potentials import load_potential

pytestmark = pytest.mark.skipif(not lammps_available(), reason='needs the lammps and mpich wheels ("lammps[mpi]")')


def test_diamond_cells_labelled_by_stillinger_weber(benchmark_script, tmp_path):
    label_silicon = benchmark_script("label_silicon")
    path = tmp_path / "si.extxyz"
    label_alloy = label_silicon.label_alloy
    per_trajectory = 64 * label_alloy.SNAPSHOTS_PER_TRAJECTORY
    summary = label_alloy.label(label_silicon.SILICON, 2 * per_trajectory, seed=1, out=path)  # two trajectories: 300 and 1000 K
    data = load(path)
    assert summary["structures"] == data.n_configs == 8 and data.species == ("Si",)
    assert [atoms.info["temperature_K"] for atoms in data.atoms] == [300.0] * 4 + [1000.0] * 4
    calculator = load_potential("sw:Si").calculator
    forces = np.split(data.forces, data.atom_offsets[1:-1])
    for c, atoms in enumerate(data.atoms):
        assert len(atoms) == 64 and atoms.info["labels"] == "Si.sw (LAMMPS sw; not DFT)"
        # a diamond crystal through 300 and 1000 K (bonds 2.35 Å): no pair closer than 2 Å, every atom 3+ bonds < 2.8 Å
        distances = atoms.get_all_distances(mic=True) + 10 * np.eye(64)
        assert distances.min() > 2.0 and np.all(np.sum(distances < 2.8, axis=1) >= 3)
        atoms = atoms.copy()
        atoms.calc = calculator
        # extxyz rounds positions to 1e-8 Å: energies, forces and stresses move by ~1e-7 on 64 atoms; ten times that
        assert data.energy[c] == pytest.approx(atoms.get_potential_energy(), abs=1e-6)
        np.testing.assert_allclose(forces[c], atoms.get_forces(), atol=1e-6)
        np.testing.assert_allclose(data.stress[c], atoms.get_stress() / GPa, atol=1e-5)  # GPa
