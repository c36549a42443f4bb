"""`symbolicpot compare`: a run's front beside MTP, NN and literature potentials on the run's test data."""
import json
import sys
from dataclasses import asdict
from pathlib import Path


def add_parser(commands):
    p = commands.add_parser(
        "compare", help="the front beside MTP/NN/UF3/MACE baselines and literature EAM/SW/Tersoff/SNAP potentials: errors, speed, "
                        "size",
        description="Score the run's front and baselines on the run's test data (same metrics), time them side by "
                    "side (LAMMPS for models that run there, an ASE loop for models with a Python calculator, "
                    "reported separately), and print one table. Missing baselines are fitted into "
                    "RUN_DIR/baselines/<name> first, with default settings, on the run's training split.")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--baselines", default="mtp,nn,eam,sw,tersoff,snap", metavar="LIST",
                   help="comma-separated: mtp, nn, uf3, uf3-3body, mace (fitted on the run's data), NAME=DIR (a "
                        "baseline directory), eam (those of Cu_mishin1, Cu_u3, Cu_zhou, AlCu, CuNi, CuZr_mm, "
                        "NiAlH_jea whose elements cover the data's), sw (Si), tersoff (Si, Ge), snap (Zuo et al.: "
                        "Cu linear and quadratic, Si, Ge, Mo; of each group those that cover the data's elements), "
                        "or any potential file (.eam, .eam.alloy, .eam.fs, .sw, .tersoff, .snap, potential JSON) or "
                        "name such as eam:Cu_u3 (default: mtp,nn,eam,sw,tersoff,snap)")
    p.add_argument("--pick", default=None, metavar="N,M",
                   help="front models to include (default: all)")
    p.add_argument("--extra-test", nargs="+", default=[], metavar="PATH",
                   help="more data scored per group besides the test data, e.g. DFT_Cu/lowIndexSurfaces")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="test force error vs speed, one panel per engine")
    p.add_argument("--json", action="store_true", help="print a JSON list of rows instead of the table")
    p.add_argument("--seconds", type=float, default=1.0,
                   help="wall time of each timed run (default 1); each model is timed --repeats times")
    p.add_argument("--repeats", type=int, default=3, help="timing rounds, median kept (default 3)")
    p.set_defaults(run=run)


def run(args):
    from ..compare import compare, comparison_table, plot_comparison

    baselines = [item.strip() for item in args.baselines.split(",") if item.strip()]
    try:
        picks = None if args.pick is None else [int(item) for item in args.pick.split(",")]
    except ValueError:
        raise ValueError(f"--pick {args.pick!r}: expected model indices such as 0,3,5") from None
    if args.seconds <= 0 or args.repeats < 1:
        raise ValueError("--seconds must be positive and --repeats at least 1")
    rows = compare(args.run_dir, baselines, picks, args.extra_test, args.seconds, args.repeats,
                   progress=lambda text: print(f"compare: {text}", file=sys.stderr, flush=True))
    if args.plot:
        plot_comparison(rows, args.plot)
    print(json.dumps([asdict(row) for row in rows], indent=1) if args.json else comparison_table(rows))
    return 0
