"""The neural-network baseline (`symbolicpot baseline nn`): tiny networks, few epochs, on shipped Sutton–Chen data."""
import json

import numpy as np
import pytest
import torch
from ase.build import bulk

from symbolicpot.baselines import nn
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.potentials import load_potential, predict

R_OUT = 4.0  # Å: fewer neighbours than the default 5 Å, so the fits are quick
TINY = {"hidden": "6", "epochs": 30}
FOLDERS = [str(example_path("sutton_chen") / t) for t in ("300K", "1600K", "3800K")]


@pytest.fixture(scope="module")
def split():
    """(train, test) of the Sutton–Chen data below 20 000 K."""
    return load(FOLDERS).split(0.2, 0)


@pytest.fixture(scope="module")
def fitted(split, tmp_path_factory):
    """(directory, summary) of a tiny network fitted to the training split."""
    out = tmp_path_factory.mktemp("nn")
    return out, nn.fit(split[0], out, TINY, r_out=R_OUT, seed=0)


@pytest.fixture(scope="module")
def calculator(fitted):
    return nn.load(fitted[0])


def rattled_triclinic():
    """8 Cu atoms in a sheared fcc primitive cell (shorter than 2 r_out: atoms see their own images)."""
    atoms = bulk("Cu", "fcc", a=3.6) * (2, 2, 2)
    atoms.set_cell(atoms.cell.array + [[0, 0, 0], [0.3, 0, 0], [0, 0.2, 0.1]], scale_atoms=True)
    atoms.rattle(0.15, seed=1)
    return atoms


def energy(calculator, atoms):
    atoms = atoms.copy()
    atoms.calc = calculator
    return atoms.get_potential_energy()


def central_difference(calculator, atoms, change, h=1e-5):
    """(E(+h) − E(−h)) / 2h, eV per unit of h, where change(copy, step) changes a copy of `atoms` by `step`."""
    energies = []
    for step in (h, -h):
        changed = atoms.copy()
        change(changed, step)
        energies.append(energy(calculator, changed))
    return (energies[0] - energies[1]) / (2 * h)


def test_forces_and_stress_are_derivatives_of_the_energy(calculator):
    atoms = rattled_triclinic()
    atoms.calc = calculator
    forces, stress = atoms.get_forces(), atoms.get_stress()
    for i, k in [(0, 0), (3, 1), (7, 2)]:
        displacement = np.zeros((len(atoms), 3))
        displacement[i, k] = 1.0
        slope = central_difference(calculator, atoms, lambda copy, step: copy.translate(step * displacement))
        assert forces[i, k] == pytest.approx(-slope, abs=1e-8)
    for voigt, (a, b) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        strain = np.zeros((3, 3))
        strain[a, b] += 0.5
        strain[b, a] += 0.5
        slope = central_difference(calculator, atoms, lambda copy, step: copy.set_cell(
            atoms.cell.array @ (np.eye(3) + step * strain), scale_atoms=True))
        assert stress[voigt] == pytest.approx(slope / atoms.get_volume(), abs=1e-8)


def test_energy_is_invariant_under_rotation_translation_and_permutation(calculator, split):
    atoms = split[1].atoms[0].copy()
    atoms.calc = calculator
    reference, forces = atoms.get_potential_energy(), atoms.get_forces()
    moved = atoms.copy()
    moved.rotate(37, (1, 2, 3), rotate_cell=True)
    moved.translate((0.3, -1.1, 2.0))
    order = np.random.default_rng(0).permutation(len(atoms))
    moved = moved[order]
    moved.calc = calculator
    rotation = np.linalg.solve(atoms.cell.array, moved.cell.array)  # row vectors: v_moved = v @ rotation
    assert moved.get_potential_energy() == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(moved.get_forces(), (forces @ rotation)[order], atol=1e-10)


