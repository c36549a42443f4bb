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


def uninterrupted(folder, **settings):
    """An uninterrupted run (a subprocess) of the tiny config: (config path, run dir, seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "tiny.toml"
    config.write_text(tiny_config(seed=7, generations=8, **settings))
    begin = time.monotonic()
    status, _, err = finish(start(config, "--out", folder / "run"))
    assert status == 0, err
    return config, folder / "run", time.monotonic() - begin


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return uninterrupted(tmp_path_factory.mktemp("reference"))


def log_generations(run):
    return [json.loads(line)["generation"] for line in (run / "log.jsonl").read_text().splitlines()]


def checkpoint_generation(run):
    return json.loads((run / "checkpoint.json").read_text())["generation"]


def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_front(tmp_path, reference):
    """A requeued batch job: always the same command (`--resume`, which also starts the run), killed with SIGKILL at
    random moments from 0.5 s on (start-up, computing, writing a checkpoint, front.json or the log), 5 times."""
    config, reference_run, seconds = reference
    run = tmp_path / "run"
    rng = random.Random(20261203)
    moments = []
    for _ in range(5):
        process = start(config, "--out", run, "--resume")
        delay = rng.uniform(0.5, max(1.0, seconds))
        time.sleep(delay)
        if process.poll() is not None:  # finished before the kill: nothing left to interrupt
            break
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        moments.append(round(delay, 2))
    status, _, err = finish(start(config, "--out", run, "--resume"))
    assert status == 0, f"killed at {moments} s: {err}"
    assert (run / "front.json").read_text() == (reference_run / "front.json").read_text(), f"killed at {moments} s"
    assert log_generations(run) == list(range(1, 9))
    assert not list(run.glob(".*.tmp"))


def wait_for_generation(run, generation, process, timeout=60):
    """Wait until the log holds `generation` (or later)."""
    deadline = time.monotonic() + timeout
    while not ((run / "log.jsonl").exists() and generation <= max(log_generations(run), default=0)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("stop, status, workers", [(signal.SIGINT, 130, 2), (signal.SIGTERM, 143, 2),
                                                   (signal.SIGTERM, 143, 1)])
def test_stop_signals_keep_every_completed_generation_and_say_how_to_resume(tmp_path, reference, stop, status,
                                                                              workers):
    config, reference_run, _ = reference
    run = tmp_path / "run"
    process = start(config, "--out", run, "--workers", workers)
    wait_for_generation(run, 1, process)
    os.killpg(process.pid, stop)  # as Ctrl-C on a terminal or a batch scheduler: every process of the group
    code, _, err = finish(process, timeout=30)
    assert code == status, err
    assert "Traceback" not in err and f"Resume with: symbolicpot evolve --resume --out {run}" in err
    assert checkpoint_generation(run) == log_generations(run)[-1] >= 1  # nothing completed is lost
    code, out, err = finish(start("--resume", "--out", run))
    assert code == 0, err
    assert (run / "front.json").read_text() == (reference_run / "front.json").read_text()


def test_sigterm_between_migrations_keeps_every_completed_generation(tmp_path):
    """With migrations every 50 generations (none in this run), SIGTERM after a few generations keeps them all, and
    the resumed run ends with the uninterrupted run's front."""
    config, reference_run, _ = uninterrupted(tmp_path / "reference", migration_interval=50)
    run = tmp_path / "run"
    process = start(config, "--out", run)
    wait_for_generation(run, 3, process)
    os.killpg(process.pid, signal.SIGTERM)
    code, _, err = finish(process, timeout=30)
    assert code == 143, err
    kept = checkpoint_generation(run)
    assert kept == log_generations(run)[-1] >= 3 and f"(generation {kept}) is complete" in err
    assert finish(start("--resume", "--out", run))[0] == 0
    assert (run / "front.json").read_text() == (reference_run / "front.json").read_text()


def test_island_workers_end_when_evolve_is_killed(tmp_path, reference):
    """SIGKILL to evolve alone (not its process group): its island processes notice and end (within a second; the
    deadline here only bounds a hang)."""
    config, _, _ = reference
    run = tmp_path / "run"
    process = start(config, "--out", run, "--workers", 2)
    wait_for_generation(run, 1, process)
    session = os.getsid(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    deadline = time.monotonic() + 30
    while session_processes(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not session_processes(session)


def session_processes(session):
    """Process ids of the live processes in `session` (zombies excluded)."""
    listing = subprocess.run(["ps", "-e", "-o", "pid=,sid=,stat="], capture_output=True, text=True).stdout.split("\n")
    return [int(pid) for pid, sid, stat in (line.split() for line in listing if line.strip())
            if int(sid) == session and not stat.startswith("Z")]


def test_front_json_is_identical_for_two_runs_with_the_same_config_and_seed(tmp_path, reference):
    config, reference_run, _ = reference
    status, _, err = finish(start(config, "--out", tmp_path / "again"))
    assert status == 0, err
    shown = [subprocess.run([sys.executable, "-m", "symbolicpot", "front", str(path), "--json"], capture_output=True,
                            text=True, check=True).stdout for path in (reference_run, tmp_path / "again")]
    assert shown[0] == shown[1] and json.loads(shown[0])
