"""Islands on Dask distributed, with real local clusters of worker processes: the same front as the process pool,
a worker killed mid-step, a lost scheduler, bad scheduler addresses, a stopped run closing its local cluster."""
import dataclasses
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.search.engine import Search, SearchConfig
from run_configs import tiny_config

distributed = pytest.importorskip("distributed")

# A Dask cluster in a process of its own (which a test may kill): prints its scheduler's address, then waits.
CLUSTER = """
import logging, threading
from distributed import LocalCluster
cluster = LocalCluster(n_workers={workers}, threads_per_worker=1, processes={processes}, protocol="tcp",
                       dashboard_address=":0", scheduler_kwargs={{"dashboard": False}}, silence_logs=logging.CRITICAL)
print(cluster.scheduler_address, flush=True)
threading.Event().wait()
"""


def start_cluster(workers, processes):
    """(process, scheduler address) of a new CLUSTER process with `workers` workers (processes or threads)."""
    process = subprocess.Popen([sys.executable, "-c", CLUSTER.format(workers=workers, processes=processes)],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    return process, process.stdout.readline().strip()


def end(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(tiny_config(seed=5, generations=3))
    return path


@pytest.fixture(scope="module")
def reference(config, tmp_path_factory):
    """front.json of the run on the local process pool (2 workers)."""
    run = tmp_path_factory.mktemp("pool") / "run"
    assert evolve(config, "--out", run, "--workers", 2) == 0
    return (run / "front.json").read_text()


@pytest.fixture(scope="module")
def cluster():
    """A Client of a cluster of 2 single-threaded worker processes, each with a nanny that replaces it if it dies."""
    process, address = start_cluster(workers=2, processes=True)
    with distributed.Client(address, set_as_default=False) as client:
        yield client
    end(process)


def evolve(*argv):
    return main(["evolve", *map(str, argv), "--progress", "off"])


def after_first_generation(run, action):
    """A started thread that calls `action()` once `run` has completed its first generation (`thread.done` stops the
    wait)."""
    def wait_then_act():
        while not ((run / "log.jsonl").exists() and (run / "log.jsonl").read_text()):
            if thread.done.wait(0.01):
                return
        action()
    thread = threading.Thread(target=wait_then_act)
    thread.done = threading.Event()
    thread.start()
    return thread


def test_same_front_with_the_process_pool_and_dask_on_1_and_on_2_workers(tmp_path, config, reference, cluster):
    assert evolve(config, "--out", tmp_path / "one", "--scheduler", "local:1") == 0
    assert not multiprocessing.active_children()  # the local cluster was closed
    assert evolve(config, "--out", tmp_path / "two", "--scheduler", cluster.scheduler.address) == 0
    assert (tmp_path / "one" / "front.json").read_text() == reference
    assert (tmp_path / "two" / "front.json").read_text() == reference


def test_tasks_send_news_while_they_run(cluster):
    """Each island's first report is posted at its first evaluation; the step is the same with news as without."""
    settings = SearchConfig(seed=1, islands=2, population=8, immigrants=2, generations=1)
    with Search(load(example_path("sutton_chen") / "300K"), settings) as engine:
        expected = engine.step(engine.initial_state())
    with Search(load(example_path("sutton_chen") / "300K"),
                dataclasses.replace(settings, scheduler=cluster.scheduler.address)) as engine:
        state = engine.step(engine.initial_state())
        news = engine.live.latest()
    assert dataclasses.replace(state, seconds=0.0) == dataclasses.replace(expected, seconds=0.0)  # wall clock aside
    assert sorted(news) == [0, 1] and all(evaluations >= 1 for evaluations, _ in news.values())


def test_a_worker_killed_mid_step_loses_nothing(tmp_path, config, reference, cluster):
    run, killed, pids = tmp_path / "run", [], cluster.run(os.getpid)

    def kill_a_busy_worker():
        while not killed and not killer.done.is_set():
            busy = [(worker, tasks) for worker, tasks in cluster.processing().items() if tasks]
            if busy:
                os.kill(pids[busy[0][0]], signal.SIGKILL)
                killed.append(busy[0])

    killer = after_first_generation(run, kill_a_busy_worker)
    try:
        assert evolve(config, "--out", run, "--scheduler", cluster.scheduler.address) == 0
    finally:
        killer.done.set()
        killer.join()
    assert killed, "no worker was killed during a step"
    worker, tasks = killed[0]
    assert worker not in cluster.scheduler_info()["workers"]  # it died (its nanny starts another)
    starts = [entry for entry in cluster.story(*tasks) if entry[0] == "scheduler" and entry[3] == "processing"]
    assert len(starts) >= 2 * len(tasks)  # its steps ran again, from their input states, on another worker
    assert (run / "front.json").read_text() == reference


def test_a_lost_scheduler_is_one_clear_line_and_a_checkpoint_to_resume_from(tmp_path, capsys, config, reference,
                                                                            cluster):
    process, address = start_cluster(workers=1, processes=False)
    run = tmp_path / "run"
    killer = after_first_generation(run, lambda: end(process))
    try:
        assert evolve(config, "--out", run, "--scheduler", address) == 1
    finally:
        killer.done.set()
        killer.join()
        end(process)
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and f"lost the connection to the Dask scheduler {address}" in last
    assert f"Resume with: symbolicpot evolve --resume --out {run}" in last
    assert evolve("--resume", "--out", run, "--scheduler", cluster.scheduler.address) == 0
    assert (run / "front.json").read_text() == reference


def test_sigterm_stops_the_run_and_ends_its_local_cluster(tmp_path, capsys, config):
    run = tmp_path / "run"
    stopper = after_first_generation(run, lambda: os.kill(os.getpid(), signal.SIGTERM))  # caught by evolve's handler
    try:
        assert evolve(config, "--out", run, "--scheduler", "local:1") == 128 + signal.SIGTERM
    finally:
        stopper.done.set()
        stopper.join()
    assert not multiprocessing.active_children()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"Resume with: symbolicpot evolve --resume --out {run}" in err.strip().splitlines()[-1]


@pytest.mark.parametrize("address, message", [
    ("nowhere", '[parallel] scheduler: expected "local:N" or a scheduler address such as "tcp://HOST:PORT"'),
    ("local:0", "[parallel] scheduler: local:N needs N >= 1"),
    ("tcp://127.0.0.1:1", "cannot connect to the Dask scheduler tcp://127.0.0.1:1: no answer within 5 s"),
])
def test_a_bad_scheduler_address_is_a_quick_config_error(tmp_path, capsys, config, address, message):
    begin = time.monotonic()
    assert evolve(config, "--out", tmp_path / "run", "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert message in err and address in err and "Traceback" not in err
    assert time.monotonic() - begin < 15


def test_the_scheduler_is_a_string_in_the_config(tmp_path, capsys, config):
    path = tmp_path / "run.toml"
    path.write_text(config.read_text() + "[parallel]\nscheduler = 8786\n")
    assert evolve(path, "--out", tmp_path / "run") == 2
    assert "[parallel] scheduler: expected a string, got an integer" in capsys.readouterr().err
