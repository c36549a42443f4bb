"""A run's Pareto front side by side with baselines on the run's own test data: errors, speed and size.

Every model is scored on the test split the run held out (or its separate test data) with the same metrics
(symbolicpot.fitness.error_metrics). Literature potentials (any whose elements cover the data's species; alloy files
map the species by name) get an energy shift per atom of each species fitted on the run's training data, since the
DFT reference energies differ between data sets; fitted models (the front, the baselines) get none. Speed is
measured side by side (symbolicpot.speed) on a crystal of the data's composition: models that run in LAMMPS (the
front through compiled pair style plugins, UF3, EAM, SNAP) in one LAMMPS harness, and every model that has a Python
calculator (the front, MTP, NN, MACE) in one ASE loop, reported as separate rows with `engine` "lammps" or "ase".
"""
import hashlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from .baselines import BASELINE_FILE, KINDS, VARIANTS, fit_baseline, read_summary, resolve
from .calculator import SymbolicCalculator
from .export.potential import Potential
from .fitness import error_metrics
from .metrics import ERROR_COLUMNS, ERRORS
from .potentials import LITERATURE, LoadedPotential, energy_shifts, literature_names, load_potential, predict, shifted
from .run.front import front_potential, read_front
from .speed import ase_step_time, lammps_step_time, side_by_side

BASELINE_GROUPS = ("mtp", "nn", "eam", "sw", "tersoff", "snap")


@dataclass
class Row:
    """One model timed in one engine, with its errors on the test data (and on any extra test sets)."""
    model: str
    engine: str  # "lammps" or "ase"
    energy_rmse_mev_per_atom: float | None
    energy_mae_mev_per_atom: float | None
    force_rmse_ev_per_a: float | None
    force_mae_ev_per_a: float | None
    stress_rmse_gpa: float | None
    us_per_atom_step: float | None = None
    parameters: int | None = None
    complexity: int | None = None  # nodes of a front model
    energy_shift_ev_per_atom: float | None = None  # fitted on the training data (literature potentials, one species)
    energy_shift_ev_per_atom_by_species: dict | None = None  # {symbol: eV per atom of it}, the same for any species
    extra_test: dict = field(default_factory=dict)  # {group name: error metrics}


@dataclass(frozen=True, eq=False)
class Entry:
    """A model to compare: its LoadedPotential, how it was made ("front": a model of the run, with its Potential
    and complexity; "fitted": a baseline; "literature": gets an energy shift fitted on the training data)."""
    loaded: LoadedPotential
    origin: str
    potential: Potential | None = None
    complexity: int | None = None


def compare(run_dir, baselines=BASELINE_GROUPS, picks=None, extra_test=(), seconds=1.0, repeats=3,
            progress=print):
    """The comparison rows (list of Row) of the front of `run_dir` and `baselines`.

    `baselines`: items of "mtp", "nn", "uf3", "uf3-3body", "mace" (RUN_DIR/baselines/<name>, fitted there with
    default settings on the run's training split if absent), "NAME=DIR" (a baseline directory), "eam" / "sw" / "tersoff" / "snap" (every
    literature file of that kind whose elements cover the data's species; the others are left out with a note), or
    anything symbolicpot.potentials.load_potential takes (ValueError if it lacks a species of the data). `picks`:
    front model indices (default all).
    `extra_test`: paths of data scored besides the test data, one metrics dict per group (e.g. surfaces).
    `seconds`, `repeats`: the timing budget of symbolicpot.speed.side_by_side. `progress(text)` hears what runs.
    """
    from .data import Dataset, load
    from .run.config import load_data, resolve_file
    from .run.directory import RunDirectory

    run_dir = Path(run_dir)
    config_file = RunDirectory(run_dir).config
    config = resolve_file(config_file)
    progress(f"reading the data of {run_dir}")
    train, test = load_data(config)
    if test is None:
        raise ValueError(f"{config_file}: the run has no test data ([data] test or test_fraction): "
                         "nothing to compare on")
    both = Dataset.concatenate([train, test])
    species, counts = both.species, both.species_counts().sum(axis=0)
    composition = {symbol: float(n / counts.sum()) for symbol, n in zip(species, counts)}
    extra = dict(group for path in extra_test for group in _groups(load(path)))
    entries = _front_entries(run_dir, read_front(run_dir), picks, species)
    for spec in baselines:
        entries.extend(_baseline_entries(spec, run_dir, train, test, config, species, progress))
    names = [entry.loaded.name for entry in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"--baselines: a model is named twice ({', '.join(names)})")

    scores = {}
    for entry in entries:
        progress(f"scoring {entry.loaded.name}")
        scores[entry.loaded.name] = _score(entry, train, test, extra)
    timers = {"lammps": {}, "ase": {}}
    for entry in entries:
        commands = _plugin_commands(entry, run_dir) if entry.origin == "front" else entry.loaded.pair_commands
        if commands:
            types = species if entry.origin == "front" else entry.loaded.lammps_types
            timers["lammps"][entry.loaded.name] = partial(lammps_step_time, commands, composition=composition,
                                                          types=types)
        if entry.origin == "front" or not entry.loaded.pair_commands:  # else the ASE timing would be LAMMPSlib's
            timers["ase"][entry.loaded.name] = partial(ase_step_time, entry.loaded.calculator, composition=composition)
    rows = []
    for engine, engine_timers in timers.items():
        times = side_by_side(engine_timers, seconds, repeats, progress) if engine_timers else {}
        rows.extend(Row(**scores[entry.loaded.name], engine=engine, us_per_atom_step=times[entry.loaded.name],
                        parameters=entry.loaded.parameters, complexity=entry.complexity)
                    for entry in entries if entry.loaded.name in times)
    return rows


