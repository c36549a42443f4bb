"""Calibration of the speed objective: time formulas where they run and fit the cost model (symbolicpot.fitness.cost).

One protocol for both targets: after a warm-up call each, `repeats` rounds run every formula once, in a fresh random
order per round, with the garbage collector paused and one numba thread; a formula's time is its median over the
rounds (on a shared machine only numbers measured together compare). Times are CPU time of this process (CLOCK), so
that other programs on the machine count less: the same 50 LAMMPS formulas timed twice, other work running on the
2-core machine, differed by 7.5 % (standard deviation) in wall-clock time and by 2.3 % in CPU time. Times are ns per
atom of one evaluation of energies, forces and virial.

- "evaluator": the search's compiled Evaluator on a dataset.
- "lammps": the plugin a user deploys (`symbolicpot export`: tabulated pair functions), compiled for each formula
  (~2 s each), evaluating the forces of the element's crystal, CELLS³ cubic cells with atoms displaced by RATTLE Å
  (seeded), STEPS times per timed run, THREE_BODY_STEPS for a formula with sum3 (`run STEPS pre no post no` without
  an integrator: atoms stay put, the neighbour list is built once, so only the pair style is timed). A formula whose
  tables miss the export's error bounds (it would need `export --exact`) gets NaN.
"""
from contextlib import contextmanager
import functools
import gc
import itertools
import tempfile
import time
from pathlib import Path

import ase.io
import numba
import numpy as np
from scipy.stats import spearmanr

from .data import Dataset, example_path, load
from .evaluate import Cutoff, Evaluator
from .expr import PRIMITIVES, R, call, const, format_expression, three_body_sums
from .fitness import TARGETS, fit_cost_model
from .fitness.cost import ATOM_KINDS, PAIR_KINDS
from .operators import OperatorConfig, random_formula
from .speed import crystal

CELLS = 10      # the LAMMPS timer's crystal: 10×10×10 cubic cells (4000 atoms of fcc)
RATTLE = 0.05   # Å, standard deviation of its atoms' displacements
STEPS = 20      # force evaluations per timed LAMMPS run (~50 ms for 4000 atoms)
THREE_BODY_STEPS = 1  # ... of a formula with sum3 (~100 ms: h runs for ~900 pairs of neighbours per atom of fcc Cu)
CLOCK = time.process_time  # s, CPU time of this process (LAMMPS runs in it)
_STYLE_NUMBERS = itertools.count()  # names of the timed plugins, never reused in a process
DEFAULT_FORMULAS = {"evaluator": 300, "lammps": 60}  # random formulas of a calibration (~5 s; ~5 min with compiling)


def calibrate(dataset=None, seed=0, n_formulas=None, cutoff=Cutoff(), repeats=7, target="evaluator", progress=None):
    """A CostModel of `target` measured on this machine.

    Times targeted_formulas(target) and `n_formulas` (default DEFAULT_FORMULAS[target]) random formulas of the
    search's generator, finite on what is timed, then fits the coefficients (fit_cost_model). evaluator: on `dataset`
    (default: the shipped Sutton–Chen example); lammps: on the crystal of the dataset's element, formulas that cannot
    be tabulated left out. The model's `neighbours` is the mean of what was timed at `cutoff`. Only the model is
    deterministic, not its calibration. `progress(text)`, when given, hears what runs.
    """
    if target not in TARGETS:
        raise ValueError(f"calibrate: target must be one of {', '.join(TARGETS)}, got {target!r}")
    n_formulas = DEFAULT_FORMULAS[target] if n_formulas is None else n_formulas
    if not isinstance(n_formulas, int) or n_formulas < 0:
        raise ValueError("calibrate: n_formulas must be an integer >= 0")
    evaluator, rng = timing_evaluator(target, dataset, cutoff), np.random.default_rng(seed)
    formulas = targeted_formulas(target) + random_valid_formulas(evaluator, rng, n_formulas)
    formulas, times = time_on(target, evaluator, formulas, repeats, rng, progress)
    return fit_cost_model(formulas, times, evaluator.mean_neighbours, target)


