"""The `symbolicpot` command line."""
import argparse
import json
import sys

from . import __version__


def main(argv=None):
    """Entry point of the `symbolicpot` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="symbolicpot", description=__doc__.strip())
    parser.add_argument("--version", action="version", version=f"symbolicpot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_eval(commands)
    _add_calibrate(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as error:  # DataError, ParseError, bad files: one clear line, no traceback
        print(f"symbolicpot {args.command}: error: {error}", file=sys.stderr)
        return 2


def _add_eval(commands):
    p = commands.add_parser(
        "eval", help="errors of a formula on data (energy meV/atom, forces eV/Å, stress GPa)",
        description="Evaluate a formula on data and print energy, force and stress errors per group and overall.")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="POET folders or files ase.io reads (extended XYZ, OUTCAR, vasprun.xml)")
    p.add_argument("--expr", required=True, metavar="FORMULA",
                   help='atom-level formula, e.g. "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"')
    _add_cutoff(p)
    p.add_argument("--fit-constants", action="store_true",
                   help="tune the formula's constants on the data first (conjugate gradient)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=_run_eval)


def _add_calibrate(commands):
    p = commands.add_parser(
        "calibrate", help="re-measure the cost model of the speed objective on this machine",
        description="Time formulas with the evaluator on this machine, fit the cost model's coefficients (ns per pair "
                    "and per atom), print them as a TOML [cost] table and their rank correlation with the evaluator's "
                    "times of fresh random formulas.")
    p.add_argument("--data", nargs="+", metavar="PATH",
                   help="POET folders or files ase.io reads (default: the shipped Sutton-Chen example)")
    _add_cutoff(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the random formulas (default 0)")
    p.add_argument("--formulas", type=int, default=300, metavar="N", help="random formulas to time (default 300)")
    p.add_argument("--out", metavar="FILE.toml", help="also write the [cost] table to this file")
    p.set_defaults(run=_run_calibrate)


def _run_calibrate(args):
    import datetime

    import numpy as np

    from .data import example_path, load
    from .evaluate import Cutoff, Evaluator
    from .fitness import calibrate, random_valid_formulas, rank_correlation, time_formulas

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


def _add_cutoff(p):
    p.add_argument("--r-in", type=float, default=3.0, metavar="Å", help="inner cutoff radius (default 3)")
    p.add_argument("--r-out", type=float, default=5.0, metavar="Å", help="outer cutoff radius (default 5)")


def _run_eval(args):
    from .data import load
    from .evaluate import Cutoff, Evaluator
    from .expr import format_expression, parse_expression
    from .fitness import Residuals, errors_by_group
    from .search import fit_constants_cg

    formula = parse_expression(args.expr)
    dataset = load(args.data)
    evaluator = Evaluator(dataset, Cutoff(args.r_in, args.r_out))
    if args.fit_constants:
        formula, _ = fit_constants_cg(evaluator, formula, Residuals(dataset))
    prediction = evaluator(formula)
    report = {"formula": format_expression(formula), "r_in": args.r_in, "r_out": args.r_out,
              "valid": prediction.ok}
    errors = errors_by_group(prediction, dataset) if prediction.ok else {"overall": {}, "groups": {}}
    report.update(errors["overall"])
    report["groups"] = errors["groups"]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_eval_table(report))
    return 0 if prediction.ok else 1


def _eval_table(report):
    lines = [f"formula: {report['formula']}", f"cutoff:  r_in = {report['r_in']} Å, r_out = {report['r_out']} Å"]
    if not report["valid"]:
        return "\n".join(lines + ["invalid: the formula gives non-finite values on this data"])
    columns = [("configs", "n_configs", "d"), ("atoms", "n_atoms", "d"),
               ("E RMSE meV/at", "energy_rmse_mev_per_atom", ".4g"), ("E MAE meV/at", "energy_mae_mev_per_atom", ".4g"),
               ("F RMSE eV/Å", "force_rmse_ev_per_a", ".4g"), ("F MAE eV/Å", "force_mae_ev_per_a", ".4g"),
               ("S RMSE GPa", "stress_rmse_gpa", ".4g")]
    rows = [(name, m) for name, m in report["groups"].items()] + [("overall", report)]
    width = max(len(name) for name, _ in rows)
    lines.append(f"{'group':<{width}}  " + "  ".join(f"{title:>13}" for title, _, _ in columns))
    for name, m in rows:
        cells = ("-" if m[key] is None else format(m[key], fmt) for _, key, fmt in columns)
        lines.append(f"{name:<{width}}  " + "  ".join(f"{cell:>13}" for cell in cells))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
