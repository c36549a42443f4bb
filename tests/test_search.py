"""The evolutionary search: determinism, improvement, seeding, island steps."""
import numpy as np
import pytest

from symbolicpot.data import example_path, load
from symbolicpot.operators import OperatorConfig
from symbolicpot.search.engine import Search, SearchConfig, search
from symbolicpot.search.constants import TuningConfig

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


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
        state, _ = engine.step(engine.initial_state())
        first_best = min(ind.error for ind in state.archive)
        while not engine.done(state):
            state, _ = engine.step(state)
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
