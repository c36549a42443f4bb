"""The evolutionary search: constant tuning by variable projection, determinism, improvement, seeding."""
from dataclasses import replace

import numpy as np
import pytest

from symbolicpot.data import Dataset, example_path, load
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.expr import format_expression, parse_expression, structural_hash, walk
from symbolicpot.fitness import Residuals, error_metrics
from symbolicpot.operators import OperatorConfig
from symbolicpot.search.engine import Search, SearchConfig, search
from symbolicpot.search.constants import TuningConfig, linear_model, linear_parts, tune
from symbolicpot.search.island import Problem, screening_configs
from symbolicpot.search.pareto import non_dominated_sort

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
TUNING = TuningConfig(polish_evaluations=30, cma_evaluations=96, cma_popsize=8)  # the budget of rediscover.py


@pytest.fixture(scope="module")
def copper():
    """Shipped POET Sutton–Chen data: 8 training and 4 test configurations (300 K and 3800 K)."""
    data = load([example_path("sutton_chen") / "300K", example_path("sutton_chen") / "3800K"])
    return data.split(test_fraction=0.3, seed=0)


def small(**changes):
    settings = dict(seed=3, islands=2, population=12, immigrants=2, generations=4, migration_interval=2,
                    tuning=TuningConfig(polish_evaluations=10, cma_evaluations=48, cma_popsize=8),
                    operators=OperatorConfig(max_size=20))
    settings.update(changes)
    return SearchConfig(**settings)


def test_the_model_weighs_each_additive_part_that_holds_a_sum():
    term = parse_expression("sum(r^-9) - 2 + sum(r^-6)^0.5*3")
    assert [format_expression(part) for part in linear_parts(term)] == ["sum(r^-9)", "sum(r^-6)^0.5*3"]
    model = linear_model(term, [1.5, -2.5], 0.25)  # the sum-free part -2 is a per-atom constant: b absorbs it
    assert format_expression(model) == "1.5*sum(r^-9) + -2.5*(sum(r^-6)^0.5*3) + 0.25"
    assert format_expression(linear_model(parse_expression("sum(r)*sum(r^2)"), [2.0], 0.0)) == "2*(sum(r)*sum(r^2)) + 0"


@pytest.mark.parametrize("start", ["sum(r^-9) + sum(r^-9)^0.8", "sum(r^-6) + sum(r^-6)^1.5",
                                   "sum(r^-12) + sum(r^-2)^-0.5", "sum(r^-11) - sum(2*r^-4)^0.3"])
def test_tuning_finds_sutton_chen_from_rough_starts_of_its_shape(copper, start):
    """With the coefficients solved by least squares the optimizers move the exponents alone, and find the optimum
    from exponents far from it (tuning a·T + b, all other constants free, reached objectives of 0.003 to 0.4 from
    these starts)."""
    train, _ = copper
    evaluator = Evaluator(train, Cutoff())
    tuned = tune(evaluator, Residuals(train), parse_expression(start), np.random.default_rng(0), TUNING)
    assert exponents(tuned.term) == pytest.approx([-9, -6, 0.5], abs=1e-3)
    # Found, not merely approached: errors a twentieth of what benchmarks/rediscover.py counts as rediscovered
    # (E < 0.1 meV/atom, F < 0.005 eV/Å). Not a bound on the objective itself: where CG stops within the optimum's
    # flat floor (objective 1e-12 on one CPU, 3e-10 on another) depends on the last bits of exp and log.
    errors = error_metrics(evaluator(linear_model(tuned.term, tuned.coefficients, tuned.shift)), train)
    assert errors["energy_rmse_mev_per_atom"] < 0.1 / 20 and errors["force_rmse_ev_per_a"] < 0.005 / 20


def exponents(term):
    """The exponents of the powers of `term`, in postfix order."""
    return [node.children[1].value for node in walk(term) if node.op == "^"]


