"""Checkpoints: exact JSON round trip of the search state, clear errors for damaged files, fallback, resume rules."""
import json
import shutil

import pytest

from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.run.checkpoint import (CheckpointError, latest_checkpoint, read_checkpoint, state_from_dict,
                                        state_to_dict, write_checkpoint)
from symbolicpot.run.config import load_data, resolve, resolve_file, search_config
from symbolicpot.run import runner
from symbolicpot.run.files import dumps
from symbolicpot.run.log import read_log
from symbolicpot.search.engine import Search
from run_configs import tiny_config



def tiny(tmp_path, generations=4, data=None, name="tiny.toml", **replace):
    text = tiny_config(generations=generations, data=data)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def evolve(capsys, *argv):
    status = main(["evolve", *map(str, argv), "--progress", "off"])
    out, err = capsys.readouterr()
    return status, out, err


def front_of(run_dir):
    return json.loads((run_dir / "front.json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the tiny config: 4 generations."""
    folder = tmp_path_factory.mktemp("reference")
    assert main(["evolve", str(tiny(folder)), "--out", str(folder / "run"), "--progress", "off"]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def states():
    """Engine states after the first and second generation of a tiny search, and the engine."""
    config = resolve({"seed": 5, "data": {"train": [str(example_path("sutton_chen") / "300K")]},
                      "search": {"population": 8, "immigrants": 2, "migration_interval": 1, "workers": 1},
                      "operators": {"max_size": 16}, "tuning": {"polish_evaluations": 5, "cma_evaluations": 16,
                                                                 "cma_popsize": 8}}, ".", "test")
    with Search(load(config["data"]["train"]), search_config(config)) as engine:
        first = engine.step(engine.initial_state())
        yield config, engine, first, engine.step(first)


def test_state_round_trips_exactly_and_continues_identically(states):
    _, engine, first, second = states
    restored = state_from_dict(json.loads(dumps(state_to_dict(first))))
    assert restored == first  # formulas, floats, RNG states and tuned-constant caches, bit for bit
    continued = engine.step(restored)
    assert continued.archive == second.archive and continued.islands == second.islands


def test_a_checkpoint_from_before_screening_errors_resumes_with_the_full_error_in_their_place(states):
    _, _, first, _ = states
    old = state_to_dict(first)  # made old: every individual had its full error, none a screening error
    for individual in (*old["archive"], *(ind for island in old["islands"] for ind in island["population"])):
        screen_error = individual.pop("screen_error")
        individual["error"] = screen_error if individual["error"] is None else individual["error"]
    restored = state_from_dict(json.loads(dumps(old)))
    individuals = [*restored.archive, *(ind for island in restored.islands for ind in island.population)]
    assert individuals and all(ind.screen_error == ind.error is not None for ind in individuals)
    assert [ind.objectives for ind in restored.archive] == [ind.objectives for ind in first.archive]


def test_damaged_checkpoints_give_clear_messages(tmp_path, states):
    config, _, first, _ = states
    write_checkpoint(tmp_path, first, config, "digest")
    newest = tmp_path / "checkpoint.json"
    text = newest.read_text()
    assert read_checkpoint(newest).state == first
    cases = {
        "truncated": text[: len(text) // 2],
        "not a symbolicpot checkpoint": json.dumps({"hello": 1}),
        "checkpoint version 99 unsupported": text.replace('"version":1', '"version":99', 1),
        "corrupt (the state does not match its SHA-256)": text.replace('"complexity":', '"complexity":1', 1),
        "not a symbolicpot checkpoint (not JSON)": "\x00\x01garbage",
    }
    for message, damaged in cases.items():
        newest.write_text(damaged)
        with pytest.raises(CheckpointError) as raised:
            read_checkpoint(newest)
        assert f"checkpoint.json: {message}" in str(raised.value)


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous(tmp_path, states):
    config, _, first, second = states
    write_checkpoint(tmp_path, first, config, "digest")
    write_checkpoint(tmp_path, second, config, "digest")
    assert latest_checkpoint(tmp_path).state == second
    newest = tmp_path / "checkpoint.json"
    newest.write_text(newest.read_text()[:1000])
    warnings = []
    assert latest_checkpoint(tmp_path, warnings.append).state == first
    assert "checkpoint.json: truncated" in warnings[0] and "checkpoint.prev.json" in warnings[0]
    (tmp_path / "checkpoint.prev.json").write_text("{")
    with pytest.raises(CheckpointError, match="checkpoint.json: truncated.*checkpoint.prev.json: truncated"):
        latest_checkpoint(tmp_path)


def test_resume_after_a_corrupt_checkpoint_gives_the_uninterrupted_front(tmp_path, capsys, reference, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)  # a checkpoint after every generation
    run = tmp_path / "run"
    assert evolve(capsys, tiny(tmp_path, generations=3), "--out", run)[0] == 0
    previous = json.loads((run / "checkpoint.prev.json").read_text())["generation"]
    (run / "checkpoint.json").write_text((run / "checkpoint.json").read_text()[:-200])  # a torn write
    status, out, err = evolve(capsys, "--resume", "--out", run, "--generations", 4)
    assert status == 0, err
    assert "checkpoint.json: truncated" in err and "using the previous checkpoint" in err
    assert f"resuming {run} at generation {previous}" in err and previous < 3
    assert front_of(run) == front_of(reference)
    assert [entry["generation"] for entry in map(json.loads, (run / "log.jsonl").read_text().splitlines())] == [
        1, 2, 3, 4]


def test_the_log_has_a_line_per_generation_with_the_archive_of_that_generation(tmp_path, capsys):
    """Migrations every 2 generations: a line for each generation, as the engine's states give them."""
    run = tmp_path / "run"
    config = tiny(tmp_path, generations=5, **{"migration_interval = 1": "migration_interval = 2"})
    assert evolve(capsys, config, "--out", run)[0] == 0
    entries = read_log(run)
    assert [entry["generation"] for entry in entries] == [1, 2, 3, 4, 5]
    for earlier, later in zip(entries, entries[1:]):
        assert earlier["evaluations"] < later["evaluations"] and earlier["elapsed"] <= later["elapsed"]
    resolved = resolve_file(run / "config.toml")
    train, _ = load_data(resolved)
    with Search(train, search_config(resolved)) as engine:
        state, generations = engine.initial_state(), []
        while not engine.done(state):
            state = engine.step(state)
            generations.append(state)
    assert [(entry["evaluations"], entry["front_size"]) for entry in entries] == [
        (generation.evaluations, len(generation.archive)) for generation in generations]
    assert generations[-1].archive == state.archive and entries[-1]["front_size"] == len(front_of(run)["models"])


def test_resume_refuses_a_changed_config_but_extends_stopping_rules(tmp_path, capsys, reference):
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    changed = tiny(tmp_path, generations=4, name="changed.toml", **{"population = 8": "population = 10"})
    status, _, err = evolve(capsys, changed, "--resume", "--out", run)
    assert status == 2 and "[search] population: 8 -> 10" in err and "only [stop]" in err
    status, _, err = evolve(capsys, "--resume", "--out", run, "--seed", 4)
    assert status == 2 and "seed: 3 -> 4" in err
    status, out, err = evolve(capsys, "--resume", "--out", run)
    assert status == 0 and "finished (4 generations): generation 4" in out  # nothing left to do
    status, out, err = evolve(capsys, tiny(tmp_path, generations=5), "--resume", "--out", run, "--workers", 1)
    assert status == 0 and "generation 5" in out
    status, _, err = evolve(capsys, tiny(tmp_path), "--out", run)
    assert status == 2 and "already holds a run" in err


def test_resume_refuses_changed_data(tmp_path, capsys):
    data = tmp_path / "data"
    for temperature in ("300K", "3800K"):
        shutil.copytree(example_path("sutton_chen") / temperature, data / temperature)
    run = tmp_path / "run"
    assert evolve(capsys, tiny(tmp_path, generations=1, data=data), "--out", run)[0] == 0
    energies = data / "300K" / "E0.data"
    energies.write_text(energies.read_text().replace("-", "-1", 1))
    status, _, err = evolve(capsys, "--resume", "--out", run, "--generations", 2)
    assert status == 2 and "its data changed" in err
