"""`symbolicpot compare`: a tiny run's front beside a literature EAM potential, on the run's own test split."""
import contextlib
import io
import json

import numpy as np
import pytest

from run_configs import tiny_config
from symbolicpot.cli import main
from symbolicpot.compare import Row, comparison_table
from symbolicpot.data import example_path, load
from symbolicpot.fitness import error_metrics
from symbolicpot.potentials import load_potential, predict
from symbolicpot.run.config import load_data, resolve_file

FAST = ["--seconds", "0.02", "--repeats", "1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    config = folder / "run.toml"
    config.write_text(tiny_config(generations=2))
    assert main(["evolve", str(config), "--out", str(folder / "run"), "--progress", "off"]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def compared(run_dir, tmp_path_factory):
    """(rows as JSON, the plot's path) of compare on front model 0 and Cu_u3, with an extra test set."""
    plot = tmp_path_factory.mktemp("plot") / "compare.png"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # capsys is per test; this fixture serves the module
        assert main(["compare", str(run_dir), "--baselines", "eam:Cu_u3", "--pick", "0", "--plot", str(plot),
                     "--extra-test", str(example_path("sutton_chen") / "20kK"), "--json", *FAST]) == 0
    return json.loads(out.getvalue()), plot


def test_rows_cover_each_model_in_each_engine_it_runs_in(compared):
    rows, _ = compared
    assert [(row["model"], row["engine"]) for row in rows] == [("gp:0", "lammps"), ("eam:Cu_u3", "lammps"),
                                                               ("gp:0", "ase")]
    for row in rows:
        assert {"model", "energy_rmse_mev_per_atom", "force_rmse_ev_per_a", "us_per_atom_step", "engine"} <= set(row)
        assert row["us_per_atom_step"] > 0 and np.isfinite(row["us_per_atom_step"])


def test_front_rows_carry_the_errors_the_run_measured_on_its_test_split(compared, run_dir):
    rows, _ = compared
    test = json.loads((run_dir / "front.json").read_text())["models"][0]["test"]
    for row in (row for row in rows if row["model"] == "gp:0"):
        for key in ("energy_rmse_mev_per_atom", "energy_mae_mev_per_atom", "force_rmse_ev_per_a"):
            assert row[key] == pytest.approx(test[key], rel=1e-9)
        assert row["parameters"] >= 1 and row["complexity"] >= 1 and row["energy_shift_ev_per_atom"] is None


def test_literature_rows_are_shifted_by_the_training_data_and_scored_on_the_test_data(compared, run_dir):
    rows, _ = compared
    row = next(row for row in rows if row["model"] == "eam:Cu_u3")
    train, test = load_data(resolve_file(run_dir / "config.toml"))
    calculator = load_potential("eam:Cu_u3").calculator
    shift = np.mean((train.energy - predict(calculator, train).energy) / train.n_atoms)  # eV/atom, one species
    # least squares on one column of ones: the mean up to rounding (a few ulp of ~0.3 eV)
    assert row["energy_shift_ev_per_atom"] == pytest.approx(shift, rel=1e-12)
    assert row["energy_shift_ev_per_atom_by_species"] == {"Cu": row["energy_shift_ev_per_atom"]}
    prediction = predict(calculator, test)
    per_atom = (prediction.energy - test.energy) / test.n_atoms + shift
    assert row["energy_rmse_mev_per_atom"] == pytest.approx(1e3 * np.sqrt(np.mean(per_atom ** 2)), rel=1e-9)
    assert row["force_rmse_ev_per_a"] == pytest.approx(error_metrics(prediction, test)["force_rmse_ev_per_a"])


def test_extra_test_sets_are_scored_per_group(compared):
    rows, _ = compared
    extra = load(example_path("sutton_chen") / "20kK")
    for row in rows:
        metrics = row["extra_test"]["sutton_chen/20kK"]
        assert metrics["n_configs"] == extra.n_configs and metrics["force_rmse_ev_per_a"] > 0


def test_plot_is_a_png(compared):
    _, plot = compared
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_separates_engines_and_explains_the_shift():
    metrics = dict(energy_rmse_mev_per_atom=1.0, energy_mae_mev_per_atom=0.5, force_rmse_ev_per_a=0.1,
                   force_mae_ev_per_a=0.05, stress_rmse_gpa=None)
    rows = [Row("gp:0", "lammps", **metrics, us_per_atom_step=1.5, parameters=3),
            Row("eam:Cu_u3", "lammps", **metrics, us_per_atom_step=0.6, energy_shift_ev_per_atom=0.28,
                energy_shift_ev_per_atom_by_species={"Cu": 0.28}),
            Row("gp:0", "ase", **metrics, us_per_atom_step=18.0, parameters=3)]
    text = comparison_table(rows)
    lammps, ase = text.split("speed in an ASE")
    assert "speed in LAMMPS" in lammps and "eam:Cu_u3" in lammps and "0.2800" in lammps
    assert "eam:Cu_u3" not in ase.split("E shift:")[0] and "18" in ase
    assert "DFT reference energy differs" in text


@pytest.mark.parametrize("argv, message", [
    (["--pick", "99"], "no model 99"),
    (["--pick", "a,b"], "--pick 'a,b'"),
    (["--baselines", "eam:nothing"], "not a shipped literature potential"),
    (["--baselines", "mtp=/no/such/baseline"], "not a baseline directory"),
])
def test_bad_arguments_are_one_line_errors(run_dir, capsys, argv, message):
    assert main(["compare", str(run_dir), *argv, *FAST]) == 2
    assert message in capsys.readouterr().err


def test_a_run_without_test_data_is_refused(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(tiny_config(generations=1).replace("test_fraction = 0.3", "test_fraction = 0"))
    assert main(["evolve", str(config), "--out", str(tmp_path / "run"), "--progress", "off"]) == 0
    assert main(["compare", str(tmp_path / "run"), "--baselines", "eam:Cu_u3", *FAST]) == 2
    assert "the run has no test data" in capsys.readouterr().err


def test_a_baseline_directory_is_timed_in_the_ase_loop_with_a_note_on_its_split(run_dir, tmp_path, capsys):
    mtp = tmp_path / "mtp"
    data = example_path("sutton_chen")
    assert main(["baseline", "mtp", "--data", str(data / "300K"), str(data / "3800K"), "--out", str(mtp),
                 "--level", "2", "--max-iter", "5"]) == 0
    capsys.readouterr()
    assert main(["compare", str(run_dir), "--baselines", f"mtp={mtp}", "--pick", "0", "--json", *FAST]) == 0
    out, err = capsys.readouterr()
    rows = {(row["model"], row["engine"]): row for row in json.loads(out)}
    assert set(rows) == {("gp:0", "lammps"), ("gp:0", "ase"), ("mtp", "ase")}
    assert rows[("mtp", "ase")]["parameters"] == json.loads((mtp / "baseline.json").read_text())["parameters"]
    assert "was not fitted on this run's split" in err


def test_a_uf3_baseline_is_timed_in_lammps_only(run_dir, tmp_path, capsys):
    pytest.importorskip("uf3", reason="the uf3 extra is not installed")
    uf3 = tmp_path / "uf3"
    data = example_path("sutton_chen")
    assert main(["baseline", "uf3", "--data", str(data / "300K"), "--out", str(uf3),
                 "--degree", "3", "--knots-3b", "4", "--r-3b", "3"]) == 0
    capsys.readouterr()
    assert main(["compare", str(run_dir), "--baselines", f"uf3-3body={uf3}", "--pick", "0", "--json", *FAST]) == 0
    rows = {(row["model"], row["engine"]): row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {("gp:0", "lammps"), ("gp:0", "ase"), ("uf3-3body", "lammps")}
    summary = json.loads((uf3 / "baseline.json").read_text())
    assert rows[("uf3-3body", "lammps")]["parameters"] == summary["parameters"]
    assert rows[("uf3-3body", "lammps")]["energy_shift_ev_per_atom"] is None  # a fitted model: no shift


def test_a_front_model_whose_pair_functions_cannot_be_tabulated_is_timed_exact(monkeypatch, tmp_path):
    """export refuses tables it cannot make accurate (TableError, "export it with --exact"); compare then builds the
    exact plugin instead of failing the whole comparison."""
    from types import SimpleNamespace

    import symbolicpot.export.lammps as lammps
    from symbolicpot.compare import _plugin_commands
    from symbolicpot.export.pair_tables import TableError

    asked = []

    def export(potential, folder, style, register=True, exact=False):
        asked.append(exact)
        if not exact:
            raise TableError("the atom formula's derivatives are not finite on the probe structures")
        return [folder / "source.cpp", folder / "plugin.so"]
    monkeypatch.setattr(lammps, "export_lammps", export)
    entry = SimpleNamespace(loaded=SimpleNamespace(name="gp:3"),
                            potential=SimpleNamespace(formula="sum(r)^0.5", elements=("Si",)))
    commands = _plugin_commands(entry, tmp_path)
    assert asked == [False, True] and commands[0].endswith("plugin.so") and commands[2] == "pair_coeff * * Si"