def _groups(dataset):
    """[(group name, its configurations as a Dataset)] of a Dataset."""
    return [(name, dataset.subset(np.flatnonzero(dataset.group == g))) for g, name in enumerate(dataset.group_names)]


def _front_entries(run_dir, front, picks, species):
    """The Entries of the front models `picks` (default all), potentials for `species` (the data's)."""
    models = {model["index"]: model for model in front["models"]}
    missing = sorted(set(picks or ()) - set(models))
    if missing:
        raise ValueError(f"{run_dir}: the front has no model {missing[0]} (indices {sorted(models)})")
    entries = []
    for index in picks or sorted(models):
        potential = front_potential(run_dir, index, list(species))
        loaded = LoadedPotential(f"gp:{index}", SymbolicCalculator(potential), len(models[index]["constants"]))
        entries.append(Entry(loaded, "front", potential, models[index]["complexity"]))
    return entries


def _baseline_entries(spec, run_dir, train, test, config, species, progress):
    """The Entries one item of --baselines stands for (see `compare`) on data of `species`."""
    if spec in LITERATURE:
        entries = [Entry(load_potential(name), "literature") for name in literature_names()
                   if name.startswith(f"{spec}:")]
        for entry in entries:
            if _lacks(entry.loaded, species):
                progress(f"note: {entry.loaded.name} left out: it holds {', '.join(entry.loaded.lammps_types)}, the "
                         f"data {', '.join(species)}")
        return [entry for entry in entries if not _lacks(entry.loaded, species)]
    name, _, directory = spec.partition("=")
    if name in KINDS or name in VARIANTS:
        directory = Path(directory) if directory else run_dir / "baselines" / name
        if not directory.exists() and spec == name:
            kind, options = resolve(name)
            progress(f"fitting the {name} baseline on the run's training data into {directory} (default settings; "
                     f"`symbolicpot baseline {kind}` offers more)")
            fit_baseline(kind, train, test, directory, options, r_out=config["cutoff"]["r_out"], seed=config["seed"],
                         provenance={"run": str(run_dir.resolve())})
        summary = read_summary(directory)
        if summary.get("run") != str(run_dir.resolve()):
            progress(f"note: {directory / BASELINE_FILE} was not fitted on this run's split: its training data may "
                     "overlap the test data")
        entry = Entry(load_potential(directory), "fitted")
    else:
        loaded = load_potential(spec)
        entry = Entry(loaded, "literature" if loaded.pair_commands else "fitted")
    missing = _lacks(entry.loaded, species)
    if missing:
        raise ValueError(f"{spec}: holds {', '.join(entry.loaded.lammps_types)}, not {', '.join(missing)} of the "
                         "run's data")
    return [entry]


def _lacks(loaded, species):
    """The `species` a LAMMPS-backed potential has no atom type for (none for other potentials)."""
    return [symbol for symbol in species if symbol not in (loaded.lammps_types or species)]


def _score(entry, train, test, extra):
    """The error fields of a Row: test metrics, the energy shifts (literature potentials), extra test metrics."""
    calculator, shifts = entry.loaded.calculator, None
    if entry.origin == "literature":
        shifts = energy_shifts(predict(calculator, train), train)

    def metrics(data):
        return error_metrics(shifted(predict(calculator, data), data, shifts or {}), data)

    on_test = metrics(test)
    return {"model": entry.loaded.name, **{key: on_test[key] for key in ERRORS},
            "energy_shift_ev_per_atom": next(iter(shifts.values())) if shifts and len(shifts) == 1 else None,
            "energy_shift_ev_per_atom_by_species": shifts,
            "extra_test": {name: metrics(data) for name, data in extra.items()}}


def _plugin_commands(entry, run_dir):
    """LAMMPS commands that load a front model's pair style, compiled into RUN_DIR/compare/plugins: tabulated, as
    `export` writes it, or exact when its pair functions cannot be tabulated (as `export` then asks for --exact)."""
    from .export.lammps import unregistered_plugin

    style = f"gp{entry.loaded.name[3:]}_{hashlib.sha1(entry.potential.formula.encode()).hexdigest()[:10]}"
    plugin = unregistered_plugin(entry.potential, run_dir / "compare" / "plugins" / style, style)
    return f"plugin load {plugin}", f"pair_style {style}", f"pair_coeff * * {' '.join(entry.potential.elements)}"


