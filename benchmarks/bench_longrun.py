"""Long-run behaviour of `symbolicpot evolve` on real-size data (issue 21, point 3): does the progress line move at
least every ~10 s of wall time, is the time limit honoured within max(30 s, 5 %), does SIGTERM keep the completed
generations?

1. Data: a copper set of at least --atoms atoms (default 20,000) from benchmarks/label_copper.py (EAM labels, not
   DFT), made once under benchmarks/data/ and reused; or --data PATH.
2. Run: `python -m symbolicpot evolve --data SET --out RUN_DIR --time-limit T --progress on --generations 1000000`
   (the default config otherwise; the generation cap is lifted so that the time limit is the rule that ends the
   run) as a subprocess in its own session. A thread reads its stderr as it comes and timestamps every progress
   redraw (tqdm's redraws are separated by '\\r' or '\\n'; a redraw is a segment holding a "NN%|" bar or "gen N").
3. Report, as one JSON object on stdout (times in seconds of wall clock from just before the process started):
   - wall_s: process start to exit; overshoot_s = wall_s − time_limit_s, allowed_overshoot_s = max(30, 5 % of the
     limit); time_limit_pass: overshoot_s ≤ allowed_overshoot_s.
   - Progress. A redraw counts as an update when its content differs from the previous redraw's once the clock is
     blanked out: the bar's percentage and the "… elapsed, ~… left" durations move with time alone, so they do not
     count; generation, evaluations, errors, front size and rates do. first_progress_s: the first redraw;
     longest_progress_gap_s: the longest wait between consecutive updates from the first one on, the stretch from
     the last update to the process's exit included (last_progress_to_exit_s); progress_pass: at most --max-gap
     (10 s). longest_redraw_gap_s is the same for raw redraws, clock included, for comparison.
   - final_generation: the last line of RUN_DIR/log.jsonl (None if no epoch finished).
   - With --sigterm-after S: SIGTERM is sent S seconds after the start, and the report adds the generation of
     RUN_DIR/checkpoint.json against the log's last line; sigterm_pass says whether they agree and the exit status
     is 143 (None when no generation had completed: nothing to keep); time_limit_pass is then None when the
     SIGTERM came before the limit.
   A run still going at time limit + allowed overshoot + --grace (default 120 s) gets SIGTERM from the harness
   (then SIGKILL for its whole session 30 s later): stopped_by_harness is then true and the overshoot a lower bound.
The CPU model and vector extensions go to stderr first and into the JSON (benchmarks/machine.py).

Usage: python benchmarks/bench_longrun.py [--time-limit 5m] [--quick] [--atoms 20000] [--seed 0] [--data PATH]
                                          [--sigterm-after S] [--max-gap 10] [--grace 120] [--keep RUN_DIR]
--quick: a 1-minute limit (the same real-size data). Absolute times depend on the machine and its load; the
verdicts compare the run with its own clock.
"""
import argparse
import codecs
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import label_copper
from machine import describe, machine
from symbolicpot.data import load
from symbolicpot.run.config import parse_duration
from symbolicpot.run.log import read_log

KILL_AFTER_SIGTERM = 30.0  # s the run gets to stop by itself after the harness's SIGTERM
PROGRESS = re.compile(r"\d+%\||\bgen \d+")  # a tqdm bar, or our "gen N/M" description
# Parts of the line that move with the clock alone: ANSI control sequences, tqdm's percentage and bar, durations
# such as "2m31s elapsed" / "~3m12s left", and tqdm's default "[00:12<01:00" clock.
CLOCK = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\d+%\|[^|]*\||~?\b\d+[dhms](?:\d+[hms])?\s+(?:elapsed|left)"
                   r"|\[?\d+:\d+(?::\d+)?(?:<[\d:?]+)?")


def allowed_overshoot(time_limit):
    """The time limit's tolerance (s): max(30 s, 5 % of the limit)."""
    return max(30.0, 0.05 * time_limit)


