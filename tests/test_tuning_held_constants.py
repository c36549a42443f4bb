"""Constant tuning holds what it must not move: r_out written in a nocut sum, integer powers of cos θ."""
import ase.build
import numpy as np

from symbolicpot.data import Dataset
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.expr import constants, parse_expression
from symbolicpot.fitness import Residuals
from symbolicpot.operators import held_constants
from symbolicpot.search.constants import Projection, TuningConfig, tune

R_OUT = 3.77118  # Stillinger–Weber's aσ (Å), where its exponentials vanish
SW = ("sum[nocut]((11.6*r^-4 - 1)*exp(2.0951/(r - 3.77118))) + "
      "6*sum3[nocut]((c + 0.3333333333333333)^2*(exp(2.51412/(r - 3.77118))*exp(2.51412/(s - 3.77118))))")
START = ("sum[nocut]((11.6*r^-4 - 1)*exp(2.0951/(r - 3.77118))) + "
         "6*sum3[nocut]((c + 0.5)^2*(exp(2/(r - 3.77118))*exp(2/(s - 3.77118))))")


def silicon_labelled_by(formula, cutoff):
    """Three thermally displaced 8-atom diamond Si cells (displacements 0.1 Å: angles spread around 109.5°)
    with the energies, forces and stresses of `formula`."""
    rng = np.random.default_rng(0)
    atoms = []
    for _ in range(3):
        cell = ase.build.bulk("Si", "diamond", a=5.431, cubic=True)
        cell.positions += rng.normal(0.0, 0.1, cell.positions.shape)
        atoms.append(cell)
    blank = Dataset(tuple(atoms), np.zeros(3), np.zeros((24, 3)), np.zeros((3, 6)), np.zeros(3, int), ("si",),
                    ("thermal diamond",) * 3)
    labels = Evaluator(blank, cutoff)(parse_expression(formula))
    return Dataset(tuple(atoms), labels.energy, labels.forces, labels.stress, blank.group, blank.group_names,
                   blank.source)


def test_tuning_moves_every_constant_but_r_out_in_nocut_sums_and_integer_powers_of_c():
    """Before they were held, CMA-ES steps of 10 % moved r_out off the narrow band where a nocut term is valid (a
    hair below r_out it blows up; more than ~k/28 above it no longer vanishes at the cutoff) and made (c + 0.5)^2
    a real power of a negative base: every sample was invalid, and from START the polish alone reached an objective
    of 3e-4 times the start's. Holding them, tuning reaches 7e-7 of it (a 15x margin below)."""
    cutoff = Cutoff(2.0, R_OUT)
    data = silicon_labelled_by(SW, cutoff)
    evaluator, residuals, start = Evaluator(data, cutoff), Residuals(data), parse_expression(START)
    held = held_constants(start, R_OUT)
    assert [value for value, flag in zip(constants(start), held) if flag] == [R_OUT, 2, R_OUT, R_OUT]
    free = [value for value, flag in zip(constants(start), held) if not flag]
    assert list(Projection(evaluator, residuals, start).theta0) == free
    tuned = tune(evaluator, residuals, start, np.random.default_rng(0),
                 TuningConfig(polish_evaluations=30, cma_evaluations=96, cma_popsize=8))
    assert [v for v, flag in zip(constants(tuned.term), held) if flag] == [R_OUT, 2, R_OUT, R_OUT]
    assert tuned.objective < 1e-5 * residuals.objective(evaluator(start))


def test_a_formula_whose_only_constants_are_held_is_scored_as_it_is():
    cutoff = Cutoff(2.0, R_OUT)
    data = silicon_labelled_by(SW, cutoff)
    evaluator, residuals = Evaluator(data, cutoff), Residuals(data)
    term = parse_expression("sum(r) + sum3(c^2)")  # its one constant, the exponent 2 of c, held: nothing to tune
    tuned = tune(evaluator, residuals, term, np.random.default_rng(0), TuningConfig(cma_evaluations=96, cma_popsize=8))
    assert tuned.term == term and np.isfinite(tuned.objective)