ENGINE_TITLES = {"lammps": "in LAMMPS (10 x 10 x 10 cubic cells of the data's composition: 4000 fcc, 8000 diamond "
                           "atoms; 1 MPI rank)",
                 "ase": "in an ASE VelocityVerlet loop (256-atom crystal of the data's composition)"}
TABLE_COLUMNS = (*ERROR_COLUMNS, ("µs/atom/step", "us_per_atom_step", ".3g"),
                 ("params", "parameters", "d"), ("E shift eV/at", "energy_shift_ev_per_atom_by_species", ".4f"))


def comparison_table(rows):
    """The rows as text: one table per engine (their timings do not compare), then errors on extra test sets."""
    width = max([5] + [len(row.model) for row in rows])

    def line(cells):
        return "  ".join(f"{cell:<{width}}" if k == 0 else f"{cell:>{max(13, len(cell))}}" for k, cell in enumerate(cells))

    def cell(value, fmt):
        if isinstance(value, dict):  # energy shifts by species: the number alone for one species
            return " ".join(f"{symbol} {format(shift, fmt)}" if len(value) > 1 else format(shift, fmt)
                            for symbol, shift in value.items())
        return "-" if value is None else format(value, fmt)

    lines = []
    for engine, title in ENGINE_TITLES.items():
        chosen = [row for row in rows if row.engine == engine]
        if chosen:
            lines += ["", f"test errors; speed {title}", line(["model", *(t for t, _, _ in TABLE_COLUMNS)])]
            lines += [line([row.model, *(cell(getattr(row, key), fmt) for _, key, fmt in TABLE_COLUMNS)])
                      for row in chosen]
    extra = sorted({name for row in rows for name in row.extra_test})
    if extra:
        lines += ["", "extra test sets: energy RMSE meV/atom / force RMSE eV/Å",
                  line(["model", *extra])]
        for row in {row.model: row for row in rows}.values():
            lines.append(line([row.model, *(f"{cell(m['energy_rmse_mev_per_atom'], '.3g')}/"
                                            f"{cell(m['force_rmse_ev_per_a'], '.3g')}"
                                            for m in (row.extra_test[name] for name in extra))]))
    if any(row.energy_shift_ev_per_atom_by_species for row in rows):
        lines += ["", "E shift: the energy shift per atom (of each species) fitted on the run's training data and added "
                      "to a literature potential's energies (the DFT reference energy differs between data sets)."]
    return "\n".join(lines[1:])


def plot_comparison(rows, path):
    """Test force RMSE vs µs per atom per step, one panel per engine: the front's models as points joined by the
    line of the best force error at each speed, baselines as labelled points (log axes). PNG/SVG/PDF by the name."""
    from .plotting import plain_log_labels, pyplot

    plt = pyplot()
    engines = [engine for engine in ENGINE_TITLES if any(r.engine == engine and r.force_rmse_ev_per_a for r in rows)]
    if not engines:
        raise ValueError("no model has a test force error: nothing to plot")
    figure, axes = plt.subplots(1, len(engines), figsize=(5.6 * len(engines), 4.6), squeeze=False,
                                layout="constrained")
    for axis, engine in zip(axes[0], engines):
        chosen = [r for r in rows if r.engine == engine and r.force_rmse_ev_per_a]
        front = sorted((r for r in chosen if r.model.startswith("gp:")), key=lambda r: r.us_per_atom_step)
        if front:  # every model as a point, the best force error at each speed as the line
            best = [r for k, r in enumerate(front)
                    if all(r.force_rmse_ev_per_a < other.force_rmse_ev_per_a for other in front[:k])]
            axis.scatter([r.us_per_atom_step for r in front], [r.force_rmse_ev_per_a for r in front], s=18,
                         color="tab:blue", alpha=0.5, zorder=3)
            axis.plot([r.us_per_atom_step for r in best], [r.force_rmse_ev_per_a for r in best], "o-",
                      color="tab:blue", label="symbolic front", zorder=3)
        for k, r in enumerate(r for r in chosen if not r.model.startswith("gp:")):
            axis.scatter(r.us_per_atom_step, r.force_rmse_ev_per_a, marker="s", s=40, zorder=4,
                         color=plt.cm.tab10((k + 1) % 10))
            axis.annotate(r.model, (r.us_per_atom_step, r.force_rmse_ev_per_a), textcoords="offset points",
                          xytext=(5, 4 if k % 2 == 0 else -11), fontsize=8)  # alternate: neighbours stay legible
        axis.set_xscale("log")
        axis.set_yscale("log")
        plain_log_labels(axis.yaxis, np.array([r.force_rmse_ev_per_a for r in chosen]))
        plain_log_labels(axis.xaxis, np.array([r.us_per_atom_step for r in chosen]))
        axis.set_xlabel("µs per atom per MD step")
        axis.set_ylabel("test force RMSE (eV/Å)")
        axis.set_title(f"speed {ENGINE_TITLES[engine]}", fontsize=9)
        axis.grid(True, which="major", alpha=0.3)
        if front:
            axis.legend(fontsize=8)
    figure.savefig(path, dpi=150)
    plt.close(figure)