def progress_content(redraw):
    """A progress redraw's text without the parts that move with the clock alone (see CLOCK) and the separators
    they leave behind (words without a letter or digit)."""
    return " ".join(word for word in CLOCK.sub(" ", redraw).split() if any(c.isalnum() for c in word))


class StderrWatcher(threading.Thread):
    """Reads a pipe until it closes; `segments` is the list of (seconds since `start`, text) of each piece of text
    between '\\r'/'\\n' separators, timed when its first byte arrived."""

    def __init__(self, pipe, start):
        super().__init__(daemon=True)
        self.pipe, self.start_time, self.segments = pipe, start, []

    def run(self):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending, pending_time = "", None
        while chunk := os.read(self.pipe.fileno(), 65536):
            now = time.monotonic() - self.start_time
            pieces = re.split(r"[\r\n]", decoder.decode(chunk))
            # pieces[0] continues the pending segment; each later piece starts a new one after a separator.
            pending, pending_time = pending + pieces[0], pending_time if pending else now
            for piece in pieces[1:]:
                self._finish(pending, pending_time)
                pending, pending_time = piece, now
        self._finish(pending + decoder.decode(b"", final=True), pending_time)

    def _finish(self, text, seconds):
        if text.strip():
            self.segments.append((seconds, text))


def progress_summary(segments, exit_s):
    """The progress figures of a run's stderr `segments` (StderrWatcher) for a process that exited at `exit_s`."""
    redraws = [(t, text) for t, text in segments if PROGRESS.search(text)]
    updates = []  # (time, content) of the redraws whose content changed
    for t, text in redraws:
        content = progress_content(text)
        if not updates or content != updates[-1][1]:
            updates.append((t, content))

    def longest_gap(times):
        return max((b - a for a, b in zip(times, times[1:] + [exit_s])), default=None)

    return {"first_progress_s": redraws[0][0] if redraws else None, "redraws": len(redraws),
            "updates": len(updates),
            "longest_progress_gap_s": longest_gap([t for t, _ in updates]),
            "last_progress_to_exit_s": exit_s - updates[-1][0] if updates else None,
            "longest_redraw_gap_s": longest_gap([t for t, _ in redraws]),
            "last_progress_line": redraws[-1][1].strip() if redraws else None}


