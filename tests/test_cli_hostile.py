"""Hostile input to every command: random and mutated formulas, data files, configs, front.json, potential JSON,
reference tables and checkpoints. A command may succeed (exit 0), fail (1) or refuse the input (2, one line naming
what is wrong); it may not crash with a traceback.

The examples are the same on every machine and run (HYPOTHESIS_PROFILE=explore draws new ones); the mutations start from valid files of a real
tiny run, so that most of them pass the first checks and reach the deeper ones.
"""
import json
import shutil

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from run_configs import tiny_config
from strategies import atom_trees
from symbolicpot import properties as properties_package
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.expr import format_expression
from symbolicpot.export.potential import Potential
from symbolicpot.learn import loop as learn_loop
from symbolicpot.run.checkpoint import state_digest

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


def fuzz(examples):
    """Hypothesis settings of these tests: `examples` examples (the same on every run unless HYPOTHESIS_PROFILE=explore,
    see conftest.py), no deadline (commands take seconds)."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------- valid starting points

@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A finished tiny run with properties in the loop (front.json, checkpoint, config), a potential JSON and a small
    extended XYZ file."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "run.toml").write_text(tiny_config(generations=1).replace("[search]\n", f'[search]\nseeds = ["{SUTTON_CHEN}"]\n')
                                   + '[properties]\nuse = ["a0_fcc", "E_surf_111"]\n')
    assert main(["evolve", str(root / "run.toml"), "--out", str(root / "run"), "--progress", "off"]) == 0
    Potential.from_formula(SUTTON_CHEN).to_json(root / "sc.json")
    from ase.io import write
    dataset = load(example_path("sutton_chen") / "300K")
    write(root / "sc.xyz", [dataset.labelled_atoms(c) for c in range(6)], format="extxyz")
    return root


# ---------------------------------------------------------------------------------------------------- mutations

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=12),
              st.sampled_from([SUTTON_CHEN, "sum(r", "(" * 400, " + ".join(["sum(r)"] * 300)])),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children,
                                                                                max_size=4)),
    max_leaves=8)


def _paths(value, path=()):
    """Every (path of keys/indices) inside a JSON value, its root included."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _paths(child, (*path, key))


@st.composite
def mutated_json(draw, document):
    """`document` with one value replaced by a random JSON value, or one key deleted."""
    document = json.loads(json.dumps(document))
    paths = list(_paths(document))
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(json_values)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return document


@st.composite
def mutated_text(draw, text):
    """`text` truncated, with a slice deleted, or with random text inserted or replacing a line."""
    at = draw(st.integers(0, len(text)))
    action = draw(st.sampled_from(["truncate", "delete", "insert", "line"]))
    if action == "truncate":
        return text[:at]
    if action == "delete":
        return text[:at] + text[at + draw(st.integers(1, 40)):]
    noise = draw(st.one_of(st.text(max_size=20), st.sampled_from(["\n", "nan", "-1", "1e999", "=", "[", "\"", "\0"])))
    if action == "insert":
        return text[:at] + noise + text[at:]
    lines = text.splitlines(keepends=True)
    lines[draw(st.integers(0, len(lines) - 1))] = noise + "\n"
    return "".join(lines)


TOKENS = ["sum(", "r", "(", ")", "^", "-", "+", "*", "/", ",", "exp(", "log(", "sqrt(", "tanh(", "2", "-9", "0.5",
          "1e999", "1e-320", "nan", "inf", " ", "**", "x", "sum"]
formulas = st.one_of(
    atom_trees().map(format_expression),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
    st.text(max_size=30),
    mutated_text(SUTTON_CHEN),
)
radii = st.one_of(st.just(()), st.tuples(st.sampled_from(["--r-in", "--r-out"]),
                                          st.sampled_from(["-1", "0", "2.5", "5", "1e9", "nan", "inf", "x"])))

TOML_VALUES = ["0", "-1", "1", "2", "40", "0.0", "-0.5", "1e308", "nan", "inf", "true", '""', '"x"', '"10s"',
               "[]", '["x"]', "[1, 2]", "{}", '"sum(r)"']


@st.composite
def mutated_toml(draw, text):
    """TOML text with one `key = value` replaced by another value, or mutated as plain text."""
    lines = text.splitlines()
    settings_lines = [k for k, line in enumerate(lines) if " = " in line]
    if draw(st.booleans()):
        k = draw(st.sampled_from(settings_lines))
        lines[k] = lines[k].split(" = ")[0] + " = " + draw(st.sampled_from(TOML_VALUES))
        return "\n".join(lines) + "\n"
    return draw(mutated_text(text))


