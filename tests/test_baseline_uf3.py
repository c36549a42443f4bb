"""The UF3 baseline (`symbolicpot baseline uf3`, the uf3 package, run in LAMMPS): small fits on the shipped
Sutton–Chen structures, relabelled by a pair potential that UF3's 2-body basis holds exactly. Without the uf3 extra
they are skipped (test_baseline_command.py checks the install message)."""
import contextlib
import io
import json

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.neighborlist import neighbor_list
from scipy.interpolate import BSpline

from energy_derivatives import check_forces_and_stress, rattled_copper
from symbolicpot.baselines import fit_baseline
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.fitness import error_metrics
from symbolicpot.potentials import load_potential, predict

FOLDERS = [str(example_path("sutton_chen") / t) for t in ("300K", "1600K")]
R_OUT = 4.0  # Å: fewer neighbours than the default 5 Å, so the fits are quick
THREE_BODY = {"degree": 3, "knots_3b": 4, "r_3b": 3.0}  # a small three-body term
# The knots of the default 2-body basis at R_OUT: 20 uniform intervals on [0, R_OUT], cubic (ends repeated 4 times)
KNOTS = np.concatenate([[0.0] * 3, np.linspace(0.0, R_OUT, 21), [R_OUT] * 3])
ENERGY_1B = -3.5  # eV per atom


def pair_spline():
    """A Morse-shaped cubic B-spline V(r) (eV) on KNOTS whose last three coefficients are 0, as in UF3's basis (its
    trailing trim): E = N ENERGY_1B + Σ_{i<j} V(r_ij) is a UF3 2-body potential (V2 = V/2: uf3 counts every pair
    at both of its atoms)."""
    greville = np.array([KNOTS[k + 1:k + 4].mean() for k in range(len(KNOTS) - 4)])
    coefficients = 0.3 * (np.exp(-3 * (greville - 2.55)) - 2 * np.exp(-1.5 * (greville - 2.55)))
    coefficients[-3:] = 0.0
    return BSpline(KNOTS, coefficients, 3)


@pytest.fixture(scope="module")
def pair_data(tmp_path_factory):
    """An extended XYZ file of the Sutton–Chen structures labelled by pair_spline(). Positions go through the file
    first, so the labels belong to the positions as stored; the file keeps energies exactly (repr) and forces to
    1e-8 eV/Å."""
    path = tmp_path_factory.mktemp("pair") / "pair.xyz"
    ase.io.write(path, list(load(FOLDERS).atoms), format="extxyz")
    structures, spline = ase.io.read(path, ":"), pair_spline()
    for atoms in structures:
        i, distance, vector = neighbor_list("idD", atoms, R_OUT)  # every pair twice: (i, j) and (j, i)
        forces = np.zeros((len(atoms), 3))
        np.add.at(forces, i, (spline.derivative()(distance) / distance)[:, None] * vector)
        atoms.calc = SinglePointCalculator(atoms, energy=len(atoms) * ENERGY_1B + spline(distance).sum() / 2,
                                           forces=forces)
    ase.io.write(path, structures, format="extxyz")
    return path


@pytest.fixture(scope="module")
def split(pair_data):
    """(train, test) of pair_data as the command splits it by default (20 % held out, seed 0)."""
    return load(pair_data).split(0.2, 0)


@pytest.fixture(scope="module")
def uf3():
    """The symbolicpot.baselines.uf3 module; the tests that need it are skipped without the uf3 package."""
    return pytest.importorskip("symbolicpot.baselines.uf3", reason="the uf3 extra is not installed")


@pytest.fixture(scope="module")
def command_run(uf3, pair_data, tmp_path_factory):
    """(out directory, exit status, printed text) of `symbolicpot baseline uf3 --data pair.xyz --r-out 4 --json`."""
    out = tmp_path_factory.mktemp("uf3")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = main(["baseline", "uf3", "--data", str(pair_data), "--out", str(out), "--r-out", str(R_OUT),
                       "--json"])
    return out, status, printed.getvalue()


@pytest.fixture(scope="module")
def three_body(uf3, split, tmp_path_factory):
    """(directory, baseline.json) of a 2+3-body fit on 3 training configurations (uf3 takes ~2 s for the three-body
    force features of one)."""
    out = tmp_path_factory.mktemp("uf3-3body")
    train = split[0].subset(slice(0, 3))
    return out, fit_baseline("uf3", train, split[1], out, THREE_BODY, r_out=R_OUT)


