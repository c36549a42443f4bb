"""`symbolicpot export` as a user runs it: every format from a formula, a run's model and a potential file."""
import json
import runpy

import pytest

from symbolicpot.cli import main
from symbolicpot.export.potential import Potential
from test_export_potential import write_front

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


def export(capsys, *argv):
    status = main(["export", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_json_from_a_formula(capsys, tmp_path):
    status, out, _ = export(capsys, SUTTON_CHEN, "--format", "json", "--out", tmp_path, "--r-in", 2.5, "--r-out", 5.5,
                            "--element", "Ag")
    assert status == 0 and out == [str(tmp_path / "potential.json")]
    assert Potential.from_json(tmp_path / "potential.json") == Potential(SUTTON_CHEN, 2.5, 5.5, "Ag")


def test_an_alloy_formula_takes_its_elements_from_the_formula_or_from_elements(capsys, tmp_path):
    alloy = "Ni: sum[Al](2*r^-8) + sum(r^-9) - sum[Ni](r^-6)^0.5; Al: sum(r^-7) - sum(r^-6)^0.5"
    export(capsys, alloy, "--format", "json", "--out", tmp_path, "--name", "named")
    assert Potential.from_json(tmp_path / "named.json").elements == ("Ni", "Al")
    export(capsys, alloy, "--format", "json", "--out", tmp_path, "--name", "given", "--elements", "Al, Ni")
    assert Potential.from_json(tmp_path / "given.json").elements == ("Al", "Ni")
    status, out, _ = export(capsys, alloy, "--format", "eam-fs", "--out", tmp_path)
    assert status == 0 and out[1].strip() == "pair_style eam/fs; pair_coeff * * potential.eam.fs Ni Al"


def test_ase_writes_the_json_and_a_script_that_runs(capsys, tmp_path):
    status, out, _ = export(capsys, SUTTON_CHEN, "--format", "ase", "--out", tmp_path / "new", "--name", "sc")
    assert status == 0 and out == [str(tmp_path / "new" / "sc.json"), str(tmp_path / "new" / "sc_ase.py")]
    runpy.run_path(str(tmp_path / "new" / "sc_ase.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "relaxed: -3.2" in printed and "NVE: " in printed


def test_latex_is_the_simplified_formula(capsys, tmp_path):
    poet = "-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.50)"
    status, _, _ = export(capsys, poet, "--format", "latex", "--out", tmp_path, "--name", "poet")
    text = (tmp_path / "poet.tex").read_text()
    assert status == 0 and "exact: " + Potential.from_formula(poet).formula in text
    assert r"T_i = 641.854 \sum_{j} \left(\frac{1}{r_{ij}^{9}}\right) - 22.9827" in text


def test_eam_fs_from_a_run_model_says_how_to_use_it(capsys, tmp_path):
    run = write_front(tmp_path / "run", ["sum(r^-6)", SUTTON_CHEN])
    status, out, _ = export(capsys, run, "--pick", 1, "--format", "eam-fs", "--out", tmp_path / "out")
    assert status == 0 and out[0] == str(tmp_path / "out" / "model1.eam.fs")
    assert out[1].strip() == "pair_style eam/fs; pair_coeff * * model1.eam.fs Cu" and "16385 points" in out[2]


def test_json_from_a_run_keeps_its_provenance_and_exports_again(capsys, tmp_path):
    run = write_front(tmp_path / "run", [SUTTON_CHEN], r_in=2.8, r_out=5.2)
    export(capsys, run, "--pick", 0, "--format", "json", "--out", tmp_path)
    potential = Potential.from_json(tmp_path / "model0.json")
    assert potential.provenance["run"] == str(run.resolve()) and potential.r_in == 2.8
    status, out, _ = export(capsys, tmp_path / "model0.json", "--format", "latex", "--out", tmp_path)
    assert status == 0 and out == [str(tmp_path / "model0.tex")]


def test_lammps_goes_to_the_plugin_exporter(capsys, tmp_path, monkeypatch):
    import symbolicpot.export.lammps as lammps_export
    calls = []

    def export_lammps(potential, out_dir, name, exact):
        calls.append((potential, out_dir, name, exact))
        return [out_dir / f"in.{name}"]
    monkeypatch.setattr(lammps_export, "export_lammps", export_lammps)
    status, out, _ = export(capsys, SUTTON_CHEN, "--format", "lammps", "--out", tmp_path, "--name", "sc")
    assert status == 0 and out == [str(tmp_path / "in.sc"), "  pair sums: 2 pair functions, from quintic tables in r^2"]
    status, _, _ = export(capsys, SUTTON_CHEN, "--format", "lammps", "--out", tmp_path, "--name", "sc", "--exact")
    assert status == 0
    assert calls == [(Potential.from_formula(SUTTON_CHEN), tmp_path, "sc", False),
                     (Potential.from_formula(SUTTON_CHEN), tmp_path, "sc", True)]


@pytest.mark.parametrize("argv, message", [
    (["sum(r)^", "--format", "json"], "position 7"),
    (["sum(r^-9)*sum(r^-6)", "--format", "eam-fs"], "no EAM shape"),
    ([SUTTON_CHEN, "--format", "json", "--name", "my potential"], "--name 'my potential'"),
    ([SUTTON_CHEN, "--format", "json", "--pick", "1"], "--pick needs a run directory"),
    ([SUTTON_CHEN, "--format", "json", "--r-in", "6"], "r_in < r_out"),
    ([SUTTON_CHEN, "--format", "json", "--element", "Xx"], "'Xx' is not a chemical symbol"),
    (["Ni: sum[Ni](r^-6)^0.5 + sum[Al](r^-5)^0.5; Al: sum(r^-6)^0.5", "--format", "eam-fs"],
     "no EAM shape: the term of Ni atoms is nonlinear in sum[Ni](r^-6), sum[Al](r^-5)"),
    (["sum[Al](r^-6)", "--format", "json", "--elements", "Ni"], "the formula names Al, not among the elements Ni"),
    ([SUTTON_CHEN, "--format", "json", "--exact"], "--exact applies to --format lammps only"),
])
def test_bad_input_gives_one_clear_line(capsys, tmp_path, argv, message):
    status, _, err = export(capsys, *argv, "--out", tmp_path)
    assert status == 2 and message in err and "Traceback" not in err


def test_a_run_directory_needs_a_pick_and_keeps_its_cutoff(capsys, tmp_path):
    run = write_front(tmp_path / "run", [SUTTON_CHEN])
    status, _, err = export(capsys, run, "--format", "json", "--out", tmp_path)
    assert status == 2 and "--pick N" in err
    status, _, err = export(capsys, run, "--pick", 0, "--r-out", 6, "--format", "json", "--out", tmp_path)
    assert status == 2 and "keep the run's cutoff" in err
    status, _, err = export(capsys, run, "--pick", 5, "--format", "json", "--out", tmp_path)
    assert status == 2 and "no model with index 5" in err


def test_a_broken_front_names_the_file_and_key(capsys, tmp_path):
    (tmp_path / "front.json").write_text(json.dumps({"version": 1, "r_in": 3.0, "models": []}))
    status, _, err = export(capsys, tmp_path, "--pick", 0, "--format", "json", "--out", tmp_path)
    assert status == 2 and "front.json: r_out: missing" in err
