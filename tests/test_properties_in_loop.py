"""0 K properties inside the search (properties.in_loop), the four-objective archive and physical models only."""
import itertools

import numpy as np
import pytest

from symbolicpot.calculator import SymbolicCalculator
from symbolicpot.data import example_path, load
from symbolicpot.evaluate.calculator import FormulaCalculator
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.export.potential import Potential
from symbolicpot.expr import parse_expression
from symbolicpot.operators import OperatorConfig
from symbolicpot.properties import compute_properties, read_reference
from symbolicpot.properties.in_loop import IN_LOOP, PropertyTargets, loop_properties
from symbolicpot.search.constants import TuningConfig
from symbolicpot.search.engine import Search, SearchConfig, pareto_archive
from symbolicpot.search.island import Individual

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
REFERENCE = read_reference()
ALL = PropertyTargets(REFERENCE, {name: 1.0 for name in IN_LOOP})


def agree_with_the_table(calculator):
    """The in-loop properties of `calculator` against `symbolicpot properties`' (compute_properties). Bound: the
    issue's 1 %. What differs by design: the vacancy's cell (108 sites here, 1372 in the table: the vacancy
    converges to a few meV by 108, 0.3-0.5 % of E_vac for SC) and the minimisers' tolerances (below 1e-3 %)."""
    found = loop_properties(calculator, ALL)
    assert found.unphysical is None
    table = compute_properties(calculator, "Cu", REFERENCE)
    for name in IN_LOOP:
        assert found.values[name] == pytest.approx(table.value(name), rel=0.01), name
    assert found.error == pytest.approx(ALL.error({name: table.value(name) for name in IN_LOOP}), rel=0.01)


def test_in_loop_properties_of_sutton_chen_agree_with_the_property_table():
    agree_with_the_table(SymbolicCalculator(Potential.from_formula(SUTTON_CHEN)))


@pytest.mark.skipif(not lammps_available(), reason="needs the lammps[mpi] wheels")
def test_in_loop_properties_of_mishins_eam_agree_with_the_property_table():
    from symbolicpot.potentials import load_potential
    agree_with_the_table(load_potential("eam:Cu_mishin1").calculator)


def test_the_property_error_is_the_weighted_mean_relative_error():
    targets = PropertyTargets({"a0_fcc": 4.0, "C11": 100.0, "E_vac": 1.0}, {"a0_fcc": 1.0, "C11": 3.0})
    values = {"a0_fcc": 3.8, "C11": 110.0, "E_vac": 5.0}  # 5 % and 10 % off; E_vac takes no part
    assert targets.error(values) == pytest.approx((0.05 + 3 * 0.10) / 4, rel=1e-12)


def test_a_crystal_that_does_not_bind_is_unphysical():
    found = loop_properties(FormulaCalculator(parse_expression("sum(644.52*r^-9)")), ALL)
    assert found.error is None and "does not bind" in found.unphysical


def test_a_ground_state_that_is_not_the_lowest_phase_is_unphysical():
    calculator = FormulaCalculator(parse_expression(SUTTON_CHEN))  # fcc lies lowest (hcp +1.5 meV/atom)
    found = loop_properties(calculator, PropertyTargets(REFERENCE, {"a0_fcc": 1.0}, lattice="hcp"))
    assert found.error is None and found.unphysical == "fcc lies below hcp"
    assert found.values["dE_hcp_fcc"] > 0 and found.values["dE_bcc_fcc"] > 0


@pytest.mark.parametrize("weights, lattice, message", [
    ({"E_dumbbell": 1.0}, "fcc", "not computed in the search"),
    ({"C11": 1.0}, "bcc", "computed for fcc crystals only"),
    ({"C11": -1.0}, "fcc", "must be a number > 0"),
    ({}, "fcc", "no property takes part"),
    ({"a0_fcc": 1.0}, "diamond", "lattice: must be one of"),
])
def test_bad_targets_say_what_is_wrong(weights, lattice, message):
    with pytest.raises(ValueError, match=message):
        PropertyTargets(REFERENCE, weights, lattice=lattice)


def individual(k, error, cost, complexity, property_error):
    """A distinct Individual (its model text differs by the coefficient k) with the given objectives."""
    return Individual(parse_expression("sum(r)"), (float(k + 1),), 0.0, error, cost, complexity, error,
                      property_error=property_error)


