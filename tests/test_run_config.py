"""Run configs: schema, defaults, errors naming the key and type, init-config, and flags overriding the config."""
from dataclasses import fields
import json
from pathlib import Path
import tomllib

import pytest

from symbolicpot.cli import main
from symbolicpot.data import example_path
from symbolicpot.fitness import DEFAULT_COST_MODEL, DEFAULT_COST_MODELS, CostModel
from symbolicpot.operators import OperatorConfig
from symbolicpot.run.config import changed_settings, config_toml, parse_duration, resolve, resolve_file, search_config
from symbolicpot.run.schema import DOCS, ENGINE_SECTIONS, SECTIONS, TOP_LEVEL, default_config_text
from run_configs import tiny_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ('seed = "zero"', "seed: expected an integer, got a string"),
    ("[search]\npopulation = 4.5", "[search] population: expected an integer, got a float"),
    ("[search]\npopultion = 40", "[search] unknown key 'popultion'"),
    ('[stop]\ntime_limit = "soon"', '[stop] time_limit: expected a duration such as "90s"'),
    ("[data]\ntrain = 5", "[data] train: expected a list of paths (strings), got an integer"),
    ('[cutoff]\nr_in = "3"', "[cutoff] r_in: expected a number, got a string"),
    ("[weights]\nenergy = true", "[weights] energy: expected a number, got a boolean"),
    ("[operators]\ninit_depth = [2]", "[operators] init_depth: expected a [low, high] pair of integers"),
    ('[operators]\nprimitives = ["+", "%"]', "[operators] primitives: unknown symbols ['%']"),
    ("[tuning]\ncma_evaluations = -1", "[tuning] cma_evaluations: must be an integer >= 0"),
    ("[operators]\nmax_size = 1", "[operators] max_size: must be an integer >= 2"),
    ("search = 3", "[search] must be a table, got an integer"),
    ('[search]\nseeds = ["sum(r"]', "[search] seeds: 'sum(r' is not a formula"),
    ("[stop]\ngenerations = 0", "[stop] generations: must be >= 1, got 0"),
    ("[tuning]\ncma_popsize = 1", "[tuning] cma_popsize: must be an integer >= 2, got 1"),
    ("[cutoff]\nr_in = 6.0", "[cutoff] cutoff radii must satisfy 0 <= r_in < r_out"),
    ("[cutoff]\nr_out = 1e9", "[cutoff] cutoff radius r_out = 1000000000.0 Å is beyond 20 Å"),
    ("[cost]\npair_base_ns = 1.0", "[cost]: CostModel: missing key"),
    ("[evolution]\nx = 1", "unknown key 'evolution'"),
    ('[properties]\nuse = ["E_dumbbell"]', "[properties] use: 'E_dumbbell' is not computed in the search"),
    ('[properties]\nuse = ["C11"]\nweights = {C44 = 1.0}', "[properties] weights: C44 not in [properties] use"),
    ('[properties]\nuse = ["C11"]\nweights = {C11 = 0}', "[properties] weights: 'C11' must be a number > 0"),
    ('[properties]\nuse = ["C11"]\nlattice = "bcc"', "[properties] use: 'C11' is computed for fcc crystals only"),
    ('[properties]\nuse = ["a0_fcc"]\nlattice = "sc"', "[properties] lattice: must be one of fcc, bcc, hcp"),
    ('[properties]\nuse = ["a0_fcc"]\nscreen = 0.5', "[properties] screen: must be >= 1"),
    ('[properties]\nuse = ["a0_fcc"]\nreference = "missing.data"', "missing.data"),
    ('[data]\nweights = {"a/b" = "x"}', "[data] weights: 'a/b' must be a number > 0"),
    ("[search\n", "not valid TOML"),
])
def test_bad_configs_name_the_key_and_the_expected_type(tmp_path, capsys, text, message):
    path = write(tmp_path, text)
    status = main(["evolve", str(path), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_defaults_relative_paths_and_durations(tmp_path):
    (tmp_path / "data").mkdir()
    path = write(tmp_path / "data", '[data]\ntrain = ["../set"]\n[stop]\ntime_limit = "1h30m"')
    config = resolve_file(path)
    assert config["data"]["train"] == [str((tmp_path / "set").resolve())]
    assert config["stop"]["time_limit"] == 5400.0 and config["stop"]["evaluations"] is None
    assert config["search"]["population"] == 40 and config["operators"]["init_depth"] == [2, 4]
    assert [parse_duration(v) for v in ("90s", "30m", "2h", "1d", 45, "12.5")] == [90, 1800, 7200, 86400, 45, 12.5]
    settings = search_config(config)
    assert settings.time_limit == 5400.0 and settings.operators.init_depth == (2, 4)


def test_resolved_config_round_trips_through_toml(tmp_path):
    config = resolve_file(write(tmp_path, tiny_config()))
    again = resolve(tomllib.loads(config_toml(config, "header\nlines")), tmp_path, "again")
    assert again == config and changed_settings(config, again) == []
    again["search"]["population"] = 9
    again["stop"]["generations"] = 50
    assert changed_settings(config, again) == ["[search] population: 8 -> 9"]


def test_every_setting_of_the_engine_is_configurable_and_documented():
    text = default_config_text()
    for section, cls in ENGINE_SECTIONS.items():
        configurable = [f.name for f in fields(cls) if f.metadata.get("config_key", True)]
        assert [key.name for key in SECTIONS[section]] == configurable
        for name in configurable:
            assert f"# {name} = " in text and name in DOCS
    assert [f.name for f in fields(OperatorConfig) if not f.metadata.get("config_key", True)] == ["species", "r_out"]


def test_operators_know_the_cutoff_their_nocut_sums_vanish_at(tmp_path):
    config = resolve_file(write(tmp_path, tiny_config()))
    assert search_config(config).operators.r_out == config["cutoff"]["r_out"]


def test_every_search_setting_comes_from_one_key():
    from symbolicpot.search.engine import SearchConfig
    by_keys = [key.field for keys in (TOP_LEVEL, *SECTIONS.values()) for key in keys if key.field]
    assert len(by_keys) == len(set(by_keys))
    assert {*by_keys, "cost", "properties", *ENGINE_SECTIONS} == {f.name for f in fields(SearchConfig)}


def test_init_config_writes_a_config_that_parses_and_validates(tmp_path, capsys):
    out = tmp_path / "configs" / "mine.toml"
    out.parent.mkdir()
    assert main(["init-config", str(out), "--data", str(example_path("sutton_chen"))]) == 0
    config = resolve_file(out)
    assert config["data"]["train"] == [str(example_path("sutton_chen").resolve())]
    defaults = resolve({}, tmp_path, "defaults")
    assert {k: v for k, v in config.items() if k != "data"} == {k: v for k, v in defaults.items() if k != "data"}
    assert main(["init-config", str(out)]) == 2 and "exists" in capsys.readouterr().err
    assert main(["init-config"]) == 0
    printed = capsys.readouterr().out
    assert "[operators]" in printed and resolve(tomllib.loads(printed), tmp_path, "printed")["seed"] == 0


def test_flags_override_the_config(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = example_path("sutton_chen")
    path = write(tmp_path, tiny_config(data=data))
    status = main(["evolve", str(path), "--out", "run", "--seed", "11", "--generations", "1", "--time-limit", "2h",
                   "--workers", "1", "--data", str(data / "1600K"), "--test-data", str(data / "20kK"),
                   "--r-in", "2.5", "--r-out", "4.5"])
    assert status == 0, capsys.readouterr().err
    config = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert config["seed"] == 11 and config["stop"] == {"generations": 1, "time_limit": 7200.0}
    assert config["search"]["workers"] == 1 and config["search"]["population"] == 8
    assert config["data"]["train"] == [str(data / "1600K")] and config["data"]["test"] == [str(data / "20kK")]
    assert config["cutoff"] == {"r_in": 2.5, "r_out": 4.5}
    front = json.loads((tmp_path / "run" / "front.json").read_text())
    assert (front["r_in"], front["r_out"], front["generation"]) == (2.5, 4.5, 1)
    model = front["models"][0]
    assert model["train"]["n_configs"] == 10 and model["test"]["n_configs"] == 10


def test_data_flag_alone_is_a_complete_command(tmp_path, capsys, monkeypatch):
    import symbolicpot.run.runner as runner

    started = {}

    def execute(run_dir, config, checkpoint, progress):  # the search itself is tested elsewhere
        started.update(run_dir=run_dir, config=config)
        return runner.Outcome(0, "test", _empty_state())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "execute", execute)
    assert main(["evolve", "--data", str(example_path("sutton_chen") / "300K")]) == 0, capsys.readouterr().err
    assert started["run_dir"] == Path("runs/evolve")
    assert started["config"] == resolve({"data": {"train": [str(example_path("sutton_chen") / "300K")]}},
                                        tmp_path, "defaults")
    assert tomllib.loads(Path("runs/evolve/config.toml").read_text())["search"]["population"] == 40
    assert main(["evolve"]) == 2 and "no training data" in capsys.readouterr().err


def _empty_state():
    from symbolicpot.search.engine import EngineState
    return EngineState(islands=())


def test_properties_resolve_to_targets_with_default_weights(tmp_path):
    config = resolve_file(write(tmp_path, '[properties]\nuse = ["all"]\nweights = {dE_hcp_fcc = 3.0}'))
    targets = search_config(config).properties
    assert "E_dumbbell" not in targets.weights and len(targets.weights) == 22
    assert targets.weights["dE_hcp_fcc"] == 3.0 and targets.weights["C11"] == 1.0
    assert targets.reference["C11"] == 176.19 and targets.lattice == "fcc" and targets.screen == 2.0
    assert search_config(resolve_file(write(tmp_path, tiny_config(), "none.toml"))).properties is None
    again = resolve(tomllib.loads(config_toml(config)), tmp_path, "again")
    assert again == config


@pytest.mark.parametrize("name", ["sutton_chen", "lennard_jones", "dft_copper", "dft_copper_properties", "cuni_eam",
                                  "silicon"])
def test_example_configs_validate(name):
    config = resolve_file(EXAMPLES / f"{name}.toml")
    assert config["data"]["train"] and search_config(config).islands >= 2


@pytest.mark.parametrize("target", ["lammps", "evaluator"])
def test_cost_target_alone_selects_that_targets_built_in_model(tmp_path, target):
    config = resolve_file(write(tmp_path, f'[data]\ntrain = ["x"]\n[cost]\ntarget = "{target}"'))
    assert search_config(config).cost == DEFAULT_COST_MODELS[target]
    assert resolve(tomllib.loads(config_toml(config)), tmp_path, "again") == config
    assert search_config(resolve_file(write(tmp_path, '[data]\ntrain = ["x"]'))).cost == DEFAULT_COST_MODEL
    with pytest.raises(ValueError, match="\\[cost\\]: target must be one of 'lammps', 'evaluator', got 'gpu'"):
        resolve_file(write(tmp_path, '[data]\ntrain = ["x"]\n[cost]\ntarget = "gpu"'))


def test_cost_model_from_a_calibration_file(tmp_path):
    calibrated = CostModel.from_dict({**DEFAULT_COST_MODEL.to_dict(), "pair_base_ns": 1.25})
    (tmp_path / "cost.toml").write_text("# written by symbolicpot calibrate --out\n" + calibrated.to_toml())
    write(tmp_path, tiny_config(), name="tiny.toml")
    config = resolve_file(write(tmp_path, 'cost = "cost.toml"\n[data]\ntrain = ["x"]'))
    assert search_config(config).cost == calibrated
    assert resolve(tomllib.loads(config_toml(config)), tmp_path, "again") == config
    with pytest.raises(ValueError, match="holds no \\[cost\\] table"):
        resolve_file(write(tmp_path, 'cost = "tiny.toml"', name="costly.toml"))
