"""Long generations: news while they run, cancellation at a time limit or a stop, `--resume` that also starts a run,
and checkpoints that remember the library versions."""
import io
import json

import numpy as np
import pytest

from run_configs import tiny_config
from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.run import runner
from symbolicpot.run.checkpoint import latest_checkpoint
from symbolicpot.run.progress import Progress
from symbolicpot.search.engine import Search, SearchConfig
from symbolicpot.search.island import evolve
from symbolicpot.search.live import Cancelled, Live
from symbolicpot.search.stop import StopRules


@pytest.fixture(scope="module")
def train():
    return load(example_path("sutton_chen") / "300K")


def settings(**changes):
    return SearchConfig(**{**dict(seed=1, islands=2, population=8, immigrants=2, generations=3), **changes})


def test_a_watched_step_is_the_same_step_and_reports_its_evaluations(train):
    with Search(train, settings()) as engine:
        state = engine.initial_state()
        plain = evolve(state.islands[0], engine._problem)
        seen = []
        watched = evolve(state.islands[0], engine._problem,
                         lambda evaluations, error=None: seen.append(evaluations))
    assert watched == plain
    # after every evaluation (and every candidate), the island's count so far
    assert seen == sorted(seen) and seen[-1] == plain.evaluations and len(set(seen)) > 2 * 8


def test_a_cancelled_step_raises_and_leaves_the_engine_state_as_it_was(train):
    with Search(train, settings()) as engine:
        state = engine.step(engine.initial_state())
        calls, reporter = [], engine.live.reporter(0)

        def cancel_at_the_third(evaluations, error=None):
            calls.append(evaluations)
            if len(calls) == 3:
                engine.live.cancel.set()
            reporter(evaluations, error)
        with pytest.raises(Cancelled):
            evolve(state.islands[0], engine._problem, cancel_at_the_third)
        assert len(calls) == 3  # the step ends at the first evaluation after the cancellation
        with pytest.raises(Cancelled):  # an executor's step stops too
            engine.step(state)
    assert state.generation == 1


def test_island_processes_see_the_cancellation(train):
    with Search(train, settings(workers=2)) as engine:
        state = engine.initial_state()
        engine.live.cancel.set()
        with pytest.raises(Cancelled):
            engine.step(state)


def test_news_of_the_islands_reaches_the_driver_while_a_generation_runs(train):
    live = Live()
    reporters = [live.reporter(k) for k in range(2)]
    reporters[0](5, None)
    reporters[1](7, 0.3)
    reporters[1](9, 0.1)  # within REPORT_SECONDS of the last post: held back
    assert live.latest() == {0: (5, np.inf), 1: (7, 0.3)}
    live.start()
    assert live.latest() == {}


def test_the_progress_line_shows_the_generation_under_way():
    stream = io.StringIO()
    with Search(load(example_path("sutton_chen") / "300K"), settings()) as engine:
        state = engine.step(engine.initial_state())
    progress = Progress(StopRules.of(settings()), 3, state, None, stream)  # not a terminal: plain lines
    progress.last_plain = -1e9
    progress.tick(12.0, {0: (state.islands[0].evaluations + 17, 0.25)})
    progress.close()
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith("gen 1/3") and "gen 2: 17 evals, best 0.25" in last and "12s elapsed" in last


def run_config(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(tiny_config(seed=7, generations=50))
    return config


def test_a_time_limit_within_a_generation_abandons_it_and_keeps_every_completed_one(tmp_path, capsys, monkeypatch):
    """A limit of 0.5 s with generations that take longer: the run stops at the limit with reason 'time limit'; the
    checkpoint holds the last completed generation (possibly none) and the wall clock spent."""
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 1e9)  # checkpoints only when the session ends
    run = tmp_path / "run"
    status = main(["evolve", str(run_config(tmp_path)), "--out", str(run), "--time-limit", "0.5",
                   "--progress", "off"])
    out = capsys.readouterr().out
    assert status == 0 and "finished (time limit 0s)" in out
    checkpoint = latest_checkpoint(run)
    lines = (run / "log.jsonl").read_text().splitlines()
    assert checkpoint.state.generation == len(lines) and checkpoint.state.seconds >= 0.5


def test_resume_starts_a_run_that_has_not_started(tmp_path, capsys):
    run = tmp_path / "never-started"
    config = run_config(tmp_path)
    assert main(["evolve", str(config), "--out", str(run), "--resume", "--generations", "1", "--progress", "off"]) == 0
    err = capsys.readouterr().err
    assert "holds no run yet: starting it" in err and (run / "checkpoint.json").exists()
    assert main(["evolve", "--resume", "--out", str(tmp_path / "nothing"), "--progress", "off"]) == 2
    assert "no run to resume, and no config to start one" in capsys.readouterr().err


def test_resume_under_other_library_versions_warns(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["evolve", str(run_config(tmp_path)), "--out", str(run), "--generations", "1",
                 "--progress", "off"]) == 0
    text = (run / "checkpoint.json").read_text()
    document = json.loads(text)
    assert set(document["versions"]) == {"symbolicpot", "numpy", "scipy", "numba", "cma"}
    (run / "checkpoint.json").write_text(text.replace(f'"numba":"{document["versions"]["numba"]}"', '"numba":"0.1.0"'))
    assert main(["evolve", "--resume", "--out", str(run), "--generations", "2", "--progress", "off"]) == 0
    err = capsys.readouterr().err
    assert f"numba 0.1.0 -> {document['versions']['numba']}" in err and "may differ in the last digits" in err