def timing_evaluator(target, dataset=None, cutoff=Cutoff()):
    """The Evaluator on what `target` is timed on at `cutoff`: `dataset` (default: the shipped Sutton–Chen example)
    for the evaluator, the timed_crystal of its one element for lammps. Random formulas valid on it can be timed."""
    dataset = load(example_path("sutton_chen")) if dataset is None else dataset
    if target == "lammps":
        dataset = timed_crystal(dataset.single_element("the LAMMPS cost model"))
    return Evaluator(dataset, cutoff)


def time_on(target, evaluator, formulas, repeats=7, rng=None, progress=None):
    """(formulas, ns per atom (n,)): the `formulas` timed on `target` (the module's protocol) on the data of
    `evaluator` (a timing_evaluator), those that could not be timed (lammps: not tabulated) left out."""
    if target == "evaluator":
        return formulas, time_formulas(evaluator, formulas, repeats, rng)
    element = evaluator.dataset.single_element("the LAMMPS cost model")
    times = time_formulas_lammps(formulas, evaluator.cutoff, element, repeats, rng, progress)
    timed = np.isfinite(times)
    return [formula for formula, ok in zip(formulas, timed) if ok], times[timed]


def targeted_formulas(target="evaluator", lengths=(1, 4, 16)):
    """Formulas that separate the coefficients of `target`: 1-4 distinct sums, and for every node kind priced on
    the target at each level a sum of `lengths` distinct nodes of that kind (pair level: of r and 1.5 + k/64;
    atom level: of S = sum(r) and 1.5 + k/64, a unary kind of S + k/64, so that the exported code, which computes
    identical subtrees once, computes each of them); sum3 formulas of the pair-level nodes, at the first two
    `lengths` only (a three-body sum costs ~100 pair sums). The lammps target prices no pair-level node (pair sums
    are tables) but runs h's nodes as written."""
    def total(terms):
        return functools.reduce(lambda a, b: call("+", a, b), terms)

    def node(kind, operand, k):
        if kind == "r":
            return call("+", R, const(k / 64)) if k else R
        if PRIMITIVES[kind].arity == 2:
            return call(kind, operand, const(1.5 + k / 64))
        return call(kind, call("+", operand, const(k / 64)) if k else operand)
    sum_counts = [total([call("sum", node("r", None, k)) for k in range(n)]) for n in (1, 2, 3, 4)]
    pair = [call("sum", total([node(kind, R, k) for k in range(n)])) for kind in PAIR_KINDS for n in lengths]
    s = call("sum", R)
    atom = [call("+", s, total([node(kind, s, k) for k in range(n)])) for kind in ATOM_KINDS for n in lengths]
    three_body = [call("sum3", total([node(kind, R, k) for k in range(n)])) for kind in PAIR_KINDS for n in lengths[:2]]
    return sum_counts + (pair if target == "evaluator" else []) + three_body + atom


def random_valid_formulas(evaluator, rng, n, config=OperatorConfig(), max_draws_per_formula=100):
    """`n` formulas of `random_formula(rng, config)` that evaluate to finite values on the evaluator's data."""
    drawn = (random_formula(rng, config) for _ in range(max_draws_per_formula * n))
    formulas = list(itertools.islice((f for f in drawn if evaluator(f).ok), n))
    if len(formulas) != n:
        raise ValueError(f"random_valid_formulas: only {len(formulas)} of {max_draws_per_formula * n} random "
                         "formulas evaluate to finite values")
    return formulas


def time_formulas(evaluator, formulas, repeats=7, rng=None):
    """Median evaluation time of each formula in the Evaluator, ns per atom, shape (n,) (the module's protocol)."""
    def run(formula):
        start = CLOCK()
        evaluator(formula)
        return CLOCK() - start
    seconds = _interleaved([functools.partial(run, formula) for formula in formulas], repeats, rng)
    return np.median(seconds, axis=0) * 1e9 / evaluator.dataset.n_atoms_total


