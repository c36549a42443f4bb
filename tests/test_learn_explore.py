"""learn's exploration: conditions with pressures, constant-pressure MD in ASE and LAMMPS, and the LAMMPS path's
configurations in the frame of the starting structure (one small plugin, built once for the module)."""
import os
import shutil

from ase import Atoms
from ase.build import bulk
from ase.io import write
import numpy as np
import pytest

from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.export.potential import Potential
from symbolicpot.learn.explore import Condition, conditions, explore, lammps_plugin

SUTTON_CHEN = Potential.from_formula("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
SETTINGS = {"md_steps": 60, "timestep": 2.0, "friction": 0.05, "snapshot_interval": 20}
needs_lammps = pytest.mark.skipif(not lammps_available() or shutil.which(os.environ.get("CXX", "g++")) is None,
                                  reason="needs the lammps and mpich wheels and g++")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    return lammps_plugin(SUTTON_CHEN, tmp_path_factory.mktemp("plugin"))


def settings(engine):
    """SETTINGS with every cell run in `engine` (ase or lammps)."""
    return {**SETTINGS, "lammps_atoms": 10**9 if engine == "ase" else 1}


def test_pressures_multiply_the_conditions_and_need_periodic_cells(tmp_path):
    learn = {"structures": ["Cu"], "lattice": None, "lattice_constant": 3.6, "supercell": 1, "structure_files": [],
             "temperatures": [300.0, 600.0], "strains": [0.0, 0.02], "pressures": []}
    assert [c.pressure for c in conditions(learn)] == [None] * 4
    labels = [c.label for c in conditions({**learn, "pressures": [0.0, 5.0]})]
    assert len(labels) == 8 and labels[:2] == ["Cu 300 K strain +0 0 GPa", "Cu 300 K strain +0 5 GPa"]
    assert Condition("Cu", bulk("Cu"), 300.0, 0.0).label == "Cu 300 K strain +0"  # NVT labels as before
    write(tmp_path / "cluster.xyz", Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 2.5]]))
    with pytest.raises(ValueError, match=r"\[learn\] pressures: the starting structure cluster.xyz@0 is not periodic"):
        conditions({**learn, "structure_files": [tmp_path / "cluster.xyz"], "pressures": [1.0]})


@pytest.mark.parametrize("engine", ["ase", pytest.param("lammps", marks=needs_lammps)])
def test_a_pressure_compresses_the_cell_and_a_tension_expands_it(engine, request):
    plugin = request.getfixturevalue("plugin") if engine == "lammps" else None
    start = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    volumes = {}
    for pressure in (-5.0, 20.0):
        snapshots = explore(Condition("Cu", start, 300.0, 0.0, pressure), SUTTON_CHEN, plugin, settings(engine),
                            seed=(0, int(pressure) + 5), trajectory=0)
        assert [s.step for s in snapshots] == [20, 40, 60] and snapshots[0].condition.endswith(f"{pressure:g} GPa")
        volumes[pressure] = snapshots[-1].atoms.get_volume()
    # 25 GPa apart on a metal of bulk modulus ~100 GPa: the equilibrium volumes differ by ~20 %; a barostat that
    # moved the cell the wrong way, or not at all, leaves them equal or reversed
    assert volumes[20.0] < 0.97 * volumes[-5.0]


@needs_lammps
def test_lammps_configurations_are_in_the_frame_of_the_start(plugin):
    """A perfect primitive (non-orthogonal, so rotated for LAMMPS) crystal without velocities or noise stays put:
    every snapshot must be the start, cell and positions, to rounding."""
    start = bulk("Cu", "fcc", a=3.6).repeat(3)
    start.rotate(17, "z", rotate_cell=True)
    snapshots = explore(Condition("Cu", start, 0.0, 0.01), SUTTON_CHEN, plugin,
                        {**settings("lammps"), "friction": 0.0}, seed=0, trajectory=3)
    assert len(snapshots) == 3 and all(s.trajectory == 3 for s in snapshots)
    for snapshot in snapshots:
        atoms = snapshot.atoms
        assert np.allclose(atoms.cell, start.cell * 1.01, atol=1e-9)
        offset = atoms.get_scaled_positions(wrap=False) - start.get_scaled_positions(wrap=False)
        assert np.allclose(offset - np.round(offset), 0.0, atol=1e-9)  # the same sites, up to whole cell vectors

