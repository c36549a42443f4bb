"""matplotlib for every plot of symbolicpot (Agg backend: no display needed), imported only when a plot is drawn."""


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plain_log_labels(axis, values):
    """Tick labels such as 40 and 0.02 instead of 4×10¹ on a log `axis` (a matplotlib Axis: axes.xaxis or .yaxis)
    showing `values`; minor ones only within one decade."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.set_major_formatter(plain)
    within_a_decade = values.max() < 10 * values.min()
    axis.set_minor_formatter(plain if within_a_decade else NullFormatter())


def plot_learning(rows, force_threshold, path):
    """Active learning per iteration (learn.jsonl rows): the best model's train and test force RMSE (eV/Å), and the
    committee's largest force spread (eV/Å) against the selection threshold, with the largest extrapolation grade
    (range widths, right axis)."""
    plt = pyplot()
    figure, (errors, spread) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for split in ("train", "test"):
        points = [(row["iteration"], row[f"{split}_force_rmse_ev_per_a"]) for row in rows
                  if row[f"{split}_force_rmse_ev_per_a"] is not None]
        if points:
            errors.plot(*zip(*points), marker="o", label=split)
    errors.set_xlabel("iteration")
    errors.set_ylabel("best model's force RMSE (eV/Å)")
    errors.legend()
    points = [(row["iteration"], row["max_force_spread"]) for row in rows if row["max_force_spread"] is not None]
    if points:
        spread.plot(*zip(*points), marker="o", color="C2", label="largest committee force spread")
    spread.axhline(force_threshold, color="0.4", linestyle="--", label="selection threshold")
    spread.set_xlabel("iteration (exploring with the previous iteration's models)")
    spread.set_ylabel("eV/Å")
    spread.set_yscale("symlog", linthresh=1e-3)  # spreads span 1e-3 to 10 eV/Å (collapsing cells); 0 for one member
    spread.set_ylim(bottom=0.0)
    spread.legend(loc="upper right")
    points = [(row["iteration"], row["max_grade"]) for row in rows if row["max_grade"] is not None]
    if points:
        grade = spread.twinx()
        grade.plot(*zip(*points), marker="s", color="C3", label="largest extrapolation grade")
        grade.set_ylabel("extrapolation grade (range widths)")
        grade.set_yscale("symlog", linthresh=1e-2)  # 0 inside the training ranges, up to 1e4 for collapsing cells
        grade.set_ylim(bottom=0.0)
        grade.legend(loc="lower left")
    for axis in (errors, spread):
        axis.grid(True, alpha=0.3)
        axis.xaxis.get_major_locator().set_params(integer=True)
    labels = rows[-1]["labels"]
    figure.suptitle(f"Active learning: {len(rows) - 1} iterations, {labels} configurations labelled")
    figure.savefig(path, dpi=120)
    plt.close(figure)
