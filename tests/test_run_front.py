"""`symbolicpot front`: table, JSON, LaTeX, plots and parity plots of a run's front, also while it runs."""
import json
import shutil

import pytest

from symbolicpot.cli import main
from symbolicpot.commands.front import display_formula
from symbolicpot.run.front import front_document, write_front
from run_configs import tiny_config



@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("front")
    config = folder / "tiny.toml"
    config.write_text(tiny_config())
    assert main(["evolve", str(config), "--out", str(folder / "run"), "--progress", "off"]) == 0
    return folder / "run"


def front(capsys, *argv):
    status = main(["front", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_table_lists_every_model_with_errors_and_simplified_formula(capsys, run_dir):
    models = json.loads((run_dir / "front.json").read_text())["models"]
    status, out, _ = front(capsys, run_dir)
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith(f"Pareto front at generation 2: {len(models)} models")
    header = next(k for k, line in enumerate(lines) if line.lstrip().startswith("#"))
    assert "E train" in lines[header] and "F test" in lines[header] and "S train" not in lines[header]  # no stresses
    rows = lines[header + 1:]
    assert len(rows) == len(models) and rows[0].split()[0] == "0"
    assert "sum(" in rows[0] and "**" not in out


def test_json_is_a_pure_function_of_the_front(capsys, run_dir, tmp_path):
    status, out, _ = front(capsys, run_dir, "--json")
    listed = json.loads(out)
    assert status == 0 and [m["index"] for m in listed] == list(range(len(listed)))
    assert all(set(m) == {"index", "formula", "complexity", "cost", "train", "test", "property_error", "properties",
                          "unphysical"} for m in listed)
    assert {"energy_rmse_mev_per_atom", "force_rmse_ev_per_a"} <= set(listed[0]["train"]) & set(listed[0]["test"])
    copy = tmp_path / "elsewhere"
    shutil.copytree(run_dir, copy)
    (copy / "front.json").touch()
    assert front(capsys, copy, "--json")[1] == out


def test_latex_and_pick(capsys, run_dir):
    status, out, _ = front(capsys, run_dir, "--latex")
    assert status == 0 and out.startswith(r"\begin{tabular}") and r"\sum_{j}" in out
    status, out, _ = front(capsys, run_dir, "--pick", 0)
    assert status == 0 and "model 0:" in out and "LaTeX:" in out and "train (14 configs" in out
    status, _, err = front(capsys, run_dir, "--pick", 999)
    assert status == 2 and "--pick 999: the front has models 0.." in err


def test_plots_are_written(capsys, run_dir, tmp_path):
    plot, parity = tmp_path / "front.png", tmp_path / "parity.png"
    status, _, err = front(capsys, run_dir, "--plot", plot, "--pick", 0, "--parity", parity)
    assert status == 0, err
    for path in (plot, parity):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    assert front(capsys, run_dir, "--parity", parity)[0] == 2


def test_a_run_before_its_first_generation_and_a_missing_run(capsys, tmp_path):
    write_front(tmp_path, front_document([], 3.0, 5.0, 0))
    status, out, _ = front(capsys, tmp_path)
    assert status == 0 and "0 models" in out and "first generation has not finished" in out
    assert json.loads(front(capsys, tmp_path, "--json")[1]) == []
    status, _, err = front(capsys, tmp_path / "missing")
    assert status == 2 and "no such run directory" in err


def test_display_snaps_exponents_only():
    # r^-9.0004 is shown as r^-9; the offset 7.00008 inside a term scaled by 1e5 stays (rounding it moves E by eV).
    assert display_formula("2*sum(r^-9.0004) + 1") == "2*sum(r^(-9)) + 1"
    assert display_formula("100000*(sum(r^-6) + 7.00008) + -700000") == "100000*sum(r^(-6)) + 8.0"


@pytest.mark.parametrize("damage, message", [
    (lambda d: d["models"][0].update(cost=None), "models[0].cost: expected a number, got null"),
    (lambda d: d["models"][0].update(formula=3), "models[0].formula: expected formula text, got 3"),
    (lambda d: d["models"][0].update(train="small"), 'models[0].train: expected an object of error metrics'),
    (lambda d: d["models"][0].update(train=[1, 2]), "models[0].train: expected an object of error metrics"),
    (lambda d: d["models"][0]["train"].pop("n_configs"), "models[0].train.n_configs: missing"),
    (lambda d: d["models"][0]["train"].update(force_rmse_ev_per_a="x"),
     'models[0].train.force_rmse_ev_per_a: expected a number or null, got "x"'),
    (lambda d: d.pop("generation"), "generation: missing"),
    (lambda d: d.pop("r_in"), "r_in: missing"),
    (lambda d: d.update(models={}), "models: expected a list, got an object"),
])
def test_a_damaged_front_is_one_line_naming_the_file_and_field(capsys, run_dir, tmp_path, damage, message):
    """front and export read front.json through one schema check (hand-edited or damaged files)."""
    damaged = tmp_path / "run"
    shutil.copytree(run_dir, damaged)
    document = json.loads((damaged / "front.json").read_text())
    damage(document)
    (damaged / "front.json").write_text(json.dumps(document))
    for argv in (["front", damaged, "--json"], ["export", damaged, "--pick", 0, "--format", "json",
                                                 "--out", tmp_path / "out"]):
        assert main(list(map(str, argv))) == 2
        err = capsys.readouterr().err
        assert f"{damaged / 'front.json'}: {message}" in err and "Traceback" not in err
