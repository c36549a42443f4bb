"""`symbolicpot eval`: errors of one formula on data."""
import json

from . import add_cutoff, metrics_table


def add_parser(commands):
    p = commands.add_parser(
        "eval", help="errors of a formula on data (energy meV/atom, forces eV/Å, stress GPa)",
        description="Evaluate a formula on data and print energy, force and stress errors per group and overall.")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="POET folders or files ase.io reads (extended XYZ, OUTCAR, vasprun.xml)")
    p.add_argument("--expr", required=True, metavar="FORMULA",
                   help='atom-level formula, e.g. "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"')
    add_cutoff(p)
    p.add_argument("--fit-constants", action="store_true",
                   help="tune the formula's constants on the data first (Levenberg-Marquardt with analytic Jacobians)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=run)


def run(args):
    from ..data import load
    from ..evaluate import Cutoff, Evaluator
    from ..evaluate.vanishing import check_vanishing
    from ..expr import format_expression, parse_expression
    from ..fitness import Residuals, errors_by_group
    from ..search import fit_constants

    formula = check_vanishing(parse_expression(args.expr), args.r_out)
    dataset = load(args.data)
    evaluator = Evaluator(dataset, Cutoff(args.r_in, args.r_out))
    if args.fit_constants:
        formula, _ = fit_constants(evaluator, formula, Residuals(dataset))
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
    rows = [(name, m) for name, m in report["groups"].items()] + [("overall", report)]
    return "\n".join(lines + [metrics_table(rows, "group")])