# --------------------------------------------------------------------------------------------------- the check

def run_cli(capsys, *argv):
    """main(argv) as the console script runs it; fails on an exit status outside 0/1/2 or any traceback (an
    exception other than argparse's SystemExit propagates and fails the test with its traceback)."""
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit:  # argparse: bad options
        status = exit.code
    out, err = capsys.readouterr()
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err and "Traceback" not in out
    if status == 2:
        assert "error: " in err, err  # "symbolicpot COMMAND: error: ..." (or argparse's usage error)
    event(f"exit {status}")  # pytest --hypothesis-show-statistics: how many inputs got how far
    return status


def fresh_copy(source, tmp_path, name):
    target = tmp_path / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


# ------------------------------------------------------------------------------------------------------ commands

@fuzz(80)
@given(formula=formulas, cutoff=radii)
def test_eval_on_any_formula_text(capsys, base, formula, cutoff):
    run_cli(capsys, "eval", "--data", base / "sc.xyz", "--expr", formula, *cutoff)


DATA_COMMANDS = {  # argv around the data file; the fits and timings kept to seconds
    "eval": (["eval", "--expr", SUTTON_CHEN, "--data"], []),
    "calibrate": (["calibrate", "--target", "evaluator", "--formulas", "3", "--data"], []),
    "init-config": (["init-config", "--data"], []),
    "baseline nn": (["baseline", "nn", "--epochs", "1", "--data"], ["--out", "{tmp}/nn"]),
    "baseline mtp": (["baseline", "mtp", "--max-iter", "1", "--level", "2", "--data"], ["--out", "{tmp}/mtp"]),
}


@pytest.mark.parametrize("command", DATA_COMMANDS)
@fuzz(15)
@given(data=st.data())
def test_data_commands_on_a_mutated_data_file(capsys, base, tmp_path, command, data):
    path = tmp_path / "data.xyz"
    path.write_text(data.draw(mutated_text((base / "sc.xyz").read_text())))
    before, after = DATA_COMMANDS[command]
    run_cli(capsys, *before, path, *(arg.format(tmp=tmp_path) for arg in after))


@fuzz(30)
@given(data=st.data(), name=st.sampled_from(["E0.data", "F.data", "F_coord.data", "1.vasp", "10.vasp"]))
def test_eval_on_a_mutated_poet_folder(capsys, tmp_path, data, name):
    folder = fresh_copy(example_path("sutton_chen") / "300K", tmp_path, "300K")
    (folder / name).write_text(data.draw(mutated_text((folder / name).read_text())))
    run_cli(capsys, "eval", "--expr", SUTTON_CHEN, "--data", folder)


@fuzz(80)
@given(data=st.data(), view=st.sampled_from([(), ("--json",), ("--latex",), ("--pick", "0"), ("--properties", "0")]))
def test_front_on_a_mutated_front_json(capsys, base, tmp_path, data, view):
    run_dir = fresh_copy(base / "run", tmp_path, "run")
    document = json.loads((run_dir / "front.json").read_text())
    (run_dir / "front.json").write_text(json.dumps(data.draw(mutated_json(document))))
    run_cli(capsys, "front", run_dir, *view)


@fuzz(8)
@given(data=st.data())
def test_compare_on_a_mutated_front_json(capsys, base, tmp_path, data):
    run_dir = fresh_copy(base / "run", tmp_path, "run")
    document = json.loads((run_dir / "front.json").read_text())
    (run_dir / "front.json").write_text(json.dumps(data.draw(mutated_json(document))))
    run_cli(capsys, "compare", run_dir, "--baselines", "eam", "--seconds", "0.05", "--repeats", "1")


@fuzz(60)
@given(data=st.data(), export_format=st.sampled_from(["json", "latex", "ase"]))
def test_export_of_a_mutated_front_or_potential_json(capsys, base, tmp_path, data, export_format):
    run_dir = fresh_copy(base / "run", tmp_path, "run")
    if data.draw(st.booleans()):
        document = json.loads((run_dir / "front.json").read_text())
        (run_dir / "front.json").write_text(json.dumps(data.draw(mutated_json(document))))
        source = [run_dir, "--pick", data.draw(st.sampled_from(["0", "1", "-1", "99"]))]
    else:
        document = json.loads((base / "sc.json").read_text())
        (tmp_path / "pot.json").write_text(json.dumps(data.draw(mutated_json(document))))
        source = [tmp_path / "pot.json"]
    run_cli(capsys, "export", *source, "--format", export_format, "--out", tmp_path / "out")


