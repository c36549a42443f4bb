"""The subcommands of `symbolicpot`: one module each, with `add_parser(subparsers)` and `run(args) -> status`."""
from ..cutoff import DEFAULT, Cutoff
from ..metrics import ERROR_COLUMNS


def add_cutoff(p, of_formula=False):
    """The --r-in/--r-out options (Å) of every command that takes a formula. `of_formula`: the command also takes
    potentials that carry their own cutoff, so the options default to None (given or not; see `cutoff_of`)."""
    for flag, value, which in (("--r-in", DEFAULT.r_in, "inner"), ("--r-out", DEFAULT.r_out, "outer")):
        p.add_argument(flag, type=float, default=None if of_formula else value, metavar="Å",
                       help=f"{which} cutoff radius{' of a formula' if of_formula else ''} (default {value:g})")


def cutoff_of(args):
    """The Cutoff of the --r-in/--r-out given (defaults for the one not given), or None when neither is."""
    if args.r_in is None and args.r_out is None:
        return None
    return Cutoff(DEFAULT.r_in if args.r_in is None else args.r_in, DEFAULT.r_out if args.r_out is None else args.r_out)


METRIC_COLUMNS = (("configs", "n_configs", "d"), ("atoms", "n_atoms", "d"), *ERROR_COLUMNS)


def metrics_table(rows, first="group"):
    """A text table of error metrics (symbolicpot.fitness.error_metrics dicts), one row per (name, metrics)."""
    width = max([len(first)] + [len(name) for name, _ in rows])
    lines = [f"{first:<{width}}  " + "  ".join(f"{title:>13}" for title, _, _ in METRIC_COLUMNS)]
    for name, m in rows:
        cells = ("-" if m.get(key) is None else format(m[key], fmt) for _, key, fmt in METRIC_COLUMNS)
        lines.append(f"{name:<{width}}  " + "  ".join(f"{cell:>13}" for cell in cells))
    return "\n".join(lines)
