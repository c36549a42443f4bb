"""The active-learning loop: iteration 0 fits the initial data; iteration k ≥ 1 explores by MD with the best model
of iteration k−1, selects the snapshots its committee disagrees on, labels them and refits on the grown data.

Every step leaves RUN_DIR resumable (learn.directory): the selection is written before labelling starts, each label
is appended as it arrives, and each refit is an evolve run in its own folder that resumes exactly. The loop stops
when an iteration selects nothing, or at the [learn] budget of iterations, labels or wall clock (checked between
iterations).
"""
import io
import sys
import time

import ase.io
import numpy as np

from ..data.ase_io import ase_read
from ..operators import seed_formulas
from ..plotting import plot_learning
from ..run.config import changed_settings, config_toml, load_data, resolve, resolve_file, search_config
from ..run.files import atomic_write, remove_stale_temporaries
from ..run.front import front_potential, read_front
from ..run.runner import execute, prepare_resume
from .directory import LearnDirectory, new_state, read_state, write_state
from .explore import conditions, explore, lammps_plugin
from .label import LabelError, append_labelled, labeller as make_labeller
from .select import committee, committee_spread, extrapolation_grade, pick, training_ranges

BUDGETS = ("iterations", "labels", "time_limit")  # [learn] keys a resumed loop may change, as [stop] for evolve
LONE = " (the front holds one model: no disagreement to measure; longer refits give more)"


def prepare(run_dir, config, resume, where="config"):
    """(resolved config, labeller, MD conditions) to run the loop in `run_dir` with, checked before config.toml and
    a new state (if it has none) are written; `where` names the config in errors.

    Without `resume` the folder must hold no loop yet; with it, `config` (None: the loop's own) may differ from the
    loop's only in [stop] (the refits' rules) and the [learn] budgets."""
    directory = LearnDirectory(run_dir)
    if directory.path.exists() and not directory.path.is_dir():
        raise ValueError(f"{run_dir}: exists and is not a folder")
    started = directory.state.exists()
    if started and not resume:
        raise ValueError(f"{run_dir} already holds a learn run: add --resume to continue it, or choose another --out")
    if started:
        saved = resolve_file(directory.config)
        config = config or saved
        changes = [change for change in changed_settings(saved, config)
                   if not change.startswith(tuple(f"[learn] {key}:" for key in BUDGETS))]
        if changes:
            raise ValueError(f"cannot resume {run_dir} with a different config; only [stop] settings and [learn] "
                             f"{', '.join(BUDGETS)} may change. Differences: {'; '.join(changes)}")
    elif config is None:
        raise ValueError(f"{run_dir}: no learn run to resume, and no config to start one: give CONFIG.toml")
    if not config["data"]["train"]:
        raise ValueError(f"{where}: no training data: give [data] train")
    label, starts = make_labeller(config["learn"], where), conditions(config["learn"], where)
    directory.path.mkdir(parents=True, exist_ok=True)
    atomic_write(directory.config, config_toml(config, "The resolved config of this learn run, written by symbolicpot "
                                                       "learn.\nResume with: symbolicpot learn --resume --out RUN_DIR"))
    if not started:
        write_state(directory, new_state())
    return config, label, starts


def learn(run_dir, config, label, starts, progress=None, say=None):
    """Run (or continue) the loop in `run_dir` with what `prepare` returned until it stops; returns the exit status
    (0, or the refit's when a signal stopped it). LabelError when the labeller fails; what it labelled before is
    kept. `say(text)` reports progress (default: stderr); `progress` is the refits' progress line (as evolve's)."""
    say = say or announce
    directory = LearnDirectory(run_dir)
    remove_stale_temporaries(directory.path)
    state = read_state(directory)
    settings = config["learn"]
    say(f"labeller: {label.name}; {len(starts)} MD conditions")
    started, seconds_before = time.monotonic(), state["seconds"]

    def save():
        state["seconds"] = seconds_before + time.monotonic() - started  # the loop's wall clock, all sessions
        write_state(directory, state)

    while (reason := stop_reason(state, settings)) is None:
        k = len(state["rows"])
        if k and state["selection"] is None:
            state["selection"] = explore_and_select(directory, config, starts, k, labels_left(state, settings))
            save()
        selection = state["selection"] or {"explored": 0, "selected": 0, "committee": 0, "max_force_spread": None,
                                           "max_energy_spread": None, "max_grade": None}
        if k:
            say(f"iteration {k}: explored {selection['explored']} snapshots, committee of {selection['committee']}"
                f"{LONE if selection['committee'] == 1 else ''}, largest force spread "
                f"{_shown(selection['max_force_spread'], 'eV/Å')}, largest extrapolation grade "
                f"{_shown(selection['max_grade'], '')}, selected {selection['selected']}")
        front, warm = None, None
        if not k or selection["selected"]:
            if k:
                label_selected(directory, k, label, say)
            refit_config, warm = iteration_config(directory, config, k)
            if k:
                say(f"iteration {k}: {warm_summary(warm, config['search']['population'])}")
            outcome = refit(directory, refit_config, k, progress)
            save()
            if outcome.status:
                return outcome.status
            front = read_front(directory.iteration(k))
        state["rows"].append(row(k, selection, state, front, warm))
        state["selection"] = None
        save()
        say(summary(state["rows"][-1]))
        plot_learning(state["rows"], settings["force_threshold"], directory.plot)
    say(f"stopped: {reason}. Rows: {directory.rows}; plot: {directory.plot}; data: {directory.path / 'data'}")
    return 0