def test_the_fit_learned(fitted, calculator, split):
    out, summary = fitted
    test = split[1]
    prediction = predict(calculator, test)
    force_rmse = np.sqrt(np.mean((prediction.forces - test.forces) ** 2))
    energy_rmse = np.sqrt(np.mean(((prediction.energy - test.energy) / test.n_atoms) ** 2))
    assert force_rmse < 0.5 * np.sqrt(np.mean(test.forces**2))
    assert energy_rmse < 0.2 * np.std(test.energy / test.n_atoms)
    n_features = summary["symmetry_functions"]["radial"] + summary["symmetry_functions"]["angular"]
    assert summary["parameters"] == (n_features * 6 + 6) + (6 + 1)
    assert sorted(summary["files"]) == sorted(path.name for path in out.iterdir())


def test_the_saved_network_is_the_best_epochs(split, tmp_path):
    too_fast = {"hidden": "4", "epochs": 10, "learning_rate": 0.3}  # the validation loss jumps about
    summary = nn.fit(split[0], tmp_path, too_fast, r_out=R_OUT, seed=0)
    assert summary["best_epoch"] < summary["epochs_trained"] == 10
    # the best epoch's validation loss, recomputed from the saved files (weights, standardisation, hyper-parameters)
    validation = split[0].split(nn.VALIDATION_FRACTION, 0)[1]
    prediction = predict(nn.load(tmp_path), validation)
    loss = (np.mean(((prediction.energy - validation.energy) / validation.n_atoms) ** 2)
            + nn.FORCE_WEIGHT * np.mean((prediction.forces - validation.forces) ** 2))
    assert loss == pytest.approx(summary["validation_loss"], rel=1e-9)


def test_early_stopping_stops_after_patience_epochs_without_improvement(split, tmp_path):
    frozen = {"hidden": "4", "epochs": 50, "patience": 2, "learning_rate": 0.0}  # the loss cannot improve
    summary = nn.fit(split[0], tmp_path, frozen, r_out=R_OUT, seed=0)
    assert (summary["best_epoch"], summary["epochs_trained"]) == (1, 3)


def test_the_seed_decides_the_weights(split, tmp_path):
    def weights(name, seed, **options):
        (tmp_path / name).mkdir()
        nn.fit(split[0], tmp_path / name, {"hidden": "4", "epochs": 2, **options}, r_out=R_OUT, seed=seed)
        return torch.load(tmp_path / name / nn.MODEL_FILE, weights_only=True)

    first, again = weights("a", 1), weights("b", 1)
    assert all(torch.equal(first[key], again[key]) for key in first)
    initial, other_initial = weights("c", 1, learning_rate=0.0), weights("d", 2, learning_rate=0.0)
    assert not torch.equal(initial["networks.0.0.weight"], other_initial["networks.0.0.weight"])


@pytest.mark.parametrize("hidden", ["16,,16", "0", "8,x", "", "-4"])
def test_bad_hidden_widths_are_refused_with_a_clear_message(split, tmp_path, hidden):
    with pytest.raises(ValueError, match="--hidden must be positive layer widths"):
        nn.fit(split[0], tmp_path, {"hidden": hidden}, r_out=R_OUT, seed=0)


def baseline(capsys, tmp_path, *options):
    status = main(["baseline", "nn", "--data", *FOLDERS, "--out", str(tmp_path), "--r-out", str(R_OUT), *options])
    return status, *capsys.readouterr()


def test_the_command_writes_baseline_json_and_the_baseline_loads(capsys, tmp_path):
    status, out, _ = baseline(capsys, tmp_path, "--epochs", "2", "--hidden", "4", "--json")
    summary = json.loads((tmp_path / "baseline.json").read_text())
    assert status == 0 and json.loads(out) == summary
    assert summary["kind"] == "nn" and summary["hidden"] == [4] and summary["epochs_trained"] == 2
    assert set(summary["errors"]) == {"train", "test"}
    assert 0 < summary["errors"]["test"]["force_rmse_ev_per_a"] < float("inf")
    potential = load_potential(tmp_path)
    assert potential.name == "nn" and potential.parameters == summary["parameters"]
    assert np.isfinite(energy(potential.calculator, rattled_triclinic()))


@pytest.mark.parametrize("options, message", [(["--hidden", "16,x"], "--hidden must be"),
                                              (["--level", "2"], "no option level")])
def test_the_command_refuses_bad_options_in_one_line(capsys, tmp_path, options, message):
    status, _, err = baseline(capsys, tmp_path, *options)
    assert status == 2 and message in err and "Traceback" not in err
