"""The cost model of the speed objective: determinism, sanity of the shipped defaults, (de)serialisation, calibration,
for both targets (the tabulated LAMMPS plugin, the search's evaluator).

No test asserts on a timing: calibration is only checked for the shape of what it returns.
"""
import dataclasses
import json
import math
import pickle
import re
import tomllib

import ase.io
import numpy as np
import pytest

from symbolicpot.cli import main
from symbolicpot.data import example_path, load
from symbolicpot.expr import PRIMITIVES, R, call, const, format_expression, parse_expression
from symbolicpot.calibration import calibrate, targeted_formulas, time_formulas_lammps
from symbolicpot.evaluate import Cutoff
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.fitness import DEFAULT_COST_MODEL, DEFAULT_COST_MODELS, CostModel, fit_cost_model
from symbolicpot.operators import OperatorConfig, random_formula, replace_at, sites
from symbolicpot.operators.paths import PAIR

SUTTON_CHEN = parse_expression("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
ALL_PRIMITIVES = OperatorConfig(primitives=tuple(PRIMITIVES))
EVALUATOR = DEFAULT_COST_MODELS["evaluator"]
LAMMPS = DEFAULT_COST_MODELS["lammps"]


def random_formulas(n, seed=0, config=ALL_PRIMITIVES):
    rng = np.random.default_rng(seed)
    return [random_formula(rng, config) for _ in range(n)]


def test_the_default_prices_the_deployed_lammps_plugin():
    assert DEFAULT_COST_MODEL is LAMMPS and LAMMPS.target == "lammps" and EVALUATOR.target == "evaluator"


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_cost_is_deterministic_and_depends_only_on_the_formula(model):
    for formula in random_formulas(50):
        cost = model.cost(formula)
        assert cost > 0.0 and math.isfinite(cost)
        assert model.cost(parse_expression(format_expression(formula))) == cost


def test_adding_a_node_never_lowers_the_evaluator_cost():
    for formula in random_formulas(20, seed=1):
        cost = EVALUATOR.cost(formula)
        for site in sites(formula):
            leaves = [const(2.0), R] if site.level == PAIR else [const(2.0)]
            for symbol, primitive in PRIMITIVES.items():
                wrapped = ([call(symbol, site.node)] if primitive.arity == 1
                           else [call(symbol, site.node, leaf) for leaf in leaves])
                for node in wrapped:
                    assert EVALUATOR.cost(replace_at(formula, site.path, node)) >= cost


def test_a_power_costs_more_than_an_addition():
    assert EVALUATOR.pair_ns["^"] > EVALUATOR.pair_ns["+"]
    for model in (EVALUATOR, LAMMPS):
        assert model.atom_ns["^"] > model.atom_ns["+"]
        assert model.cost(parse_expression("sum(r)^2")) > model.cost(parse_expression("sum(r)+2"))
    assert EVALUATOR.cost(parse_expression("sum(r^2)")) > EVALUATOR.cost(parse_expression("sum(r+2)"))


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_sutton_chen_costs_more_than_a_single_sum_with_as_many_powers(model):
    lennard_jones = parse_expression("sum(4*(r^-12 - r^-6))")
    assert model.cost(SUTTON_CHEN) > model.cost(lennard_jones)


def test_on_lammps_a_sum_costs_one_table_lookup_whatever_its_pair_function():
    """The plugin reads every distinct sum's g(r)·f(r) from one table and computes identical sums once."""
    cost = LAMMPS.cost
    assert cost(parse_expression("sum(r)")) == cost(parse_expression("sum(tanh(r^-9.5)*exp(-2*r)/log(r))"))
    one_sum_less = cost(parse_expression("sum(r^2) - sum(r^-6)")) - LAMMPS.neighbours * LAMMPS.sum_ns
    assert cost(parse_expression("sum(r^2) - sum(r^2)")) == pytest.approx(one_sum_less, rel=1e-12)  # rounding only
    assert cost(parse_expression("sum(r) + sum(r^2)")) > cost(parse_expression("sum(r)"))


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_round_trips_through_dict_json_and_toml(model):
    assert CostModel.from_dict(model.to_dict()) == model
    assert CostModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    read = CostModel.from_dict(tomllib.loads(model.to_toml())["cost"])
    assert read == model and hash(read) == hash(model)
    assert all(read.cost(f) == model.cost(f) for f in random_formulas(10))


def test_is_an_immutable_value_that_pickles():
    with pytest.raises(TypeError):
        DEFAULT_COST_MODEL.pair_ns["^"] = 0.0
    assert pickle.loads(pickle.dumps(DEFAULT_COST_MODEL)) == DEFAULT_COST_MODEL
    assert dataclasses.replace(DEFAULT_COST_MODEL, neighbours=12.0).neighbours == 12.0


def bad(change):
    d = DEFAULT_COST_MODEL.to_dict()
    change(d)
    return d


@pytest.mark.parametrize("d, message", [
    (bad(lambda d: d.pop("sum_ns")), "missing key 'sum_ns'"),
    (bad(lambda d: d.update(speed=1.0)), "unknown key 'speed'"),
    (bad(lambda d: d["pair_ns"].pop("^")), "CostModel.pair_ns: missing key '^'"),
    (bad(lambda d: d["atom_ns"].update(cos=1.0)), "CostModel.atom_ns: unknown key 'cos'"),
    (bad(lambda d: d["pair_ns"].update({"^": -1.0})), "CostModel.pair_ns['^']: must be a finite number >= 0"),
    (bad(lambda d: d["atom_ns"].update(exp="fast")), "CostModel.atom_ns['exp']"),
    (bad(lambda d: d.update(pair_base_ns=math.inf)), "CostModel.pair_base_ns"),
    (bad(lambda d: d.update(sum_ns=True)), "CostModel.sum_ns"),
    (bad(lambda d: d.update(neighbours=0)), "CostModel.neighbours: must be > 0"),
    (bad(lambda d: d.update(pair_ns=[1.0])), "CostModel.pair_ns: must be a table"),
    (bad(lambda d: d.update(target="gpu")), "CostModel.target: must be one of lammps, evaluator"),
    (bad(lambda d: d["pair_ns"].update({"^": 1.0})), 'CostModel.pair_ns: must be 0 for target "lammps"'),
    ([1.0], "CostModel: must be a table"),
])
def test_bad_dicts_give_errors_naming_the_key(d, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CostModel.from_dict(d)


def test_a_table_without_target_is_an_evaluator_model():
    """Tables written before the LAMMPS target existed (calibrate --out, checkpoints) keep their meaning."""
    table = EVALUATOR.to_dict()
    del table["target"]
    assert CostModel.from_dict(table) == EVALUATOR


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_fit_recovers_a_model_from_times_it_predicts(model):
    truth = dataclasses.replace(model, neighbours=40.0)
    formulas = targeted_formulas(model.target) + random_formulas(100, seed=2, config=OperatorConfig())
    fitted = fit_cost_model(formulas, [truth.cost(f) for f in formulas], truth.neighbours, model.target)
    assert fitted.target == model.target
    assert np.allclose(list(fitted.pair_ns.values()), list(truth.pair_ns.values()), rtol=1e-6)
    assert np.allclose(list(fitted.atom_ns.values()), list(truth.atom_ns.values()), rtol=1e-6)
    assert fitted.pair_base_ns == pytest.approx(truth.pair_base_ns) and fitted.sum_ns == pytest.approx(truth.sum_ns)
    # both targets time the targeted sum3 formulas
    assert np.allclose(list(fitted.triplet_ns.values()), list(truth.triplet_ns.values()), rtol=1e-6)
    assert fitted.sum3_ns == pytest.approx(truth.sum3_ns)


def tiny_dataset():
    """One 32-atom snapshot of the shipped Sutton–Chen data: the targeted sum3 formulas take ~30 ms on it."""
    return load(example_path("sutton_chen") / "300K").subset([0])


def test_calibrate_on_a_tiny_dataset_returns_a_usable_model():
    model = calibrate(tiny_dataset(), seed=0, n_formulas=10, repeats=3, target="evaluator")
    coefficients = [model.pair_base_ns, model.sum_ns, *model.pair_ns.values(), *model.atom_ns.values(),
                    model.sum3_ns, *model.triplet_ns.values()]
    assert all(c >= 0.0 and math.isfinite(c) for c in coefficients) and model.pair_base_ns > 0.0
    assert model.neighbours == pytest.approx(44.56, abs=0.01)  # the 300 K snapshot at r_c = 5 Å
    assert model.cost(SUTTON_CHEN) > 0.0 and model.cost(parse_expression("sum3(r)")) > 0.0


def test_cli_calibrate_writes_a_toml_table_the_config_can_read(capsys, tmp_path):
    out, data = tmp_path / "cost.toml", tmp_path / "snapshot.extxyz"
    ase.io.write(data, tiny_dataset().atoms[0])
    status = main(["calibrate", "--target", "evaluator", "--data", str(data), "--formulas", "5", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0 and "rank correlation" in printed and "[cost]" in printed
    with open(out, "rb") as file:
        model = CostModel.from_dict(tomllib.load(file)["cost"])
    assert model.pair_ns.keys() == DEFAULT_COST_MODEL.pair_ns.keys()


@pytest.mark.skipif(not lammps_available(), reason="LAMMPS is not installed")
def test_lammps_timer_times_the_tabulated_plugins_and_skips_what_cannot_be_tabulated():
    """Four plugins compiled and timed (~8 s); a pair function of 1e12 eV cannot meet the tables' 1e-9 eV/atom bound
    in double precision (rounding alone is ~1e-4 eV), so it gets NaN: it would be exported with --exact. A
    three-body sum (h computed, not tabulated) costs more per atom than a pair sum: its h runs for ~900 pairs of
    neighbours of an atom of fcc Cu at 5 Å where a pair sum's table is read for ~43 neighbours."""
    texts = ("sum(r^-6)", "sum(1e12*r)", "sum(r) - sum(exp(-r))^0.5", "sum3(r*s*c)")
    times = time_formulas_lammps([parse_expression(text) for text in texts], Cutoff(3.0, 5.0), "Cu", repeats=2)
    assert np.isnan(times[1]) and np.all(np.isfinite(times[[0, 2, 3]])) and np.all(times[[0, 2]] > 0.0)
    assert times[3] > times[0]


def test_calibrate_refuses_an_unknown_target_and_mixed_elements():
    with pytest.raises(ValueError, match="target must be one of lammps, evaluator"):
        calibrate(target="gpu")
    dataset = load(example_path("sutton_chen") / "300K")
    atoms = dataset.atoms[0]
    atoms.symbols[0] = "Ni"
    with pytest.raises(ValueError, match="the LAMMPS cost model handles one element; the data holds Cu, Ni"):
        calibrate(dataset, target="lammps")


# ------------------------------------------------------------------------------------------------ three-body sums

@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_a_three_body_sum_costs_its_nodes_per_ordered_pair_of_neighbours(model):
    """sum3(h) in place of sum(h): h runs for n(n − 1) ordered pairs of neighbours instead of n neighbours."""
    pair = parse_expression("sum(r^-9) + 0.1*sum(r^-3*exp(-r))")
    three_body = parse_expression("sum(r^-9) + 0.1*sum3(r^-3*exp(-r))")
    n = model.neighbours
    h_nodes = ("r", "^", "*", "exp", "*", "r")  # r^-3*exp(-1*r): the parser writes -r as -1*r
    per_pair = model.sum_ns + sum(model.pair_ns[k] for k in h_nodes)
    per_ordered_pair = model.sum3_ns + sum(model.triplet_ns[k] for k in h_nodes)
    expected = model.cost(pair) + n * (n - 1) * per_ordered_pair - n * per_pair
    assert model.cost(three_body) == pytest.approx(expected, rel=1e-12)  # the same sums in another order: rounding
    assert model.cost(three_body) > 10 * model.cost(pair)


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_an_h_symmetric_in_r_and_s_costs_half_as_it_runs_once_per_pair_of_neighbours(model):
    """r*s*c and r*r*c have the same priced kinds (s and c are priced as r); only the first is symmetric, and both
    engines run it for the n(n − 1)/2 pairs j < k instead of the n(n − 1) ordered ones."""
    free_three_body = dataclasses.replace(model, sum3_ns=0.0, triplet_ns=dict.fromkeys(model.triplet_ns, 0.0))
    formulas = [parse_expression(f"sum(r^-9) + sum3({h})") for h in ("r*s*c", "r*r*c")]
    symmetric, asymmetric = (model.cost(f) - free_three_body.cost(f) for f in formulas)  # the three-body part
    assert symmetric > 0.0
    assert asymmetric == pytest.approx(2.0 * symmetric, rel=1e-12)  # fsum of the same terms: rounding only


def test_the_lammps_model_prices_sutton_chen_by_its_sums_and_computed_atom_level_nodes():
    """Two distinct sums read from tables (their pair functions free) and the atom-level − and ^ (the constant 0.5
    folded): the deployed plugin's work."""
    n = LAMMPS.neighbours
    expected = n * (LAMMPS.pair_base_ns + 2 * LAMMPS.sum_ns) + LAMMPS.atom_ns["-"] + LAMMPS.atom_ns["^"]
    assert LAMMPS.cost(SUTTON_CHEN) == pytest.approx(expected, rel=1e-12)  # fsum of the same terms: rounding only


@pytest.mark.parametrize("model", [LAMMPS, EVALUATOR], ids=["lammps", "evaluator"])
def test_pair_only_costs_do_not_depend_on_three_body_coefficients(model):
    if model is EVALUATOR:
        assert model.cost(SUTTON_CHEN) == 1912.1298000000002  # as priced before three-body sums were
    pricier = dataclasses.replace(model, sum3_ns=1e6, triplet_ns=dict.fromkeys(model.triplet_ns, 1e6))
    assert all(pricier.cost(f) == model.cost(f) for f in random_formulas(50, seed=3))


def test_a_table_without_three_body_coefficients_takes_the_defaults():
    """Tables written before sum3 was priced (calibrate --out, checkpoints) keep their meaning and price sum3."""
    for model in (LAMMPS, EVALUATOR):
        table = dataclasses.replace(model, pair_base_ns=1.25).to_dict()
        del table["sum3_ns"], table["triplet_ns"]
        assert CostModel.from_dict(table) == dataclasses.replace(model, pair_base_ns=1.25)