def test_the_archive_is_the_pareto_front_over_four_objectives():
    """pareto_archive against a brute-force dominance check over all pairs, on random objective vectors with few
    distinct values (ties and equal vectors) and unknown property errors (inf)."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        candidates = [individual(k, float(rng.integers(1, 5)), float(rng.integers(1, 4)), int(rng.integers(1, 4)),
                                 None if rng.random() < 0.2 else float(rng.integers(1, 4))) for k in range(30)]
        kept = pareto_archive(candidates)
        vectors = [np.array(ind.objectives) for ind in candidates]

        def dominated(a):
            return any(np.all(b <= a) and np.any(b < a) for b in vectors)
        expected = {tuple(v) for v in vectors if not dominated(v)}
        assert {ind.objectives for ind in kept} == expected  # every non-dominated vector, once
        assert len(kept) == len(expected)
        for a, b in itertools.combinations(kept, 2):
            assert a.objectives != b.objectives


def test_a_search_with_properties_archives_only_physical_models():
    """Sutton–Chen data, properties in the loop: every archived model has its properties, binds and keeps fcc
    lowest; a model whose crystal does not bind (a pure repulsion, seeded) never reaches the front."""
    data = load([example_path("sutton_chen") / "300K"])
    targets = PropertyTargets(REFERENCE, {"a0_fcc": 1.0, "C11": 1.0, "E_surf_111": 1.0}, screen=3.0)
    config = SearchConfig(seed=1, islands=1, population=10, immigrants=2, generations=3,
                          seeds=(SUTTON_CHEN, "sum(r^-9)"), properties=targets,
                          tuning=TuningConfig(polish_evaluations=10, cma_evaluations=0),
                          operators=OperatorConfig(max_size=16, max_sums=2))
    with Search(data, config) as engine:
        state = engine.initial_state()
        for _ in range(3):
            state = engine.step(state)
        front = engine.front(state)
    assert front, "the seeded Sutton–Chen form binds: the front is not empty"
    for model in front:
        assert model.unphysical is None and model.property_error is not None
        assert model.properties["dE_hcp_fcc"] > 0 and model.properties["dE_bcc_fcc"] > 0
        assert model.property_error == pytest.approx(targets.error(model.properties), rel=1e-12)
    archived = {ind.key for ind in state.archive}
    population = [ind for island in state.islands for ind in island.population]
    unbound = [ind for ind in population if ind.unphysical and "does not bind" in ind.unphysical]
    assert unbound, "the seeded repulsion (or another non-binding model) lives in the island"
    assert not archived & {ind.key for ind in unbound}


SEEDS = 'seeds = ["sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"]\n'
PROPERTIES = """
[properties]
use = ["a0_fcc", "C11", "E_surf_111"]
weights = {C11 = 2.0}
screen = 3.0
"""


@pytest.fixture(scope="module")
def properties_run(tmp_path_factory):
    from run_configs import tiny_config
    from symbolicpot.cli import main

    folder = tmp_path_factory.mktemp("properties")
    config = folder / "properties.toml"
    config.write_text(tiny_config().replace("[search]\n", "[search]\n" + SEEDS, 1) + PROPERTIES)
    assert main(["evolve", str(config), "--out", str(folder / "run"), "--progress", "off"]) == 0
    return folder / "run"


def cli(capsys, *argv):
    from symbolicpot.cli import main
    status = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_front_carries_property_errors_and_values(capsys, properties_run):
    import json
    document = json.loads((properties_run / "front.json").read_text())
    assert document["property_targets"]["weights"] == {"a0_fcc": 1.0, "C11": 2.0, "E_surf_111": 1.0}
    assert document["models"]
    targets = PropertyTargets(REFERENCE, document["property_targets"]["weights"])
    for model in document["models"]:
        assert model["unphysical"] is None
        assert model["property_error"] == pytest.approx(targets.error(model["properties"]), rel=1e-12)
    status, out, _ = cli(capsys, "front", properties_run, "--json")
    assert status == 0 and [m["property_error"] for m in json.loads(out)] == [
        m["property_error"] for m in document["models"]]
    status, out, _ = cli(capsys, "front", properties_run)
    assert status == 0 and "prop %" in out
    assert f"{100 * document['models'][0]['property_error']:.3g}" in out
    status, out, _ = cli(capsys, "front", properties_run, "--properties", 0)
    assert status == 0 and "C11" in out and "E_surf_111" in out and "within 5 % of the reference" in out
    log = [json.loads(line) for line in (properties_run / "log.jsonl").read_text().splitlines()]
    assert log[-1]["best_property_error"] == min(m["property_error"] for m in document["models"])
    assert cli(capsys, "front", properties_run, "--properties", 99)[0] == 2
    plot = properties_run.parent / "properties.png"
    status, _, err = cli(capsys, "front", properties_run, "--properties", 0, "--plot", plot)
    assert status == 0 and plot.stat().st_size > 10_000 and "wrote" in err


def test_a_state_with_properties_round_trips_exactly_and_continues_identically():
    import json
    from symbolicpot.run.checkpoint import state_from_dict, state_to_dict
    from symbolicpot.run.files import dumps

    data = load([example_path("sutton_chen") / "300K"])
    config = SearchConfig(seed=2, islands=2, population=8, immigrants=2, migration_interval=1, seeds=(SUTTON_CHEN,),
                          properties=PropertyTargets(REFERENCE, {"a0_fcc": 1.0, "E_vac": 1.0}),
                          tuning=TuningConfig(polish_evaluations=5, cma_evaluations=16, cma_popsize=8),
                          operators=OperatorConfig(max_size=16))
    with Search(data, config) as engine:
        first = engine.step(engine.initial_state())
        second = engine.step(first)
        restored = state_from_dict(json.loads(dumps(state_to_dict(first))))
        assert restored == first and any(ind.properties for ind in restored.archive)
        continued = engine.step(restored)
    assert continued.archive == second.archive and continued.islands == second.islands
    damaged = json.loads(dumps(state_to_dict(first)))
    damaged["archive"][0]["property_error"] = "small"
    with pytest.raises(TypeError, match="Individual.property_error must be a finite number"):
        state_from_dict(damaged)
