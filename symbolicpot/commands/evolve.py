"""`symbolicpot evolve`: a long search for formulas, with checkpoints, exact resume and a live progress line."""
import sys
from pathlib import Path


def add_parser(commands):
    p = commands.add_parser(
        "evolve", help="search for formulas (Pareto front of error, cost, complexity); checkpoints, resume",
        description="Evolve formulas on data by genetic programming and keep the Pareto front of error, evaluation "
                    "cost and complexity. The run directory holds the resolved config, a checkpoint (at least every "
                    "10 s and at every stop), front.json (the current front) and log.jsonl (a line per generation). "
                    "Ctrl-C or SIGTERM stops the run keeping every completed generation; --resume continues it, bit "
                    "for bit as if never interrupted (and starts it if it has not started yet). The islands run "
                    "in local processes, or as tasks on a Dask cluster (--scheduler). Flags override the config; "
                    "without a config the documented defaults apply (see `symbolicpot init-config`).")
    p.add_argument("config", nargs="?", metavar="CONFIG.toml", help="run config (TOML)")
    p.add_argument("--out", metavar="RUN_DIR",
                   help="run directory (default: runs/<config name>, or runs/evolve without a config)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in RUN_DIR (its own config unless CONFIG is given; only stopping rules, "
                        "--workers and --scheduler may change); start it if RUN_DIR holds no run yet, so a requeued "
                        "job can always run the same command")
    p.add_argument("--seed", type=int, metavar="N", help="seed of the search")
    p.add_argument("--time-limit", metavar="DURATION", help='stop after this wall-clock time: "90s", "30m", "2h", '
                                                           '"1d" or seconds')
    p.add_argument("--generations", type=int, metavar="N", help="generations per island")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local processes running islands without --scheduler (0: one per island up to the CPU cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the islands as Dask tasks: local:N starts a local cluster of N worker processes, "
                        "tcp://HOST:PORT uses a running scheduler (replaces [parallel] scheduler)")
    p.add_argument("--data", nargs="+", metavar="PATH", help="training data (replaces [data] train)")
    p.add_argument("--test-data", nargs="+", metavar="PATH", help="test data (replaces [data] test)")
    p.add_argument("--r-in", type=float, metavar="Å", help="inner cutoff radius (replaces [cutoff] r_in)")
    p.add_argument("--r-out", type=float, metavar="Å", help="outer cutoff radius (replaces [cutoff] r_out)")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="live progress line on stderr (default auto: only on a terminal)")
    p.set_defaults(run=run)


def overrides(args):
    """{(section, key): value} of the flags given (paths made absolute from the working directory)."""
    from ..run.config import parse_duration

    given = {}
    if args.time_limit is not None:
        given[("stop", "time_limit")] = parse_duration(args.time_limit, "--time-limit")
    for flag, where in (("seed", (None, "seed")), ("generations", ("stop", "generations")),
                        ("workers", ("search", "workers")), ("scheduler", ("parallel", "scheduler")),
                        ("r_in", ("cutoff", "r_in")), ("r_out", ("cutoff", "r_out"))):
        if getattr(args, flag) is not None:
            given[where] = getattr(args, flag)
    if args.data is not None:
        given[("data", "train")] = [str(Path(path).resolve()) for path in args.data]
        given[("data", "groups")] = []
    if args.test_data is not None:
        given[("data", "test")] = [str(Path(path).resolve()) for path in args.test_data]
    return given


def run(args):
    from ..run.checkpoint import has_checkpoint
    from ..run.config import resolve, resolve_file
    from ..run.directory import RunDirectory
    from ..run.runner import announce as warn, execute, prepare_new, prepare_resume

    flags = overrides(args)
    run_dir = Path(args.out or Path("runs") / (Path(args.config).stem if args.config else "evolve"))
    if args.config:
        config = resolve_file(args.config, flags)
    elif args.resume and RunDirectory(run_dir).config.exists():
        config = resolve_file(RunDirectory(run_dir).config, flags) if flags else None  # None: the run's own
    else:
        config = resolve({}, Path.cwd(), "defaults", flags) if flags or not args.resume else None
    if config is not None and not config["data"]["train"]:
        raise ValueError("no training data: give a config with [data] train, or --data PATH")
    if args.resume:
        config, checkpoint = prepare_resume(run_dir, config, warn)
    else:
        prepare_new(run_dir, config)
        checkpoint = None
    if checkpoint is not None:
        print(f"resuming {run_dir} at generation {checkpoint.state.generation}", file=sys.stderr)
    else:
        print(f"evolving in {run_dir} (log: {run_dir / 'log.jsonl'}; the front so far: symbolicpot front {run_dir})",
              file=sys.stderr)
    progress = {"auto": None, "on": True, "off": False}[args.progress]
    try:
        outcome = execute(run_dir, config, checkpoint, progress)
    except KeyboardInterrupt:  # before the signal handlers were in place
        print(f"symbolicpot evolve: interrupted before the first generation of {run_dir}; the same command with "
              f"--resume starts it again", file=sys.stderr)
        return 130
    state = outcome.state
    if outcome.status:
        where = (f"the checkpoint of {run_dir} (generation {state.generation}) is complete"
                 if has_checkpoint(run_dir) else "no generation had finished")
        print(f"symbolicpot evolve: {outcome.reason}; {where}. Resume with: symbolicpot evolve --resume --out "
              f"{run_dir}", file=sys.stderr)
        return outcome.status
    if checkpoint is not None and state.generation == checkpoint.state.generation:
        print(f"{run_dir} had already met its stopping rule ({outcome.reason}); to go on, resume with a larger "
              f"--generations or --time-limit (or [stop] settings)", file=sys.stderr)
    print(f"finished ({outcome.reason}): generation {state.generation}, {state.evaluations} evaluations, "
          f"{len(state.archive)} models on the front.\nInspect it with: symbolicpot front {run_dir}")
    return 0
