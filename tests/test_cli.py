"""The `symbolicpot` command as a user runs it."""
import json
import subprocess
import sys

import numpy as np
import pytest

from symbolicpot import __version__
from symbolicpot.cli import main
from symbolicpot.data import example_path

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_eval_json_reports_errors_per_group_and_overall(capsys):
    status, out, _ = run(capsys, "eval", "--data", str(example_path("sutton_chen")), "--expr", SUTTON_CHEN, "--json")
    report = json.loads(out)
    assert status == 0 and report["valid"]
    assert report["n_configs"] == 40 and report["n_atoms"] == 1280
    assert report["energy_rmse_mev_per_atom"] < 0.05 and report["force_rmse_ev_per_a"] < 1e-4
    assert report["stress_rmse_gpa"] is None  # POET's EAM_Cu sets carry no stresses
    assert set(report["groups"]) == {f"sutton_chen/{t}" for t in ("300K", "1600K", "3800K", "20kK")}


def test_eval_table_and_fit_constants(capsys):
    perturbed = "sum(700*r^-9.5) - sum(500*r^-6.3)^0.52"
    status, out, _ = run(capsys, "eval", "--data", str(example_path("sutton_chen") / "300K"), "--expr", perturbed,
                         "--fit-constants")
    assert status == 0
    overall = next(line for line in out.splitlines() if line.startswith("overall")).split()
    assert float(overall[3]) < 0.1  # energy RMSE, meV/atom, after fitting


def test_eval_of_an_invalid_formula_says_so(capsys):
    status, out, _ = run(capsys, "eval", "--data", str(example_path("sutton_chen") / "300K"), "--expr", "sum(1/(r-r))")
    assert status == 1 and "invalid" in out


@pytest.mark.parametrize("argv, message", [
    (["--expr", "sum(r)^"], "position 7"),
    (["--expr", "r + 1"], "'r' must stand inside sum"),
    (["--expr", "sum(r)", "--r-in", "6"], "r_in < r_out"),
])
def test_bad_input_gives_one_clear_line(capsys, argv, message):
    status, _, err = run(capsys, "eval", "--data", str(example_path("sutton_chen") / "300K"), *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_bad_data_path_names_the_file(capsys, tmp_path):
    status, _, err = run(capsys, "eval", "--data", str(tmp_path / "missing"), "--expr", "sum(r)")
    assert status == 2 and "missing" in err


def test_console_script_version_and_help():
    version = subprocess.run([sys.executable, "-m", "symbolicpot", "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"symbolicpot {__version__}"
    for argv in (["--help"], ["eval", "--help"]):
        shown = subprocess.run([sys.executable, "-m", "symbolicpot", *argv], capture_output=True, text=True)
        assert shown.returncode == 0 and "usage: symbolicpot" in shown.stdout


def test_data_without_energies_are_refused_before_any_fit(capsys, tmp_path):
    """evolve and eval --fit-constants need energies (the per-atom reference): one line naming the file."""
    import ase.build
    import ase.io
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = []
    for seed in range(3):
        atoms = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
        atoms.rattle(0.05, seed=seed)
        atoms.calc = SinglePointCalculator(atoms, forces=np.zeros((len(atoms), 3)))
        frames.append(atoms)
    path = tmp_path / "forces_only.extxyz"
    ase.io.write(path, frames)
    for argv in (["evolve", "--data", path, "--out", tmp_path / "run", "--progress", "off"],
                 ["eval", "--data", path, "--expr", "sum(r^-6)", "--fit-constants"]):
        assert main(list(map(str, argv))) == 2
        err = capsys.readouterr().err
        assert f"{path}: no energies in the data, and the fit needs them" in err and "Traceback" not in err
