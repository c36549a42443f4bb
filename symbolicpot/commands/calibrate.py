"""`symbolicpot calibrate`: re-measure the cost model of the speed objective."""
from . import add_cutoff


def add_parser(commands):
    p = commands.add_parser(
        "calibrate", help="re-measure the cost model of the speed objective on this machine",
        description="Time formulas with the evaluator on this machine, fit the cost model's coefficients (ns per pair "
                    "and per atom), print them as a TOML [cost] table and their rank correlation with the evaluator's "
                    "times of fresh random formulas.")
    p.add_argument("--data", nargs="+", metavar="PATH",
                   help="POET folders or files ase.io reads (default: the shipped Sutton-Chen example)")
    add_cutoff(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the random formulas (default 0)")
    p.add_argument("--formulas", type=int, default=300, metavar="N", help="random formulas to time (default 300)")
    p.add_argument("--out", metavar="FILE.toml", help="also write the [cost] table to this file")
    p.set_defaults(run=run)


def run(args):
    import datetime

    import numpy as np

    from ..data import example_path, load
    from ..evaluate import Cutoff, Evaluator
    from ..fitness import calibrate, random_valid_formulas, rank_correlation, time_formulas

    dataset = load(args.data or example_path("sutton_chen"))
    cutoff = Cutoff(args.r_in, args.r_out)
    model = calibrate(dataset, args.seed, args.formulas, cutoff)
    evaluator = Evaluator(dataset, cutoff)
    fresh = random_valid_formulas(evaluator, np.random.default_rng(args.seed + 1), 100)
    correlation = rank_correlation(model, fresh, time_formulas(evaluator, fresh))
    text = (f"# measured by `symbolicpot calibrate --seed {args.seed} --formulas {args.formulas}` on "
            f"{datetime.date.today()}: {dataset.n_configs} configurations, {dataset.n_atoms_total} atoms\n"
            f"{model.to_toml()}")
    print(text, end="")
    print(f"rank correlation (Spearman) of cost and evaluator time, {len(fresh)} fresh random formulas: "
          f"{correlation:.3f}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {args.out}")
    return 0