def test_the_command_writes_the_potential_and_its_errors(command_run, split):
    out, status, printed = command_run
    summary = json.loads((out / "baseline.json").read_text())
    assert status == 0 and json.loads(printed) == summary
    assert {"potential.uf3", "model.json", "baseline.json"} == {path.name for path in out.iterdir()}
    assert summary["kind"] == summary["name"] == "uf3" and summary["degree"] == 2
    # The data are a UF3 2-body potential: the fit recovers it. What remains is the rounding of the stored forces to
    # 1e-8 eV/Å (≤ 5e-9 per component, RMS 2.9e-9), with the least-squares solve's own error far below (the Gram
    # matrix's condition number is ~3e5: ~3e-11 relative). Energies have no rounding on file; a 5e-9 eV/Å error in V'
    # across the ~2 Å of distances in the data moves V by ≲ 1e-8 eV, times ≲ 40 pairs per atom: ≲ 4e-7 eV per atom.
    # A wrong 1-body energy, pair convention or knot would cost meV and tenths of eV/Å.
    for part in ("train", "test"):
        assert summary["errors"][part]["force_rmse_ev_per_a"] < 1e-8
        assert summary["errors"][part]["energy_rmse_mev_per_atom"] < 4e-4
    # the repulsive wall continues the fit below the data: V2 keeps falling with r up to the shortest distance
    potential = load_potential(out)
    dimer = [Atoms("Cu2", positions=[[0, 0, 0], [r, 0, 0]], cell=[20, 20, 20]) for r in (1.0, 1.5, 2.0)]
    energies = [potential.calculator.get_potential_energy(atoms) for atoms in dimer]
    assert energies == sorted(energies, reverse=True)


@pytest.mark.parametrize("fitted", ["command_run", "three_body"])
def test_lammps_computes_the_fitted_linear_model(fitted, request):
    """The potential file holds the fit: LAMMPS's energy (plus the 1-body terms) and forces equal uf3's features
    times the fitted coefficients, to rounding (sums of ~10³ terms of ~1 eV)."""
    from uf3.regression.least_squares import WeightedLinearModel
    from uf3.representation.process import BasisFeaturizer

    directory = request.getfixturevalue(fitted)[0]
    model = WeightedLinearModel.from_json(str(directory / "model.json"))
    atoms = rattled_copper()
    rows = BasisFeaturizer(model.bspline_config).evaluate_configuration(atoms, energy=0.0,
                                                                         forces=np.zeros((3, len(atoms))))
    energy = rows.pop("energy")[1:] @ model.coefficients
    forces = np.array([rows[f"f{axis}_{i}"][1:] @ model.coefficients for i in range(len(atoms)) for axis in "xyz"])
    atoms.calc = load_potential(directory).calculator
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-9)
    np.testing.assert_allclose(atoms.get_forces().ravel(), forces, atol=1e-9)


def test_the_three_body_fit_is_named_and_counted(uf3, three_body):
    directory, summary = three_body
    potential = load_potential(directory)
    assert summary["name"] == potential.name == "uf3-3body" and summary["degree"] == 3
    assert potential.parameters == summary["parameters"] > uf3.DEFAULTS["knots"]
    assert potential.pair_commands[0] == "pair_style uf3 3"
    assert "3B Cu Cu Cu 0 3 nk" in (directory / "potential.uf3").read_text()


@pytest.mark.parametrize("fitted", ["command_run", "three_body"])
def test_forces_and_stress_are_derivatives_of_the_energy(fitted, request):
    check_forces_and_stress(load_potential(request.getfixturevalue(fitted)[0]).calculator)


def test_reloading_gives_the_errors_the_command_measured(uf3, command_run, split):
    summary = json.loads((command_run[0] / "baseline.json").read_text())
    assert error_metrics(predict(uf3.load(command_run[0]), split[1]), split[1]) == summary["errors"]["test"]


def test_a_missing_file_is_named(uf3, command_run, tmp_path):
    (tmp_path / "model.json").write_text((command_run[0] / "model.json").read_text())
    with pytest.raises(ValueError, match="potential.uf3: missing"):
        uf3.load(tmp_path)
    with pytest.raises(ValueError, match="model.json: missing"):
        uf3.load(tmp_path / "nothing")
