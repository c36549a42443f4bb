"""The search on data of several species: per-species energy references and coefficients by variable projection,
species-tagged and per-species formulas from the operators, fronts and checkpoints of alloy runs (README "Alloys")."""
import json

import numpy as np
import pytest

from symbolicpot.data import Dataset
from symbolicpot.evaluate import Evaluator
from symbolicpot.expr import parse_expression, species_terms, walk
from symbolicpot.fitness import Residuals
from symbolicpot.operators import OperatorConfig
from symbolicpot.run.checkpoint import state_from_dict, state_to_dict
from symbolicpot.run.files import dumps
from symbolicpot.search.constants import TuningConfig, linear_model, tune
from symbolicpot.search.engine import Search, SearchConfig
from test_alloys import mixed_cell
from test_evaluator import SMALL_CUTOFF, unlabelled

NO_SEARCH = TuningConfig(cma_evaluations=0, polish_evaluations=0)  # the least-squares solve at the given constants


def labelled_by(model, structures):
    """A Dataset of `structures` labelled by the formula text `model` (energies, forces, stresses)."""
    data = unlabelled(structures)
    prediction = Evaluator(data, SMALL_CUTOFF)(parse_expression(model))
    assert prediction.ok
    return Dataset(data.atoms, prediction.energy, prediction.forces, prediction.stress, data.group, data.group_names,
                   data.source)


def varied_cells(n=6):
    """Rattled 4-atom cells of Ni and Al in every composition (0 to 4 Al atoms): the per-species references can
    be told apart only when the composition varies."""
    cells = []
    for k in range(n):
        cell = mixed_cell(seed=k)
        cell.symbols[:] = ["Al" if i < k % 5 else "Ni" for i in range(len(cell))]
        cells.append(cell)
    return cells


@pytest.mark.parametrize("term, model, coefficients, shift", [
    ("sum(r^-9) - sum(r^-6)^0.5", "3*sum(r^-9) + -2*sum(r^-6)^0.5 + {Al: -3.5; Ni: -4.25}",
     [3.0, -2.0], {"Al": -3.5, "Ni": -4.25}),
    ("Ni: sum[Al](r^-8) - sum(r^-6)^0.5; Al: sum(r^-7)",
     "Ni: 2*sum[Al](r^-8) + -1.5*sum(r^-6)^0.5 + -4.25; Al: 0.5*sum(r^-7) + -3.5",
     [2.0, -1.5, 0.5], {"Al": -3.5, "Ni": -4.25}),
])
def test_variable_projection_solves_coefficients_and_references_per_species(term, model, coefficients, shift):
    """Data labelled by the model of `term` with known coefficients and per-species references: one least-squares
    solve recovers them. Bound 1e-9: the solve is exact up to the conditioning of a 6-configuration design (singular
    values within 1e4 of each other) times double rounding."""
    train = labelled_by(model, varied_cells())
    tuned = tune(Evaluator(train, SMALL_CUTOFF, partial=True), Residuals(train), parse_expression(term),
                 np.random.default_rng(0), NO_SEARCH)
    assert tuned.coefficients == pytest.approx(coefficients, abs=1e-9)
    assert tuned.shift == pytest.approx(shift, abs=1e-9)
    assert tuned.objective < 1e-18  # residuals of 1e-9 standard deviations at most
    rebuilt = linear_model(tuned.term, tuned.coefficients, tuned.shift)
    assert list(species_terms(rebuilt)) == list(species_terms(parse_expression(model)))


def alloy_search(per_species, **changes):
    settings = dict(seed=1, r_in=SMALL_CUTOFF.r_in, r_out=SMALL_CUTOFF.r_out, islands=2, population=8, immigrants=2,
                    generations=2, migration_interval=1,
                    tuning=TuningConfig(polish_evaluations=5, cma_evaluations=0),
                    operators=OperatorConfig(max_size=12, per_species=per_species))
    settings.update(changes)
    return SearchConfig(**settings)


@pytest.mark.parametrize("per_species", [False, True])
def test_an_alloy_search_gives_models_for_every_species_that_resume_exactly(per_species):
    train = labelled_by("3*sum(r^-9) + -2*sum(r^-6)^0.5 + sum[Al](r^-7) + {Al: -3.5; Ni: -4.25}", varied_cells(8))
    with Search(train, alloy_search(per_species)) as engine:
        state = engine.initial_state()
        state = engine.step(state)
        # per-species references survive a checkpoint (as its JSON file holds them)
        assert state_from_dict(json.loads(dumps(state_to_dict(state)))) == state
        state = engine.step(state)
        front = engine.front(state)
    assert front
    residuals = Residuals(train)
    for individual in state.archive:
        model = individual.model
        assert list(species_terms(model)) == (["Al", "Ni"] if per_species else [""])  # the data's order
        if not per_species:
            assert set(individual.shift) == {"Al", "Ni"}  # one reference per species, in a block
        assert {n.species for n in walk(model) if n.op == "sum"} <= {"", "Ni", "Al"}
        # the archived error is the model's on the whole training set, every atom by its species' term
        assert individual.error == pytest.approx(np.sqrt(residuals.objective(Evaluator(train, SMALL_CUTOFF)(model))),
                                                 rel=1e-12)


def test_the_listed_species_order_the_terms_and_must_be_the_datas():
    train = labelled_by("sum(r^-9) + {Al: -3.5; Ni: -4.25}", varied_cells(4))
    config = alloy_search(True, operators=OperatorConfig(max_size=12, per_species=True, species=("Ni", "Al")))
    with Search(train, config) as engine:
        state = engine.step(engine.initial_state())
    assert all(list(species_terms(ind.term)) == ["Ni", "Al"] for island in state.islands for ind in island.population)
    wrong = alloy_search(True, operators=OperatorConfig(per_species=True, species=("Ni", "Cu")))
    with pytest.raises(ValueError, match=r"\[data\] species: Ni, Cu, but the training data hold Al, Ni"):
        Search(train, wrong)


def test_the_cost_of_a_per_species_formula_is_what_its_atoms_run_on_average():
    """Each atom runs its species' formula (tree.term_for): identical terms cost one term; a block costs the mean of
    its species' formulas."""
    from symbolicpot.fitness import DEFAULT_COST_MODELS
    small, large = "sum(r^-6)", "sum(r^-9) - sum(exp(-r))^0.5"
    for model in DEFAULT_COST_MODELS.values():
        def cost(text):
            return model.cost(parse_expression(text))
        assert cost(f"Ni: {small}; Al: {small}") == cost(small)
        assert cost(f"{large} + {{Ni: 2; Al: {small}}}") == pytest.approx(
            (cost(f"{large} + 2") + cost(f"{large} + {small}")) / 2, rel=1e-15)


def test_the_screen_holds_every_species():
    """Constants are tuned on a few configurations: each species' reference must be among them. Four pure-Ni cells,
    one with Al, four pure-Ni: an even screen of two (0 and 8) misses Al, and the Al cell (4) is added."""
    from symbolicpot.search.island import screening_configs
    nickel, with_aluminium = varied_cells(4)[0], varied_cells(4)[3]
    data = unlabelled([nickel] * 4 + [with_aluminium] + [nickel] * 4)
    assert list(screening_configs(data, 2 / 9, 10_000)) == [0, 4, 8]
    assert list(screening_configs(unlabelled([nickel] * 9), 2 / 9, 10_000)) == [0, 8]