def time_formulas_lammps(formulas, cutoff, element, repeats=7, rng=None, progress=None):
    """Median force-evaluation time of each formula's tabulated LAMMPS plugin on the crystal of `element`, ns per
    atom, shape (n,); NaN where the pair functions cannot be tabulated (the module's protocol). All plugins run in
    one LAMMPS instance on the same atoms, each timed run after an untimed `run 0` that installs its pair style."""
    from .export.lammps import export_lammps
    from .export.lammps_runtime import new_lammps
    from .export.pair_tables import TableError
    from .export.potential import Potential

    atoms = timed_crystal(element).atoms[0]
    styles = [None] * len(formulas)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        ase.io.write(scratch / "crystal.data", atoms, format="lammps-data", masses=True, units="metal")
        lmp = new_lammps()
        try:
            lmp.commands_list(["units metal", "atom_style atomic", f"read_data {scratch / 'crystal.data'}"])
            for k, formula in enumerate(formulas):
                if progress:
                    progress(f"compiling the plugin of formula {k + 1}/{len(formulas)}")
                style = f"calibrate{next(_STYLE_NUMBERS)}"  # a LAMMPS process keeps every style it loaded
                potential = Potential.from_formula(format_expression(formula), cutoff.r_in, cutoff.r_out, element)
                try:
                    plugin = export_lammps(potential, scratch / style, style, register=False)[1]
                except TableError:
                    continue
                lmp.command(f"plugin load {plugin}")
                styles[k] = style

            def run(style, steps):
                lmp.commands_list([f"pair_style {style}", f"pair_coeff * * {element}", "run 0"])
                start = CLOCK()
                lmp.command(f"run {steps} pre no post no")
                return CLOCK() - start
            timed = [k for k, style in enumerate(styles) if style is not None]
            steps = np.array([THREE_BODY_STEPS if three_body_sums(formulas[k]) else STEPS for k in timed])
            if progress:
                progress(f"timing {len(timed)} plugins, {repeats} rounds")
            seconds = _interleaved([functools.partial(run, styles[k], n) for k, n in zip(timed, steps)], repeats, rng)
        finally:
            lmp.close()
    times = np.full(len(formulas), np.nan)
    if timed:
        times[timed] = np.median(seconds, axis=0) * 1e9 / (steps * len(atoms))
    return times


def timed_crystal(element):
    """The LAMMPS timer's structure as an unlabelled Dataset: the element's crystal, CELLS³ cubic cells, atoms
    displaced by RATTLE Å (seed 0)."""
    atoms = crystal({element: 1.0}, CELLS)
    atoms.rattle(RATTLE, seed=0)
    n = len(atoms)
    return Dataset((atoms,), np.full(1, np.nan), np.full((n, 3), np.nan), np.full((1, 6), np.nan), np.zeros(1, int),
                   ("crystal",), ("crystal",))


def rank_correlation(model, formulas, ns_per_atom):
    """Spearman rank correlation between the model's costs of `formulas` and their measured times."""
    return float(spearmanr([model.cost(formula) for formula in formulas], ns_per_atom).statistic)


def _interleaved(calls, repeats, rng):
    """Seconds (repeats, n) that each of the `calls` (functions of no argument returning the seconds they timed)
    returns in `repeats` rounds after a warm-up call each, a fresh random order per round (rng, default seed 0), one
    numba thread, no garbage collection."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError("repeats must be an integer >= 1")
    rng = np.random.default_rng(0) if rng is None else rng
    seconds = np.empty((repeats, len(calls)))
    with _timing_conditions():
        for run in calls:
            run()
        for round_seconds in seconds:
            for k in rng.permutation(len(calls)):
                round_seconds[k] = calls[k]()
    return seconds


@contextmanager
def _timing_conditions():
    """One numba thread and no garbage collection inside the block."""
    threads, collecting = numba.get_num_threads(), gc.isenabled()
    numba.set_num_threads(1)
    gc.disable()
    try:
        yield
    finally:
        numba.set_num_threads(threads)
        if collecting:
            gc.enable()