def test_a_known_structure_is_tuned_again_from_other_constants_and_keeps_its_best_tuning(copper):
    train, _ = copper
    problem, rng = Problem(train, small(screen_fraction=1.0, tuning=TUNING)), np.random.default_rng(0)
    start = parse_expression("sum(r^-9) + sum(r^-9)^0.8")
    key = structural_hash(start)
    tuned = {key: [1.0, 1.0, 2.0, 3.0, 1.0, 1.0, 0.0]}  # a poor tuning of the structure (objective 1) is replaced
    best = problem.score(start, rng, tuned)
    assert best.screen_error < 1e-4 and tuned[key][0] < 1e-8
    evaluations = problem.evaluations
    assert problem.score(best.term, rng, tuned) == best  # the constants of the best tuning: reused, not tuned again
    assert problem.evaluations == evaluations  # and not evaluated (the full data wait for the archive screen)
    invalid_start = parse_expression("sum(r^1000) + sum(r^2)^3")  # tuned again, to no avail: gets the best tuning
    assert problem.score(invalid_start, rng, tuned) == best and problem.evaluations > evaluations


def test_the_tuning_cache_keeps_the_structures_used_last(copper):
    train, _ = copper
    problem, rng = Problem(train, small(tuning=TuningConfig(polish_evaluations=5, cma_evaluations=0,
                                                           cache_size=2))), np.random.default_rng(0)
    first, second, third = map(parse_expression, ("sum(r^-6)", "sum(r^-9)^0.5", "sum(r^-9) + sum(r^-6)"))
    tuned = {}
    kept = problem.score(first, rng, tuned)
    problem.score(second, rng, tuned)
    problem.score(kept.term, rng, tuned)  # used again: now the most recent
    problem.score(third, rng, tuned)      # one too many: the least recently used (second) goes
    assert list(tuned) == [structural_hash(t) for t in (first, third)]


def test_constants_are_tuned_on_a_share_of_the_data_capped_by_an_atom_budget():
    data = load(example_path("sutton_chen"))  # 4 temperatures (groups) x 10 snapshots of 32 atoms
    assert len(screening_configs(data, 0.25, 2000)) == 10  # small data: the share decides
    picked = screening_configs(data, 1.0, 300)
    assert data.n_atoms[picked].sum() <= 300 and len(picked) == 300 // 32  # large data: the budget decides
    assert set(data.group[picked]) == set(range(4))  # spread over every group
    assert len(screening_configs(data, 1.0, 1)) == 1  # at least one configuration


def test_only_the_islands_archive_candidates_are_scored_on_all_the_data(copper):
    """After a step the individuals no other one dominates by their screening objectives carry their error on the
    whole training set (recomputed here from the model); the others keep None, and so never enter the archive."""
    train, _ = copper
    config = small(screen_fraction=0.3)
    with Search(train, config) as engine:
        state = engine.step(engine.step(engine.initial_state()))
    problem = Problem(train, config)
    assert problem.screen.dataset.n_configs < train.n_configs  # screening and full errors differ
    for island in state.islands:
        population = list(island.population)
        front = set(non_dominated_sort(np.array([ind.screen_objectives for ind in population]))[0])
        for k, ind in enumerate(population):
            if ind.error is None:
                assert k not in front
            else:
                full = np.sqrt(problem.train_residuals.objective(problem.train(ind.model)))
                assert ind.error == pytest.approx(full, rel=1e-12)  # the same evaluation, summed in another order
        assert any(ind.error is None for ind in population)  # the rest were never scored on all the data
    assert state.archive and all(ind.error is not None for ind in state.archive)


def fingerprint(front):
    return [(m.formula, m.error, m.cost, m.complexity) for m in front]


def test_same_seed_same_front_in_process_and_with_two_workers(copper):
    train, test = copper
    once = search(train, small(), test)
    again = search(train, small(), test)
    pooled = search(train, small(workers=2), test)
    assert fingerprint(once) == fingerprint(again) == fingerprint(pooled)
    assert fingerprint(search(train, small(seed=4), test)) != fingerprint(once)


def test_search_improves_the_error_and_reports_a_front(copper):
    train, test = copper
    with Search(train, small(generations=6)) as engine:
        state = engine.step(engine.initial_state())
        first_best = min(ind.error for ind in state.archive)
        while not engine.done(state):
            state = engine.step(state)
        front = engine.front(state)
    assert min(m.error for m in front) < first_best
    objectives = np.array([(m.error, m.cost, m.complexity) for m in front])
    for a in objectives:  # no model of the front dominates another
        assert not any(np.all(b <= a) and np.any(b < a) for b in objectives)
    assert all(m.train["energy_rmse_mev_per_atom"] is not None for m in front)


