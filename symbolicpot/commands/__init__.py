"""The subcommands of `symbolicpot`: one module each, with `add_parser(subparsers)` and `run(args) -> status`."""


def add_cutoff(p):
    """The --r-in/--r-out options (Å) every command that evaluates formulas takes."""
    p.add_argument("--r-in", type=float, default=3.0, metavar="Å", help="inner cutoff radius (default 3)")
    p.add_argument("--r-out", type=float, default=5.0, metavar="Å", help="outer cutoff radius (default 5)")


METRIC_COLUMNS = (("configs", "n_configs", "d"), ("atoms", "n_atoms", "d"),
                  ("E RMSE meV/at", "energy_rmse_mev_per_atom", ".4g"),
                  ("E MAE meV/at", "energy_mae_mev_per_atom", ".4g"),
                  ("F RMSE eV/Å", "force_rmse_ev_per_a", ".4g"), ("F MAE eV/Å", "force_mae_ev_per_a", ".4g"),
                  ("S RMSE GPa", "stress_rmse_gpa", ".4g"))


def metrics_table(rows, first="group"):
    """A text table of error metrics (symbolicpot.fitness.error_metrics dicts), one row per (name, metrics)."""
    width = max([len(first)] + [len(name) for name, _ in rows])
    lines = [f"{first:<{width}}  " + "  ".join(f"{title:>13}" for title, _, _ in METRIC_COLUMNS)]
    for name, m in rows:
        cells = ("-" if m.get(key) is None else format(m[key], fmt) for _, key, fmt in METRIC_COLUMNS)
        lines.append(f"{name:<{width}}  " + "  ".join(f"{cell:>13}" for cell in cells))
    return "\n".join(lines)