def checkpoint_generation(run_dir):
    """The top-level "generation" of RUN_DIR/checkpoint.json, or None without a readable checkpoint."""
    try:
        return json.loads((Path(run_dir) / "checkpoint.json").read_text(encoding="utf-8"))["generation"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_evolve(data, run_dir, time_limit, sigterm_after, deadline):
    """Run `evolve` on `data` into `run_dir`; returns (exit code, wall s, stderr segments, stopped by harness). It
    runs in run_dir's parent folder, so that `python -m symbolicpot` imports the installed package (the one this
    report names), not a checkout in the working directory.

    SIGTERM goes to the evolve process at `sigterm_after` s (if not None) and, from the harness, at `deadline` s;
    its whole session is killed KILL_AFTER_SIGTERM s after the harness's SIGTERM."""
    command = [sys.executable, "-m", "symbolicpot", "evolve", "--data", str(data), "--out", str(run_dir),
               "--time-limit", f"{time_limit:g}", "--progress", "on", "--generations", "1000000"]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=run_dir.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    watcher = StderrWatcher(process.stderr, start)
    watcher.start()

    def wait_until(seconds):
        """True if the process exited before `seconds` after the start."""
        try:
            process.wait(timeout=max(0.0, seconds - (time.monotonic() - start)))
            return True
        except subprocess.TimeoutExpired:
            return False

    stopped_by_harness = False
    if sigterm_after is not None and not wait_until(sigterm_after):
        process.send_signal(signal.SIGTERM)
    if not wait_until(deadline):
        stopped_by_harness = True
        process.send_signal(signal.SIGTERM)
        if not wait_until(deadline + KILL_AFTER_SIGTERM):
            os.killpg(process.pid, signal.SIGKILL)  # the session we started: evolve and its island processes
    process.wait()
    wall = time.monotonic() - start
    watcher.join(timeout=10)
    return process.returncode, wall, watcher.segments, stopped_by_harness


def make_data(args):
    """(path, atoms) of the data set: --data, or label_copper's set for --atoms/--seed (made if missing)."""
    path = (args.data or label_copper.default_path(args.atoms, args.seed)).resolve()
    if not path.exists():
        print(f"making {path} with label_copper ...", file=sys.stderr, flush=True)
        label_copper.label_copper(args.atoms, args.seed, path)
    return path, len(load(path).forces)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", default="5m", help='evolve\'s --time-limit (default 5m; "90s", "2m", s)')
    parser.add_argument("--quick", action="store_true", help="a 1-minute time limit")
    parser.add_argument("--atoms", type=int, default=20_000, help="size of the label_copper set (default 20000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the label_copper set")
    parser.add_argument("--data", type=Path, help="use this data file instead of a label_copper set")
    parser.add_argument("--sigterm-after", type=float, metavar="S", help="send SIGTERM S seconds after the start")
    parser.add_argument("--max-gap", type=float, default=10.0, help="progress target: s between updates (10)")
    parser.add_argument("--grace", type=float, default=120.0,
                        help="s past the allowed overshoot before the harness stops the run (120)")
    parser.add_argument("--keep", type=Path, metavar="RUN_DIR", help="run here and keep it (default: a temporary "
                                                                      "folder, removed)")
    args = parser.parse_args(argv)
    time_limit = 60.0 if args.quick else parse_duration(args.time_limit, "--time-limit")
    print(describe(), file=sys.stderr, flush=True)
    data, atoms = make_data(args)
    with tempfile.TemporaryDirectory(prefix="bench_longrun_") as scratch:
        run_dir = (args.keep or Path(scratch) / "run").resolve()
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        deadline = time_limit + allowed_overshoot(time_limit) + args.grace
        print(f"evolve on {data} ({atoms} atoms), time limit {time_limit:g} s, into {run_dir} ...", file=sys.stderr,
              flush=True)
        exit_code, wall, segments, stopped_by_harness = run_evolve(data, run_dir, time_limit, args.sigterm_after,
                                                                   deadline)
        log = read_log(run_dir)
        report = {"machine": machine(), "symbolicpot": str(Path(importlib.util.find_spec("symbolicpot").origin).parent),
                  "data": str(data), "atoms": atoms, "time_limit_s": time_limit, "wall_s": wall,
                  "overshoot_s": wall - time_limit, "allowed_overshoot_s": allowed_overshoot(time_limit),
                  **progress_summary(segments, wall), "exit_code": exit_code,
                  "stopped_by_harness": stopped_by_harness,
                  "final_generation": log[-1]["generation"] if log else None,
                  "final_evaluations": log[-1]["evaluations"] if log else None}
        if args.sigterm_after is not None:
            kept = checkpoint_generation(run_dir)
            report.update(sigterm_after_s=args.sigterm_after, checkpoint_generation=kept,
                          sigterm_pass=None if kept is None and not log
                          else kept == report["final_generation"] and exit_code == 128 + signal.SIGTERM)
        gap = report["longest_progress_gap_s"]
        limit_binds = args.sigterm_after is None or args.sigterm_after >= time_limit
        report.update(time_limit_pass=(not stopped_by_harness and report["overshoot_s"] <= report["allowed_overshoot_s"]
                                       if limit_binds else None),
                      progress_pass=gap is not None and gap <= args.max_gap, max_gap_s=args.max_gap,
                      stderr_tail=[text.strip() for _, text in segments if not PROGRESS.search(text)][-3:])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