@fuzz(60)
@given(formula=formulas, cutoff=radii, export_format=st.sampled_from(["json", "latex", "ase"]))
def test_export_of_any_formula_text(capsys, tmp_path, formula, cutoff, export_format):
    run_cli(capsys, "export", formula, *cutoff, "--format", export_format, "--out", tmp_path / "out")


class Accepted(Exception):
    """Raised in place of the property calculation (a minute per potential): the input was read."""


@fuzz(60)
@given(data=st.data())
def test_properties_of_a_mutated_potential_or_reference(capsys, base, tmp_path, monkeypatch, data):
    def accept(*args, **kwargs):
        raise Accepted
    monkeypatch.setattr(properties_package, "compute_properties", accept)
    argv = ["--no-md"]
    choice = data.draw(st.sampled_from(["formula", "json", "reference"]))
    if choice == "formula":
        potential = data.draw(formulas)
        argv += data.draw(radii)
    elif choice == "json":
        document = json.loads((base / "sc.json").read_text())
        potential = tmp_path / "pot.json"
        potential.write_text(json.dumps(data.draw(mutated_json(document))))
    else:
        potential = base / "sc.json"
        reference = tmp_path / "reference.data"
        reference.write_text(data.draw(mutated_text(properties_package.DFT_COPPER.read_text())))
        argv += ["--reference", reference]
    try:
        run_cli(capsys, "properties", potential, *argv)
    except Accepted:
        pass


@fuzz(40)
@given(data=st.data())
def test_evolve_on_a_mutated_config(capsys, base, tmp_path, data):
    config = tmp_path / "run.toml"
    config.write_text(data.draw(mutated_toml((base / "run.toml").read_text())))
    shutil.rmtree(tmp_path / "run", ignore_errors=True)
    run_cli(capsys, "evolve", config, "--out", tmp_path / "run", "--generations", "1", "--workers", "1",
            "--time-limit", "20s", "--progress", "off")


@fuzz(40)
@given(data=st.data())
def test_evolve_resume_from_a_mutated_checkpoint(capsys, base, tmp_path, data):
    """The state is mutated and its SHA-256 recomputed, so the mutation passes the corruption check and reaches
    the reader's validation of every field."""
    run_dir = fresh_copy(base / "run", tmp_path, "run")
    checkpoint = json.loads((run_dir / "checkpoint.json").read_text())
    if data.draw(st.booleans()):
        checkpoint["state"] = data.draw(mutated_json(checkpoint["state"]))
        checkpoint["sha256"] = state_digest(checkpoint["state"])  # None (corrupt) for a state with NaN
        text = json.dumps(checkpoint)
    else:
        text = data.draw(mutated_text(json.dumps(checkpoint)))
    (run_dir / "checkpoint.json").write_text(text)
    (run_dir / "checkpoint.prev.json").unlink(missing_ok=True)
    run_cli(capsys, "evolve", "--resume", "--out", run_dir, "--generations", "2", "--workers", "1",
            "--time-limit", "20s", "--progress", "off")


LEARN_SECTION = """
[learn]
structures = ["Cu"]
lattice = "fcc"
supercell = 1
temperatures = [300.0]
strains = [0.0, 0.02]
md_steps = 10
timestep = 2.0
snapshot_interval = 5
committee_factor = 1.5
force_threshold = 0.1
max_selected = 2
calculator = "ase.calculators.emt.EMT"
calculator_kwargs = {}
iterations = 1
"""


@fuzz(40)
@given(data=st.data())
def test_learn_on_a_mutated_config(capsys, base, tmp_path, monkeypatch, data):
    """The loop's first refit (an evolve run, fuzzed above) is replaced by Accepted: the config, labeller and MD
    conditions were read and checked."""
    def accept(*args, **kwargs):
        raise Accepted
    monkeypatch.setattr(learn_loop, "refit", accept)
    config = tmp_path / "learn.toml"
    config.write_text(data.draw(mutated_toml((base / "run.toml").read_text() + LEARN_SECTION)))
    shutil.rmtree(tmp_path / "run", ignore_errors=True)
    try:
        run_cli(capsys, "learn", config, "--out", tmp_path / "run", "--progress", "off")
    except Accepted:
        pass