def stop_reason(state, settings):
    """Why the loop stops before its next iteration, or None."""
    rows = state["rows"]
    if len(rows) > 1 and rows[-1]["selected"] == 0:
        return f"iteration {rows[-1]['iteration']} selected nothing (every snapshot within the thresholds)"
    if len(rows) > settings["iterations"]:
        return f"the budget of {settings['iterations']} iterations"
    if settings["labels"] is not None and labels_left(state, settings) == 0:
        return f"the budget of {settings['labels']} labels"
    if settings["time_limit"] is not None and state["seconds"] >= settings["time_limit"]:
        return f"the time limit ({settings['time_limit']:g} s)"
    return None


def labels_left(state, settings):
    """Labels the budget still allows (None: no budget)."""
    if settings["labels"] is None:
        return None
    return max(settings["labels"] - sum(row["labelled"] for row in state["rows"]), 0)


def explore_and_select(directory, config, starts, k, budget):
    """Explore with the best model of iteration k−1 (in LAMMPS through its plugin, built in iterations/k−1/lammps/,
    for cells of at least lammps_atoms atoms), write every snapshot and the selected ones (with provenance
    in atoms.info) to explored/ and selected/iteration-k.xyz; returns the selection's counts."""
    settings, previous = config["learn"], directory.iteration(k - 1)
    members = [front_potential(previous, index) for index in committee(read_front(previous),
                                                                        settings["committee_factor"],
                                                                        settings["committee_size"])]
    large = any(len(condition.atoms) >= settings["lammps_atoms"] for condition in starts)
    plugin = lammps_plugin(members[0], previous / "lammps") if large else None
    snapshots = [snapshot for c, condition in enumerate(starts)
                 for snapshot in explore(condition, members[0], plugin, settings, (config["seed"], k, c), c)]
    ranges = training_ranges(members[0], load_data(resolve_file(previous / "config.toml"))[0])
    spreads = np.array([(*committee_spread(members, snapshot.atoms), extrapolation_grade(members[0], ranges,
                                                                                          snapshot.atoms))
                        for snapshot in snapshots]).reshape(-1, 3)
    cap = settings["max_selected"] if budget is None else min(settings["max_selected"], budget)
    picked = pick(spreads[:, 0], spreads[:, 1], spreads[:, 2], [s.trajectory for s in snapshots],
                  [s.step for s in snapshots], settings, cap)
    for path, chosen in ((directory.explored(k), range(len(snapshots))), (directory.selected(k), picked)):
        text = io.StringIO()
        for s in chosen:
            atoms = snapshots[s].atoms.copy()
            atoms.info.update(iteration=k, condition=snapshots[s].condition, md_step=snapshots[s].step,
                              force_spread=spreads[s, 0], energy_spread=spreads[s, 1], grade=spreads[s, 2])
            ase.io.write(text, atoms, format="extxyz")
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, text.getvalue())
    largest = [np.max(column[np.isfinite(column)], initial=-np.inf) for column in spreads.T]
    return {"iteration": k, "explored": len(snapshots), "selected": len(picked), "committee": len(members),
            **{key: float(value) if np.isfinite(value) else None
               for key, value in zip(("max_force_spread", "max_energy_spread", "max_grade"), largest)}}


def label_selected(directory, k, label, say):
    """Label the selected snapshots of iteration k not yet in data/iteration-k.xyz, appending each as it comes."""
    selected = ase_read(directory.selected(k))
    target = directory.labelled(k)
    target.parent.mkdir(exist_ok=True)
    done = len(ase_read(target)) if target.exists() else 0
    for n, atoms in enumerate(selected[done:], start=done):
        try:
            labelled = label(atoms)
        except Exception as error:  # a labeller may raise anything; what it labelled before stays on disk
            raise LabelError(
                f"the labeller {label.name} failed on configuration {n} of {directory.selected(k)} (iteration {k}, "
                f"{atoms.info['condition']}, MD step {atoms.info['md_step']}): {type(error).__name__}: {error}. "
                f"The {n} labelled before it are kept in {target}; run the same command with --resume to go on"
            ) from error
        labelled.info.update(atoms.info, labeller=label.name)
        append_labelled(target, labelled)
    say(f"iteration {k}: labelled {len(selected)} configurations with {label.name} into {target}")