def test_a_seeded_sutton_chen_is_found_exactly(copper):
    train, test = copper
    front = search(train, small(generations=2, seeds=(SUTTON_CHEN,)), test)
    best = front[0]
    assert best.train["energy_rmse_mev_per_atom"] < 0.1 and best.test["force_rmse_ev_per_a"] < 1e-3


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="SearchConfig.population"):
        SearchConfig(population=0)
    with pytest.raises(ValueError, match="r_in"):
        SearchConfig(r_in=6.0)


def test_errors_of_a_model_invalid_on_some_data_are_unknown_not_small():
    from symbolicpot.data import example_path, load
    from symbolicpot.evaluate import Evaluator
    from symbolicpot.expr import parse_expression
    from symbolicpot.search.engine import valid_metrics

    data = load(example_path("sutton_chen") / "300K")
    evaluator = Evaluator(data)
    finite = evaluator(parse_expression("sum(r^-9)"))
    overflowing = evaluator(parse_expression("sum(r^-9)*1e308*1e308"))
    assert finite.ok and not overflowing.ok
    assert valid_metrics(finite, data)["force_rmse_ev_per_a"] > 0
    metrics = valid_metrics(overflowing, data)
    assert metrics["energy_rmse_mev_per_atom"] is None and metrics["force_rmse_ev_per_a"] is None
    assert metrics["n_configs"] == data.n_configs


def test_the_coefficient_of_a_three_body_sum_is_solved_by_least_squares(copper):
    """Labels of a formula with a sum3; the start has that sum3's coefficient 10x too small and every other constant
    right: variable projection alone (no optimizer step) must recover it."""
    data = copper[0].subset([0, 1, 2, 3])
    prediction = Evaluator(data, Cutoff())(parse_expression("sum(r^-9) + 0.5*sum3((c + 1)^2*r^-3*s^-3)"))
    labelled = Dataset(data.atoms, prediction.energy, prediction.forces, prediction.stress, data.group,
                       data.group_names, data.source)
    start = parse_expression("sum(r^-9) + 0.05*sum3((c + 1)^2*r^-3*s^-3)")
    evaluator, residuals = Evaluator(labelled, Cutoff()), Residuals(labelled)
    parts = linear_parts(start)
    assert [format_expression(part) for part in parts] == ["sum(r^-9)", "0.05*sum3((c + 1)^2*r^-3*s^-3)"]
    no_search = TuningConfig(cma_evaluations=0, polish_evaluations=0)
    tuned = tune(evaluator, residuals, start, np.random.default_rng(0), no_search)
    # The labels and the parts' columns differ only by the rounding of 0.5 vs 0.05 times the same sum (relative
    # error ~eps), so the solve's relative error is at most ~cond(design)·eps (columns scaled to one norm, as the
    # solve does); 10x margin.
    design = residuals.design([evaluator(part) for part in parts])
    tolerance = 10 * np.linalg.cond(design / np.linalg.norm(design, axis=0)) * np.finfo(float).eps
    assert tuned.coefficients == pytest.approx([1.0, 10.0], rel=tolerance)
    assert abs(tuned.shift) < tolerance * np.abs(prediction.energy / labelled.n_atoms).max()



def test_the_search_tunes_scores_and_prices_a_formula_with_a_three_body_sum(copper):
    """A sum3 visits n(n − 1) ordered pairs of neighbours: with it in place of a pair sum the cost grows ~n-fold."""
    no_cma = TuningConfig(polish_evaluations=5, cma_evaluations=0)
    problem, rng = Problem(copper[0].subset([0]), small(screen_fraction=1.0, tuning=no_cma)), np.random.default_rng(0)
    three_body = problem.score(parse_expression("sum(r^-9) + 0.1*sum3((c + 1)^2*r^-3*s^-3)"), rng, {})
    pair = problem.score(parse_expression("sum(r^-9) + 0.1*sum((r + 1)^2*r^-3*r^-3)"), rng, {})
    # priced at the training data's neighbours per atom, not at those where the model's coefficients were measured
    neighbours = problem.train.mean_neighbours
    assert neighbours != problem.config.cost.neighbours
    assert three_body.cost == replace(problem.config.cost, neighbours=neighbours).cost(three_body.term)
    assert np.isfinite(three_body.screen_error) and three_body.cost > 10 * pair.cost
