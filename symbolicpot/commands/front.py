"""`symbolicpot front`: the Pareto front of a run, finished or still running (it reads front.json)."""
import json
import sys
from pathlib import Path


def add_parser(commands):
    p = commands.add_parser(
        "front", help="show the Pareto front of a run (table, JSON, LaTeX, plots)",
        description="Show the current Pareto front of a run directory (finished or still running): index, "
                    "complexity, cost, train and test errors and the simplified formula of every model, lowest "
                    "error first.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {index, formula, complexity, cost, train, test, property_error, "
                        "properties} (formula: the exact text; same front, same text)")
    p.add_argument("--latex", action="store_true", help="print the front as a LaTeX table (simplified formulas)")
    p.add_argument("--plot", metavar="FILE.png", help="plot train error vs cost, coloured by complexity (with "
                                                       "--properties N: model N's property errors)")
    p.add_argument("--pick", type=int, metavar="N", help="show model N in full (formula, LaTeX, constants, errors)")
    p.add_argument("--properties", type=int, metavar="N",
                   help="model N's 0 K properties against the reference (runs with [properties])")
    p.add_argument("--parity", metavar="FILE.png",
                   help="with --pick: energy and force parity plots of model N on the run's train and test data")
    p.set_defaults(run=run)


def run(args):
    from ..run.front import read_front

    document = read_front(args.run_dir)
    models = document["models"]
    if args.parity and args.pick is None:
        raise ValueError("--parity needs --pick N (the model to plot)")
    for flag, index in (("--pick", args.pick), ("--properties", args.properties)):
        if index is not None and not 0 <= index < len(models):
            raise ValueError(f"{flag} {index}: the front has models 0..{len(models) - 1}" if models
                             else f"{flag} {index}: the front is empty (the first generation has not finished)")
    if args.properties is not None and document["property_targets"] is None:
        raise ValueError(f"--properties: the run fits no 0 K properties (no [properties] use in its config): try "
                         f"`symbolicpot properties {args.run_dir}:{args.properties}`")
    if args.json:
        print(json.dumps(front_json(document), indent=1, ensure_ascii=False))
    elif args.latex:
        print(latex_table(document))
    elif args.properties is not None:
        print(property_table(document, args.properties))
    elif args.pick is not None:
        print(model_details(models[args.pick]))
    else:
        print(front_table(document))
    if args.plot and args.properties is not None:
        from ..run.plots import plot_property_errors
        model = models[args.properties]
        plot_property_errors(f"model {args.properties}: {display_formula(model['formula'])}",
                             property_rows(document, args.properties), args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    elif args.plot:
        from ..run.plots import plot_front
        plot_front(document, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.parity:
        parity(args.run_dir, document, args.pick, args.parity)
        print(f"wrote {args.parity}", file=sys.stderr)
    return 0


def front_json(document):
    """The JSON list of `front --json`: a pure function of the front (no paths, no times)."""
    return [{key: model[key] for key in ("index", "formula", "complexity", "cost", "train", "test",
                                         "property_error", "properties", "unphysical")}
            for model in document["models"]]


def display_formula(formula, digits=4):
    """The simplified model (SymPy, exponents snapped: expr.symbolic.simplify) with `digits` significant digits."""
    import sympy

    from ..expr import parse_expression
    from ..expr.symbolic import simplify

    expr = simplify(parse_expression(formula))
    expr = expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})
    return str(expr).replace("**", "^")


def latex_formula(formula, digits=6):
    from ..expr import parse_expression
    from ..expr.symbolic import latex

    return latex(parse_expression(formula), digits=digits)


COLUMNS = (("E train", "train", "energy_rmse_mev_per_atom"), ("E test", "test", "energy_rmse_mev_per_atom"),
           ("F train", "train", "force_rmse_ev_per_a"), ("F test", "test", "force_rmse_ev_per_a"),
           ("S train", "train", "stress_rmse_gpa"), ("S test", "test", "stress_rmse_gpa"))


def front_table(document):
    models = document["models"]
    head = (f"Pareto front at generation {document['generation']}: {len(models)} models, lowest standardised error "
            f"first (cutoff {document['r_in']}-{document['r_out']} Å)")
    if not models:
        return head + ("\n(empty: the first generation has not finished)" if document["generation"] == 0 else
                       "\n(empty: no model with the right physics yet: every candidate whose properties were computed "
                       "had a crystal that does not bind or the wrong ground state)")
    columns = [c for c in COLUMNS if any((m[c[1]] or {}).get(c[2]) is not None for m in models)]
    physics = document.get("property_targets") is not None
    lines = [head, "errors: E RMSE meV/atom, F RMSE eV/Å, S RMSE GPa; cost: ns/atom (cost model); size: nodes"
             + ("; prop %: property error (weighted mean relative error of the 0 K properties; unphys: physics "
                "wrong, -: not computed)" if physics else ""), ""]
    titles = [title for title, _, _ in columns] + (["prop %"] if physics else [])
    lines.append(f"{'#':>3} {'size':>4} {'cost':>7} " + " ".join(f"{title:>8}" for title in titles)
                 + "  formula (simplified)")
    for m in models:
        cells = [_number((m[split] or {}).get(key)) for _, split, key in columns]
        if physics:
            cells.append("unphys" if m["unphysical"] else _number(m["property_error"] and 100 * m["property_error"]))
        lines.append(f"{m['index']:>3} {m['complexity']:>4} {m['cost']:>7.4g} " + " ".join(f"{c:>8}" for c in cells)
                     + f"  {display_formula(m['formula'])}")
    return "\n".join(lines)


