"""The MTP baseline (`symbolicpot baseline mtp`, motep): level-2 fits of 20 iterations on shipped Sutton–Chen data."""
import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest
from ase.build import bulk
from scipy.spatial.transform import Rotation

from energy_derivatives import check_forces_and_stress, rattled_copper
from symbolicpot.baselines import mtp
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.fitness import error_metrics
from symbolicpot.potentials import load_potential, predict

DATA = str(example_path("sutton_chen"))
TINY = {"level": 2, "max_iter": 20}


@pytest.fixture(scope="module")
def split():
    """(train, test) as the command splits the Sutton–Chen data by default (20 % held out, seed 0)."""
    return load([DATA]).split(0.2, 0)


@pytest.fixture(scope="module")
def command_run(tmp_path_factory):
    """(out directory, exit status, printed text) of `symbolicpot baseline mtp --level 2 --max-iter 20 --json`."""
    out = tmp_path_factory.mktemp("mtp")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = main(["baseline", "mtp", "--data", DATA, "--out", str(out), "--level", "2", "--max-iter", "20",
                       "--json"])
    return out, status, printed.getvalue()


def test_the_command_writes_the_potential_and_its_errors(command_run, split):
    out, status, printed = command_run
    summary = json.loads((out / "baseline.json").read_text())
    assert status == 0 and json.loads(printed) == summary
    assert {"potential.mtp", "species.json", "baseline.json"} <= {path.name for path in out.iterdir()}
    assert summary["kind"] == "mtp" and summary["level"] == 2 and summary["max_iter"] == 20
    assert summary["parameters"] == 10  # species 1 + moment 1 + radial 8
    test, errors = split[1], summary["errors"]["test"]
    energy_spread = 1e3 * np.std(test.energy / test.n_atoms)  # about 670 meV/atom: 300 K to 20 000 K
    force_rms = np.sqrt(np.mean(test.forces ** 2))  # about 4.6 eV/Å
    assert errors["energy_rmse_mev_per_atom"] < 0.05 * energy_spread
    assert errors["force_rmse_ev_per_a"] < 0.15 * force_rms
    assert summary["errors"]["train"]["force_rmse_ev_per_a"] < 0.15 * force_rms


def test_the_same_seed_fits_the_same_potential_from_python(command_run, split, tmp_path):
    summary = mtp.fit(split[0], tmp_path, TINY, r_out=5.0, seed=0)
    assert summary["parameters"] == 10 and summary["files"] == ["potential.mtp", "species.json"]
    assert (tmp_path / "potential.mtp").read_text() == (command_run[0] / "potential.mtp").read_text()


def test_two_species_get_one_type_each(split, tmp_path):
    atoms = [structure.copy() for structure in split[0].atoms]
    for structure in atoms:
        structure.numbers[::2] = 28  # every other Cu becomes Ni: meaningless labels, but a two-species fit
    summary = mtp.fit(dataclasses.replace(split[0], atoms=atoms), tmp_path, {"level": 2, "max_iter": 5}, r_out=5.0,
                      seed=0)
    assert json.loads((tmp_path / "species.json").read_text()) == {"species": ["Ni", "Cu"]}
    assert summary["parameters"] == 2 + 1 + 2 * 2 * 8  # species, moment, radial (type pairs × 8 polynomials)
    alloy = rattled_copper()
    alloy.numbers[:5] = 28
    alloy.calc = mtp.load(tmp_path)
    assert np.isfinite(alloy.get_potential_energy())


def test_forces_and_stress_are_derivatives_of_the_energy(command_run):
    check_forces_and_stress(load_potential(command_run[0]).calculator)


def test_reloading_gives_identical_predictions(command_run, split):
    first, second = (predict(calculator, split[1]) for calculator in (mtp.load(command_run[0]),
                                                                     load_potential(command_run[0]).calculator))
    assert np.array_equal(first.energy, second.energy) and np.array_equal(first.forces, second.forces)
    summary = json.loads((command_run[0] / "baseline.json").read_text())
    assert error_metrics(first, split[1]) == summary["errors"]["test"]  # as the command measured them
    assert load_potential(command_run[0]).parameters == summary["parameters"]


def test_one_calculator_serves_structures_of_any_size(command_run):
    structures = [rattled_copper(), bulk("Cu", "fcc", a=3.7) * (2, 1, 1), rattled_copper(seed=1)]
    calculator = mtp.load(command_run[0])
    for atoms in structures:
        alone = atoms.copy()
        alone.calc = mtp.load(command_run[0])
        atoms.calc = calculator
        assert atoms.get_potential_energy() == alone.get_potential_energy()
        assert np.array_equal(atoms.get_forces(), alone.get_forces())


@pytest.mark.parametrize("level, scalars, moments", [(2, 1, 1), (4, 2, 2), (6, 5, 8), (8, 9, 18), (10, 16, 41),
                                                     (12, 29, 84)])
def test_the_moment_basis_has_the_size_of_mlips_untrained_potentials(level, scalars, moments):
    _, _, mapping, count = mtp.moment_basis(level)
    assert (len(mapping), count) == (scalars, moments)


def test_a_level_10_mtp_is_invariant_under_rotation():
    potential = mtp.untrained_mtp(10, [29], 1.5, 5.0)
    potential.initialize(np.random.default_rng(1))  # random coefficients: every basis function counts
    atoms = rattled_copper()
    rotation = Rotation.random(random_state=2).as_matrix()
    rotated = atoms.copy()
    rotated.set_cell(atoms.cell.array @ rotation.T, scale_atoms=True)
    for structure in (atoms, rotated):
        structure.calc = mtp.Calculator(potential)
    assert rotated.get_potential_energy() == pytest.approx(atoms.get_potential_energy(), rel=1e-12)
    assert np.allclose(rotated.get_forces(), atoms.get_forces() @ rotation.T, atol=1e-10)


@pytest.mark.parametrize("broken, message", [("potential.mtp", "potential.mtp: missing"),
                                             ("species.json", "species.json: missing")])
def test_a_missing_file_is_named(command_run, tmp_path, broken, message):
    for name in ("potential.mtp", "species.json"):
        if name != broken:
            (tmp_path / name).write_text((command_run[0] / name).read_text())
    with pytest.raises(ValueError, match=message):
        mtp.load(tmp_path)


@pytest.mark.parametrize("damage", [lambda text: "not an MTP\n", lambda text: text[:len(text) // 2],
                                    lambda text: text.replace("radial_basis_size = 8", "radial_basis_size = 7")])
def test_an_unreadable_potential_file_is_named(command_run, tmp_path, damage):
    (tmp_path / "species.json").write_text((command_run[0] / "species.json").read_text())
    (tmp_path / "potential.mtp").write_text(damage((command_run[0] / "potential.mtp").read_text()))
    with pytest.raises(ValueError, match="potential.mtp: not a"):
        mtp.load(tmp_path)
