"""Crash and stop safety of `symbolicpot evolve` as a real process: SIGKILL at random moments, SIGINT, SIGTERM.

Every interrupted run, resumed until it finishes, must end with the front (front.json, byte for byte) of the
uninterrupted run with the same config and seed.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from run_configs import tiny_config



def start(*argv):
    """`python -m symbolicpot evolve ...` in its own process group (so killing it takes its workers too)."""
    return subprocess.Popen([sys.executable, "-m", "symbolicpot", "evolve", *map(str, argv), "--progress", "off"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run (a subprocess, timed): (config path, run dir, seconds)."""
    folder = tmp_path_factory.mktemp("reference")
    config = folder / "tiny.toml"
    config.write_text(tiny_config(seed=7, generations=8))
    begin = time.monotonic()
    status, _, err = finish(start(config, "--out", folder / "run"))
    assert status == 0, err
    return config, folder / "run", time.monotonic() - begin


def wait_for(path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_front(tmp_path, reference):
    config, reference_run, _ = reference
    elapsed = [entry["elapsed"] for entry in map(json.loads, (reference_run / "log.jsonl").read_text().splitlines())]
    epoch = max(b - a for a, b in zip(elapsed, elapsed[1:]))  # seconds of the slowest epoch
    run = tmp_path / "run"
    rng = random.Random(20261123)
    moments = []
    # Kill once during start-up, then at a random moment of the epoch after generations 2, 4 and 6: computing,
    # writing a checkpoint, front.json or the log.
    for after in (None, 2, 4, 6):
        process = start("--resume", "--out", run) if (run / "config.toml").exists() else start(config, "--out", run)
        if after is None:
            delay = rng.uniform(0.1, 1.0)
        else:
            wait_for_generation(run, after, process)
            delay = rng.uniform(0.0, 0.9 * epoch)
        time.sleep(delay)
        assert process.poll() is None, f"finished before the kill: {moments}"
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        moments.append((after, round(delay, 2)))
    status, _, err = finish(start("--resume", "--out", run))
    assert status == 0, f"killed at {moments}: {err}"
    assert (run / "front.json").read_text() == (reference_run / "front.json").read_text(), f"killed at {moments}"
    generations = [json.loads(line)["generation"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert generations == list(range(1, 9))
    assert not list(run.glob(".*.tmp"))


def wait_for_generation(run, generation, process, timeout=60):
    """Wait until front.json shows `generation` (or later)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if json.loads((run / "front.json").read_text())["generation"] >= generation:
                return
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("stop, status, workers", [(signal.SIGINT, 130, 2), (signal.SIGTERM, 143, 2),
                                                   (signal.SIGTERM, 143, 1)])
def test_stop_signals_stop_cleanly_with_a_resume_hint(tmp_path, reference, stop, status, workers):
    config, reference_run, _ = reference
    run = tmp_path / "run"
    process = start(config, "--out", run, "--workers", workers)
    wait_for(run / "checkpoint.json", process)
    os.killpg(process.pid, stop)  # as Ctrl-C on a terminal or a batch scheduler: every process of the group
    code, _, err = finish(process, timeout=30)
    assert code == status, err
    assert "Traceback" not in err and f"Resume with: symbolicpot evolve --resume --out {run}" in err
    code, out, err = finish(start("--resume", "--out", run))
    assert code == 0, err
    assert (run / "front.json").read_text() == (reference_run / "front.json").read_text()


def test_front_json_is_identical_for_two_runs_with_the_same_config_and_seed(tmp_path, reference):
    config, reference_run, _ = reference
    status, _, err = finish(start(config, "--out", tmp_path / "again"))
    assert status == 0, err
    shown = [subprocess.run([sys.executable, "-m", "symbolicpot", "front", str(path), "--json"], capture_output=True,
                            text=True, check=True).stdout for path in (reference_run, tmp_path / "again")]
    assert shown[0] == shown[1] and json.loads(shown[0])