def property_table(document, index):
    """Model `index`'s 0 K properties as computed in the search, against the run's reference values (the table of
    `symbolicpot properties`, for the properties the search computed)."""
    from ..properties import format_table, summary_line

    targets, model = document["property_targets"], document["models"][index]
    head = f"model {index}: {display_formula(model['formula'])}"
    if model["unphysical"]:
        head += f"\nunphysical: {model['unphysical']}"
    if model["properties"] is None:
        return head + "\nproperties not computed (its error was outside the screen when it was scored)"
    rows = property_rows(document, index)
    error = "-" if model["property_error"] is None else f"{100 * model['property_error']:.2f} %"
    return "\n".join([head, f"property error {error} over {len(targets['weights'])} weighted properties", "",
                      format_table(rows), summary_line(rows)])


def property_rows(document, index):
    """properties.Property rows of model `index`: the properties the search computed, with the run's references."""
    from ..properties import UNITS, Property

    targets, found = document["property_targets"], document["models"][index]["properties"] or {}
    return [Property(name, found.get(name), targets["reference"].get(name), unit)
            for name, unit in UNITS.items() if name in found or name in targets["weights"]]


def latex_table(document):
    models = document["models"]
    columns = [c for c in COLUMNS[:4] if any((m[c[1]] or {}).get(c[2]) is not None for m in models)]
    units = {"E": "meV/atom", "F": "eV/\\AA"}
    lines = [r"\begin{tabular}{rrr" + "r" * len(columns) + "l}", r"\hline",
             " & ".join(["\\#", "size", "cost (ns/atom)"]
                        + [f"{t} ({units[t[0]]})" for t, _, _ in columns] + ["$T_i$"]) + r" \\", r"\hline"]
    for m in models:
        cells = [str(m["index"]), str(m["complexity"]), f"{m['cost']:.4g}"]
        cells += [_number((m[split] or {}).get(key)) for _, split, key in columns]
        cells.append(f"${latex_formula(m['formula'], digits=4)}$")
        lines.append(" & ".join(cells) + r" \\")
    return "\n".join(lines + [r"\hline", r"\end{tabular}"])


def model_details(model):
    lines = [f"model {model['index']}: complexity {model['complexity']}, cost {model['cost']:.4g} ns/atom, "
             f"standardised error {model['error']:.6g}",
             f"formula:    {model['formula']}",
             f"simplified: {display_formula(model['formula'], digits=6)}",
             f"LaTeX:      {latex_formula(model['formula'])}",
             f"constants:  {model['constants']}"]
    for split in ("train", "test"):
        metrics = model[split]
        if metrics is None:
            lines.append(f"{split}: no data")
            continue
        lines.append(f"{split} ({metrics['n_configs']} configs, {metrics['n_atoms']} atoms): "
                     f"E RMSE {_number(metrics['energy_rmse_mev_per_atom'])} meV/atom "
                     f"(MAE {_number(metrics['energy_mae_mev_per_atom'])}), "
                     f"F RMSE {_number(metrics['force_rmse_ev_per_a'])} eV/Å "
                     f"(MAE {_number(metrics['force_mae_ev_per_a'])}), "
                     f"S RMSE {_number(metrics['stress_rmse_gpa'])} GPa")
    return "\n".join(lines)


def parity(run_dir, document, index, path):
    """Parity plots of model `index`, re-evaluated on the data of the run's resolved config."""
    from ..evaluate import Cutoff, Evaluator
    from ..expr import parse_expression
    from ..run.config import load_data, resolve_file
    from ..run.plots import plot_parity
    from ..run.directory import RunDirectory

    config = resolve_file(RunDirectory(run_dir).config)
    train, test = load_data(config)
    cutoff = Cutoff(document["r_in"], document["r_out"])
    formula = document["models"][index]["formula"]
    model = parse_expression(formula)
    sets = [(name, data, Evaluator(data, cutoff)(model)) for name, data in (("train", train), ("test", test))
            if data is not None]
    invalid = [name for name, _, prediction in sets if not prediction.ok]
    if invalid:
        raise ValueError(f"model {index} gives non-finite values on the {' and '.join(invalid)} data")
    plot_parity(f"model {index} (generation {document['generation']}): {display_formula(formula)}", sets, path)


def _number(value):
    return "-" if value is None else f"{value:.3g}"