def refit(directory, refit_config, k, progress):
    """The evolve run of iteration k with `refit_config` (started, resumed or already finished) in iterations/k; its
    Outcome."""
    run_dir = directory.iteration(k)
    run_dir.parent.mkdir(exist_ok=True)
    refit_config, checkpoint = prepare_resume(run_dir, refit_config, announce)
    return execute(run_dir, refit_config, checkpoint, progress)


def iteration_config(directory, config, k):
    """(the evolve config of iteration k, its warm start): the run config on its [data] train plus the labelled data
    of iterations 1..k, seeded (beside its own seeds) by warm_start from the front of iteration k−1 (None for
    iteration 0); [learn] at its defaults (the loop's settings are not the search's)."""
    labelled = [str(directory.labelled(i).resolve()) for i in range(1, k + 1) if directory.labelled(i).exists()]
    data = config["data"]
    groups = data["groups"] + [f"learn/iteration-{i}" for i in range(1, len(labelled) + 1)] if data["groups"] else []
    warm = warm_start(read_front(directory.iteration(k - 1)), search_config(config).operators,
                      config["search"]["population"]) if k else None
    seeds = list(config["search"]["seeds"]) + (warm["seeds"] if warm else [])
    return resolve({**config, "data": {**data, "train": data["train"] + labelled, "groups": groups},
                    "search": {**config["search"], "seeds": list(dict.fromkeys(seeds))}, "learn": {}},
                   directory.path, f"{directory.iteration(k)} config"), warm


def warm_start(front, operators, population):
    """The warm start of a refit from a front.json document: {"seeds": the formulas of its models (lowest error
    first) that fit `operators` (an OperatorConfig), at most `population`; "dropped": {"limits": models whose whole
    formula (coefficients and reference included) breaks the operator limits, "population": fitting models beyond
    the cap}}. front.json holds the run's whole Pareto archive (the engine keeps no other), so this is the warm start
    from the front and the archive."""
    seeds, dropped = [], {"limits": 0, "population": 0}
    for model in front["models"]:
        try:
            seed_formulas([model["formula"]], operators)
        except ValueError:
            dropped["limits"] += 1
            continue
        if len(seeds) == population:
            dropped["population"] += 1
        else:
            seeds.append(model["formula"])
    return {"seeds": seeds, "dropped": dropped}


def warm_summary(warm, population):
    """One line saying how many models of the previous front seed the refit and why the others do not."""
    dropped = warm["dropped"]
    return (f"the refit is seeded with {len(warm['seeds'])} of the previous front's "
            f"{len(warm['seeds']) + sum(dropped.values())} models; left out: {dropped['limits']} whose formula "
            f"(coefficients included) breaks the [operators] limits, {dropped['population']} beyond [search] "
            f"population {population}")


def row(k, selection, state, front, warm):
    """The learn.jsonl row of iteration k: its selection's counts (all labelled), the best model's errors (front:
    the front.json of its refit; None when it selected nothing and did not refit: the previous row's) and the
    refit's warm start (`warm`, see warm_start; None without one: seeded 0)."""
    labelled = selection["selected"]
    if front is None:
        previous = state["rows"][-1]
        errors = {key: previous[key] for key in ERROR_KEYS}
    else:
        best = front["models"][0]
        errors = {f"{split}_{metric}": (best[split] or {}).get(metric)
                  for split in ("train", "test") for metric in ("energy_rmse_mev_per_atom", "force_rmse_ev_per_a")}
        errors.update(formula=best["formula"], front_size=len(front["models"]))
    return {"iteration": k, **{key: selection[key] for key in ("explored", "committee", "selected",
                                                               "max_force_spread", "max_energy_spread", "max_grade")},
            "labelled": labelled, "labels": sum(r["labelled"] for r in state["rows"]) + labelled, **errors,
            "seeded": len(warm["seeds"]) if warm else 0, "seeds_dropped": warm["dropped"] if warm else None,
            "elapsed": state["seconds"]}


ERROR_KEYS = ("train_energy_rmse_mev_per_atom", "train_force_rmse_ev_per_a", "test_energy_rmse_mev_per_atom",
              "test_force_rmse_ev_per_a", "formula", "front_size")


def summary(row):
    """One line of an iteration's row for the terminal."""
    return (f"iteration {row['iteration']}: {row['labelled']} labelled ({row['labels']} in all); best model: train "
            f"{_shown(row['train_energy_rmse_mev_per_atom'], 'meV/atom')}, "
            f"{_shown(row['train_force_rmse_ev_per_a'], 'eV/Å')}; test "
            f"{_shown(row['test_energy_rmse_mev_per_atom'], 'meV/atom')}, "
            f"{_shown(row['test_force_rmse_ev_per_a'], 'eV/Å')}")


def _shown(value, unit):
    return "–" if value is None else f"{value:.4g} {unit}".rstrip()


def announce(message):
    print(f"symbolicpot learn: {message}", file=sys.stderr, flush=True)
