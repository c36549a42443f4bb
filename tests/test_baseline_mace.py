"""The MACE baseline (`symbolicpot baseline mace`, mace-torch): a tiny network trained for a few epochs on shipped
Lennard-Jones data (argon; unlike the shipped Sutton–Chen data they carry stresses). Without the mace extra they are
skipped (test_baseline_command.py checks the install message)."""
import contextlib
import io
import json
import re

import ase.io
import ase.units
import numpy as np
import pytest

from energy_derivatives import check_forces_and_stress
from symbolicpot.baselines import validation_split
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.fitness import error_metrics
from symbolicpot.potentials import load_potential, predict

FOLDERS = [str(example_path("lennard_jones") / t) for t in ("FCC", "liquid")]
R_OUT = 4.0  # Å: fewer neighbours than the default 5 Å, so training is quick
TINY = ["--r-out", str(R_OUT), "--channels", "8", "--layers", "1", "--max-l", "0", "--epochs", "3"]


@pytest.fixture(scope="module")
def mace():
    """The symbolicpot.baselines.mace module; the tests that need it are skipped without the mace-torch package."""
    return pytest.importorskip("symbolicpot.baselines.mace", reason="the mace extra is not installed")


@pytest.fixture(scope="module")
def command_run(mace, tmp_path_factory):
    """(out directory, exit status, printed text) of a tiny `symbolicpot baseline mace ... --json`."""
    out = tmp_path_factory.mktemp("mace")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = main(["baseline", "mace", "--data", *FOLDERS, "--out", str(out), *TINY, "--json"])
    return out, status, printed.getvalue()


def test_the_command_writes_the_network_and_its_errors(command_run):
    out, status, printed = command_run
    summary = json.loads((out / "baseline.json").read_text())
    assert status == 0 and json.loads(printed) == summary
    assert {"model.pt", "hyperparameters.json", "training.log", "baseline.json"} == {p.name for p in out.iterdir()}
    assert summary["kind"] == summary["name"] == "mace" and summary["epochs_trained"] == 3
    assert (summary["channels"], summary["layers"], summary["max_l"], summary["r_max"]) == (8, 1, 0, R_OUT)
    assert 0 < summary["errors"]["test"]["force_rmse_ev_per_a"] < float("inf")
    potential = load_potential(out)
    assert potential.name == "mace" and potential.parameters == summary["parameters"]
    assert potential.pair_commands is None  # timed in the ASE loop


def test_the_saved_files_hold_no_pickle(command_run, mace):
    """model.pt loads with weights_only=True (tensors only); the architecture is plain JSON."""
    import torch
    state = torch.load(command_run[0] / "model.pt", weights_only=True)
    summary = json.loads((command_run[0] / "baseline.json").read_text())
    assert sum(tensor.numel() for name, tensor in state.items() if tensor.is_floating_point()) >= summary["parameters"]
    json.loads((command_run[0] / "hyperparameters.json").read_text())


def test_forces_and_stress_are_derivatives_of_the_energy(command_run):
    argon = load(FOLDERS[1]).atoms[0].copy()  # a liquid snapshot: no symmetry hides a wrong derivative
    check_forces_and_stress(load_potential(command_run[0]).calculator, argon)


def test_reloading_gives_the_errors_the_command_measured(command_run, mace):
    test = load(FOLDERS).split(0.2, 0)[1]
    summary = json.loads((command_run[0] / "baseline.json").read_text())
    assert error_metrics(predict(mace.load(command_run[0]), test), test) == summary["errors"]["test"]


def test_the_kept_weights_are_the_best_validation_epochs(command_run, mace):
    """Early stopping keeps the epoch of the lowest validation loss in mace's log, and the saved state dict and
    architecture rebuild that network: its errors on the validation split are the ones the log printed."""
    log = (command_run[0] / "training.log").read_text()
    epochs = [tuple(map(float, numbers)) for numbers in re.findall(
        r"Epoch \d+: .*loss=([\d.]+), RMSE_E_per_atom=\s*([\d.]+) meV, RMSE_F=\s*([\d.]+) meV / A", log)]
    assert len(epochs) == 3
    _, energy_rmse, force_rmse = min(epochs)
    validation = validation_split("mace", load(FOLDERS).split(0.2, 0)[0], 0)[1]
    errors = error_metrics(predict(mace.load(command_run[0]), validation), validation)
    # the log prints meV to 2 decimals (rounding ≤ 0.005); mace's batched evaluation and its calculator differ by
    # float64 rounding only (≪ 1e-6 meV)
    assert errors["energy_rmse_mev_per_atom"] == pytest.approx(energy_rmse, abs=0.005 + 1e-6)
    assert 1e3 * errors["force_rmse_ev_per_a"] == pytest.approx(force_rmse, abs=0.005 + 1e-6)


@pytest.mark.parametrize("change", [{"gate": "system"}, {"readout_cls": "Popen"}])
def test_names_in_the_architecture_are_looked_up_only_in_mace_and_torch(command_run, mace, tmp_path, change):
    for name in ("model.pt", "training.log"):
        (tmp_path / name).write_bytes((command_run[0] / name).read_bytes())
    hyperparameters = json.loads((command_run[0] / "hyperparameters.json").read_text())
    (tmp_path / "hyperparameters.json").write_text(json.dumps({**hyperparameters, **change}))
    with pytest.raises(ValueError, match="not a readable MACE baseline"):
        mace.load(tmp_path)


def test_training_data_carry_stresses_in_mace_units(mace, tmp_path):
    """The loss fits stresses: REF_stress in eV/Å³ (ASE's sign, Voigt), the data's GPa times ase.units.GPa."""
    dataset = load(FOLDERS[0])
    mace._write_extxyz(dataset, tmp_path / "train.xyz")
    images = ase.io.read(tmp_path / "train.xyz", index=":")
    written = np.array([atoms.info["REF_stress"] for atoms in images])
    assert written.shape == (dataset.n_configs, 6)
    np.testing.assert_allclose(written, dataset.stress * ase.units.GPa, rtol=1e-12)  # extxyz keeps 16 digits


def test_mace_trained_on_the_stresses(command_run):
    """mace's log names the loss with a stress term and counts the training configurations with stresses."""
    log = (command_run[0] / "training.log").read_text()
    assert "WeightedEnergyForcesStressLoss" in log
    counted = re.search(r"Total Training set \[energy: (\d+), stress: (\d+)", log)
    assert counted and counted.group(1) == counted.group(2) != "0"
