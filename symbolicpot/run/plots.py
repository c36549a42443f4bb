"""Plots of a run (matplotlib, Agg backend: no display needed): the front, parity plots and property errors of a model."""
import textwrap

import numpy as np

from ..plotting import plain_log_labels, pyplot


def plot_front(document, path):
    """Train energy and force RMSE vs evaluation cost of every front model, coloured by complexity (PNG/SVG/PDF)."""
    plt = pyplot()
    models = document["models"]
    if not models:
        raise ValueError("the front is empty (the first generation has not finished): nothing to plot")
    cost = np.array([m["cost"] for m in models])
    complexity = np.array([m["complexity"] for m in models])
    panels = [("energy_rmse_mev_per_atom", "energy RMSE (meV/atom)"), ("force_rmse_ev_per_a", "force RMSE (eV/Å)")]
    panels = [(key, label) for key, label in panels if any(m["train"][key] is not None for m in models)]
    figure, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 0.8, 4.4), squeeze=False,
                                layout="constrained")
    for axis, (key, label) in zip(axes[0], panels):
        shown = [k for k, m in enumerate(models) if m["train"][key] is not None]
        error = np.array([models[k]["train"][key] for k in shown])
        points = axis.scatter(cost[shown], error, c=complexity[shown], cmap="viridis", s=42, edgecolors="black",
                              linewidths=0.5, vmin=complexity.min(), vmax=max(complexity.max(), complexity.min() + 1),
                              zorder=3)
        for k in _spread_out(cost[shown], np.log10(error)):
            axis.annotate(str(models[shown[k]]["index"]), (cost[shown][k], error[k]), textcoords="offset points",
                          xytext=(4, 4), fontsize=7, color="0.25")
        axis.set_yscale("log")
        plain_log_labels(axis.yaxis, error)
        axis.set_xlabel("evaluation cost (ns/atom, cost model)")
        axis.set_ylabel(f"train {label}")
        axis.grid(True, which="major", alpha=0.3)
    figure.colorbar(points, ax=axes[0].tolist(), label="complexity (nodes)")
    figure.suptitle(f"Pareto front at generation {document['generation']}: {len(models)} models "
                    f"(labels: model index)")
    figure.savefig(path, dpi=150)
    plt.close(figure)


def _spread_out(x, y, gap=0.035):
    """Indices of the points to label, lowest error first, skipping points within `gap` (a fraction of the data's
    extent) of one already labelled, so that a cluster of near-equal models gets one readable label."""
    scale = np.array([np.ptp(x) or 1.0, np.ptp(y) or 1.0])
    labelled = []
    for k in np.argsort(y, kind="stable"):
        point = np.array([x[k], y[k]]) / scale
        if all(np.hypot(*(point - other)) > gap for other in labelled):
            labelled.append(point)
            yield int(k)


def plot_parity(title, prediction_sets, path):
    """Energy per atom and force-component parity plots.

    `prediction_sets`: [(label, Dataset, Prediction), ...], e.g. train and test; each drawn in its own colour with
    its RMSE in the legend.
    """
    plt = pyplot()
    figure, (energy_axis, force_axis) = plt.subplots(1, 2, figsize=(10.5, 4.9), layout="constrained")
    colours = ("tab:blue", "tab:orange", "tab:green")
    energy_range, force_range = [], []
    for (label, dataset, prediction), colour in zip(prediction_sets, colours):
        reference_e = dataset.energy / dataset.n_atoms
        predicted_e = prediction.energy / dataset.n_atoms
        keep = np.isfinite(reference_e)
        rmse = 1e3 * np.sqrt(np.mean((predicted_e[keep] - reference_e[keep]) ** 2))
        energy_axis.scatter(reference_e[keep], predicted_e[keep], s=14, color=colour, alpha=0.8,
                            label=f"{label} ({keep.sum()} configs): RMSE {rmse:.3g} meV/atom")
        energy_range += [reference_e[keep], predicted_e[keep]]
        reference_f, predicted_f = dataset.forces.reshape(-1), prediction.forces.reshape(-1)
        keep = np.isfinite(reference_f)
        rmse = np.sqrt(np.mean((predicted_f[keep] - reference_f[keep]) ** 2))
        force_axis.scatter(reference_f[keep], predicted_f[keep], s=4, color=colour, alpha=0.35, linewidths=0,
                           label=f"{label} ({keep.sum()} components): RMSE {rmse:.3g} eV/Å")
        force_range += [reference_f[keep], predicted_f[keep]]
    for axis, values, unit, what in ((energy_axis, energy_range, "eV/atom", "energy"),
                                     (force_axis, force_range, "eV/Å", "force component")):
        values = np.concatenate(values) if values else np.zeros(1)
        low, high = float(values.min()), float(values.max())
        pad = 0.04 * (high - low or 1.0)
        axis.plot([low - pad, high + pad], [low - pad, high + pad], color="0.4", linewidth=0.8, zorder=0)
        axis.set_xlim(low - pad, high + pad)
        axis.set_ylim(low - pad, high + pad)
        axis.set_aspect("equal")
        axis.set_xlabel(f"reference {what} ({unit})")
        axis.set_ylabel(f"model {what} ({unit})")
        axis.legend(loc="upper left", fontsize=8, markerscale=2)
        axis.grid(True, alpha=0.3)
    figure.suptitle(title, fontsize=10)
    figure.savefig(path, dpi=150)
    plt.close(figure)


def plot_property_errors(title, rows, path):
    """Relative error (%) of each property with a reference (rows: properties.Property), as horizontal bars with
    the ±5 % and ±10 % bands shaded; a property that failed is marked "failed"."""
    plt = pyplot()
    rows = [row for row in rows if row.reference is not None]
    figure, axis = plt.subplots(figsize=(6.4, 0.28 * len(rows) + 1.4), layout="constrained")
    errors = [np.nan if row.percent is None else row.percent for row in rows]
    position = np.arange(len(rows))[::-1]
    colours = ["tab:green" if abs(e) <= 5 else "tab:orange" if abs(e) <= 10 else "tab:red" for e in errors]
    axis.axvspan(-10, 10, color="0.93", zorder=0)
    axis.axvspan(-5, 5, color="0.85", zorder=0)
    axis.barh(position, np.nan_to_num(errors), color=colours, zorder=2)
    for y, error in zip(position, errors):
        label = " failed" if np.isnan(error) else f" {error:+.1f} "
        axis.text(0 if np.isnan(error) else error, y, label, va="center", fontsize=7,
                  ha="left" if np.isnan(error) or error >= 0 else "right")
    axis.axvline(0, color="0.3", linewidth=0.8, zorder=3)
    axis.set_yticks(position, [row.name for row in rows], fontsize=8)
    axis.set_xlabel("error against the reference (%); shaded: within 5 % and 10 %")
    axis.set_title(textwrap.fill(title, 80), fontsize=8)
    axis.margins(x=0.12)
    axis.grid(True, axis="x", alpha=0.3)
    figure.savefig(path, dpi=150)
    plt.close(figure)
