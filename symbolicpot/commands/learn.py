"""`symbolicpot learn`: active learning: explore by MD, select where the front's committee disagrees, label, refit."""
from pathlib import Path
import sys


def add_parser(commands):
    p = commands.add_parser(
        "learn", help="active learning: MD with the front's models, label where they disagree, refit; resume",
        description="Grow the training data where it matters: iteration 0 evolves formulas on the config's data; "
                    "each further iteration runs short MD with the best model under the [learn] conditions, "
                    "selects the snapshots on which the accurate front models (the committee) disagree most, "
                    "labels them with the [learn] labeller and evolves again on the grown data, seeded with the "
                    "previous front. Stops when an iteration selects nothing or at the [learn] budget. RUN_DIR "
                    "holds learn.jsonl (a row per iteration), learn.png, data/ (labelled extended XYZ) and "
                    "iterations/N/ (the evolve runs); --resume continues an interrupted loop.")
    p.add_argument("config", nargs="?", metavar="CONFIG.toml", help="run config (TOML) with a [learn] section")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/<config name>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the loop in RUN_DIR (its own config unless CONFIG is given; only [stop] and the "
                        "[learn] budgets may change)")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="the refits' live progress line on stderr (default auto: only on a terminal)")
    p.set_defaults(run=run)


def run(args):
    from ..learn import LabelError, learn, prepare
    from ..run.config import resolve_file

    if not args.config and not (args.resume and args.out):
        raise ValueError("give CONFIG.toml, or --resume --out RUN_DIR")
    run_dir = Path(args.out or Path("runs") / Path(args.config).stem)
    config = resolve_file(args.config) if args.config else None
    config, labeller, conditions = prepare(run_dir, config, args.resume, args.config or str(run_dir / "config.toml"))
    try:
        status = learn(run_dir, config, labeller, conditions, {"auto": None, "on": True, "off": False}[args.progress])
    except LabelError as error:
        print(f"symbolicpot learn: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"symbolicpot learn: interrupted; what was labelled is kept. Continue with: symbolicpot learn --resume "
              f"--out {run_dir}", file=sys.stderr)
        return 130
    if status:
        print(f"symbolicpot learn: a refit was stopped; its checkpoint is kept. Continue with: symbolicpot learn "
              f"--resume --out {run_dir}", file=sys.stderr)
    return status
