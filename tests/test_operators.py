"""Genetic operators: every child is a valid formula within the limits, runs repeat from their seed, and each
operator does what its name says."""
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from symbolicpot.expr import (ParseError, R, check_typed, const, constants, format_expression, node_count,
                              parse_expression, species_terms, structural_hash, sums, three_body_sums, walk)
from symbolicpot.expr.compile import compile_formula
from symbolicpot.evaluate.vanishing import nocut_faults
from symbolicpot.operators import (ATOM, MUTATION_OPERATORS, PAIR, TRIPLET, OperatorConfig, crossover,
                                   held_constants, limit_violations, measure, random_formula, ramped_half_and_half,
                                   replace_at, seed_formulas, sites, vary)
from strategies import three_body_trees

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
LENNARD_JONES = "sum(4*0.0104*((3.4/r)^12 - (3.4/r)^6))"
SEEDS = st.integers(0, 2**32 - 1)
CONFIGS = {
    "default": OperatorConfig(),
    "unary": OperatorConfig(primitives=("+", "*", "^", "exp", "log", "sqrt", "tanh"), max_size=20, max_sums=2),
    "tight": OperatorConfig(max_size=8, max_depth=4, max_sums=1, init_depth=(1, 3)),
    "roomy": OperatorConfig(max_size=60, max_depth=12, max_sums=5, init_depth=(3, 6)),
    "minus only": OperatorConfig(primitives=("-",), crossover_probability=0.9),
    "alloy": OperatorConfig(species=("Ni", "Al"), max_sums=4),
    "three-body": OperatorConfig(three_body_probability=0.5),
    "three-body alloy": OperatorConfig(species=("Ni", "Al"), three_body_probability=0.3, max_sums=4),
    "nocut": OperatorConfig(three_body_probability=0.3, nocut_probability=0.5),
    "vanishing": OperatorConfig(primitives=("+", "-", "*", "/", "^", "exp"), three_body_probability=0.3,
                                nocut_probability=0.5, r_out=3.77118, max_size=45, max_depth=10),
}
PER_SPECIES = OperatorConfig(species=("Ni", "Al", "Cu"), per_species=True, max_size=20)
OPERATORS = {**MUTATION_OPERATORS, "crossover": None, "vary": None}


def assert_valid(tree, config):
    check_typed(tree)
    assert limit_violations(tree, config) == [], format_expression(tree)
    structure = ("species", "on") if config.per_species else ()
    three_body = ("sum3", "s", "c") if config.three_body_probability else ()
    assert config.nocut_probability or all(n.cut for n in walk(tree))
    assert {n.op for n in walk(tree)} <= {"const", "r", "sum", *structure, *three_body, *config.primitives}
    assert parse_expression(format_expression(tree)) == tree
    assert {n.species for n in walk(tree) if n.op == "sum"} <= {"", *config.species}
    if config.per_species:
        assert list(species_terms(tree)) == list(config.species)


def apply(name, rng, tree, partner, config):
    """One operation of `name` on `tree` (crossover and vary take `partner` as the second parent)."""
    if name == "crossover":
        return crossover(rng, tree, partner, config)
    if name == "vary":
        return vary(rng, [tree, partner], config)
    return MUTATION_OPERATORS[name](rng, tree, config)


def sample(config=CONFIGS["default"], n=300, seed=0):
    """`n` random formulas of `config`."""
    return ramped_half_and_half(np.random.default_rng(seed), config, n)


# ------------------------------------------------------------------------------------------------ validity

@settings(max_examples=40, deadline=None)
@given(SEEDS, st.sampled_from(sorted(CONFIGS)))
def test_random_formulas_are_valid(seed, config_name):
    config, rng = CONFIGS[config_name], np.random.default_rng(seed)
    for tree in ramped_half_and_half(rng, config, 20) + [random_formula(rng, config) for _ in range(20)]:
        assert_valid(tree, config)


@pytest.mark.parametrize("name", sorted(OPERATORS))
@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, config_name=st.sampled_from(sorted(CONFIGS)))
def test_chains_of_operations_stay_valid(name, seed, config_name):
    config, rng = CONFIGS[config_name], np.random.default_rng(seed)
    tree = random_formula(rng, config)
    for _ in range(50):
        tree = apply(name, rng, tree, random_formula(rng, config), config)
        assert_valid(tree, config)


def test_exponents_are_drawn_as_exponents():
    """The constant exponent of a fresh power is a non-zero integer inside a sum (r^-6), a real number from
    atom_exponent_range outside (sum(...)^0.5); other constants also reach magnitudes up to 1000. (Point and insert
    mutations may also make an existing constant an exponent.)"""
    config = CONFIGS["default"]
    rng = np.random.default_rng(2)
    trees = sample(config, 300) + [MUTATION_OPERATORS[name](rng, tree, config)
                                   for name in ("subtree", "shrink", "embed") for tree in sample(config, 100)]
    exponents = {ATOM: [], PAIR: []}
    for tree in trees:
        for site in sites(tree):
            if site.exponent and site.node.op == "const":
                exponents[site.level].append(site.node.value)
    low, high = config.integer_constant_range
    assert len(exponents[PAIR]) > 100 and all(v == int(v) and v != 0 and low <= v <= high for v in exponents[PAIR])
    low, high = config.atom_exponent_range
    assert len(exponents[ATOM]) > 100 and all(low <= v <= high for v in exponents[ATOM])
    others = [site.node.value for tree in trees for site in sites(tree) if site.node.op == "const" and not site.exponent]
    assert max(map(abs, others)) > 100


def test_fresh_powers_of_expressions_of_c_are_low_positive_integers():
    """Terms of a polynomial in cos θ: a negative power would be singular where its base crosses 0. (An insertion
    that raises a new leaf c to an existing constant keeps that constant.)"""
    config = CONFIGS["three-body"]
    trees = sample(config, 1000)
    powers = [site.node for tree in trees for site in sites(tree) if site.level == TRIPLET and site.node.op == "^"
              and any(n.op == "c" for n in walk(site.node.children[0])) and site.node.children[1].op == "const"]
    assert len(powers) > 10 and {n.children[1].value for n in powers} <= {1, 2, 3, 4}


def test_full_trees_reach_their_ramped_depth():
    config = CONFIGS["default"]
    population = sample(config, n=60)
    low, high = config.init_depth
    ramp = [low + (i // 2) % (high - low + 1) for i in range(60)]
    assert [measure(t)[1] for t in population[0::2]] == ramp[0::2]
    assert all(measure(t)[1] <= depth for t, depth in zip(population[1::2], ramp[1::2]))
    assert len(set(population)) > 50


# ----------------------------------------------------------------------------------------------- determinism

def evolve(rng, config, generations=5, size=20):
    population = ramped_half_and_half(rng, config, size)
    for _ in range(generations):
        population = [vary(rng, [population[rng.integers(size)], population[rng.integers(size)]], config)
                      for _ in range(size)]
    return population


@settings(max_examples=10, deadline=None)
@given(SEEDS)
def test_same_seed_same_children(seed):
    config = CONFIGS["default"]
    assert evolve(np.random.default_rng(seed), config) == evolve(np.random.default_rng(seed), config)


def test_rng_state_checkpointed_as_json_resumes_the_same_run():
    config, rng = CONFIGS["default"], np.random.default_rng(7)
    evolve(rng, config, generations=2)
    checkpoint = json.dumps(rng.bit_generator.state)
    expected = evolve(rng, config)
    resumed = np.random.default_rng()
    resumed.bit_generator.state = json.loads(checkpoint)
    assert evolve(resumed, config) == expected


# ---------------------------------------------------------------------------------------- what operators do

def children(name, config=CONFIGS["default"], n=300):
    """(parent, child) pairs of the mutation `name` over `n` random formulas."""
    rng = np.random.default_rng(1)
    return [(tree, MUTATION_OPERATORS[name](rng, tree, config)) for tree in sample(config, n)]


def applies(name, tree, config):
    """Whether the mutation `name` has something to work on in `tree`."""
    if name == "unwrap":
        return len(sums(tree)) >= 2
    if name == "wrap_in_sum":
        return len(sums(tree)) < config.max_sums and any(s.level == ATOM and not sums(s.node) for s in sites(tree))
    if name == "shift":  # two nodes more: (r - k) for r
        return any(n.op == "r" for n in walk(tree)) and node_count(tree) + 2 <= config.max_size
    return True


@pytest.mark.parametrize("name", sorted(MUTATION_OPERATORS))
def test_mutations_usually_change_the_formula(name):
    config = OperatorConfig(max_sums=2)
    applicable = [(p, c) for p, c in children(name, config) if applies(name, p, config)]
    assert len(applicable) > 40
    assert sum(p != c for p, c in applicable) >= 0.8 * len(applicable)


def differing_nodes(a, b):
    """The pairs of nodes where two trees of the same shape differ."""
    nodes_a, nodes_b = list(walk(a)), list(walk(b))
    assert [len(n.children) for n in nodes_a] == [len(n.children) for n in nodes_b]
    return [(x, y) for x, y in zip(nodes_a, nodes_b) if (x.op, x.value) != (y.op, y.value)]


def test_point_mutation_swaps_one_node_for_one_of_the_same_arity():
    swapped_operators = 0
    for parent, child in children("point"):
        if parent != child:
            (old, new), = differing_nodes(parent, child)
            swapped_operators += bool(old.children)
    assert swapped_operators > 50


def test_shrink_and_hoist_make_formulas_smaller_and_insert_larger():
    growth = {name: {node_count(c) - node_count(p) for p, c in children(name) if p != c}
              for name in ("shrink", "hoist", "insert")}
    assert max(growth["shrink"]) < 0 and max(growth["hoist"]) < 0
    assert growth["insert"] == {2}  # a binary operator and its fresh leaf


def test_hoist_keeps_a_subtree_of_the_parent():
    for parent, child in children("hoist"):
        if parent == child or child in set(walk(parent)):  # unchanged, or the formula became one of its subtrees
            continue
        (pair_parent, pair_child), = [(g, h) for g, h in zip(sums(parent), sums(child)) if g != h]
        assert pair_child in set(walk(pair_parent))  # or a sum's expression became one of its subtrees


def test_constant_perturbation_moves_constants_and_keeps_the_shape():
    relative_changes = []
    for parent, child in children("constant"):
        assert structural_hash(child) == structural_hash(parent)
        relative_changes += [abs(c / p - 1) for p, c in zip(constants(parent), constants(child)) if c != p]
    assert 0.05 < np.median(relative_changes) < 0.15  # |N(0, 1)| has median 0.67; σ = 0.1


def test_wrap_in_sum_moves_an_atom_level_constant_into_a_new_sum():
    rng = np.random.default_rng(0)
    child = MUTATION_OPERATORS["wrap_in_sum"](rng, parse_expression(SUTTON_CHEN), OperatorConfig())
    new_sum = child.children[1].children[1]  # where 0.5, the only atom-level constant, stood
    assert new_sum.op == "sum" and new_sum.children[0].op == "*" and new_sum.children[0].children[0] == const(0.5)
    assert replace_at(child, (1, 1), const(0.5)) == parse_expression(SUTTON_CHEN)


def test_embed_raises_a_part_holding_a_sum_to_a_power_beside_or_instead_of_it():
    config, rng = OperatorConfig(), np.random.default_rng(0)
    parent = parse_expression("sum(r^-9) + 2")
    texts = [format_expression(MUTATION_OPERATORS["embed"](rng, parent, config)) for _ in range(100)]
    forms = {re.sub(r"\)\^[-0-9.e]+", ")^q", text) for text in texts}
    assert forms == {"sum(r^-9)^q + 2", "sum(r^-9) + sum(r^-9)^q + 2", "(sum(r^-9) + 2)^q",
                     "sum(r^-9) + 2 + (sum(r^-9) + 2)^q"}
    no_power = OperatorConfig(primitives=("+", "-", "*", "/"))
    assert MUTATION_OPERATORS["embed"](rng, parent, no_power) is parent


def test_unwrap_replaces_a_sum_by_an_r_free_part():
    parent, rng = parse_expression(SUTTON_CHEN), np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        child = MUTATION_OPERATORS["unwrap"](rng, parent, OperatorConfig())
        assert len(sums(child)) == 1
        seen.add(format_expression(child))
    assert seen == {"sum(644.52*r^-9) - 527.62^0.5", "sum(644.52*r^-9) - (-6)^0.5",
                    "644.52 - sum(527.62*r^-6)^0.5", "-9 - sum(527.62*r^-6)^0.5"}
    lone_sum = parse_expression(LENNARD_JONES)
    assert MUTATION_OPERATORS["unwrap"](rng, lone_sum, OperatorConfig()) is lone_sum


def test_crossover_moves_a_subtree_of_the_second_parent_into_the_first():
    config, rng = CONFIGS["default"], np.random.default_rng(3)
    population = sample(config, 200)
    moved = 0
    for a, b in zip(population[0::2], population[1::2]):
        child = crossover(rng, a, b, config)
        if child != a:
            moved += 1
            assert inserted_subtree(a, child) in set(walk(b))
    assert moved >= 90


def inserted_subtree(parent, child):
    """The subtree of `child` where it departs from `parent` after one subtree replacement."""
    while parent.op == child.op and parent.value == child.value and len(parent.children) == len(child.children):
        changed = [i for i, (p, c) in enumerate(zip(parent.children, child.children)) if p != c]
        if len(changed) != 1:
            break
        parent, child = parent.children[changed[0]], child.children[changed[0]]
    return child


def test_crossover_swaps_material_of_the_same_level():
    a = parse_expression("sum(r^-9) + 2")
    b = parse_expression("sum(3*r) * 5")
    config, rng = OperatorConfig(), np.random.default_rng(0)
    produced = {format_expression(crossover(rng, a, b, config)) for _ in range(200)}
    assert "sum(3^-9) + 2" in produced         # pair level: b's pair-level 3 for a's r
    assert "sum(r^-9) + sum(3*r)" in produced  # atom level: b's whole sum for a's 2
    assert "sum(r^-9) + 5" in produced         # atom level: b's 5 for a's 2
    assert "sum(r^5) + 2" not in produced      # never an atom-level part into a sum


def test_vary_with_one_parent_mutates_it():
    config, rng = OperatorConfig(crossover_probability=1.0), np.random.default_rng(0)
    parent = parse_expression(SUTTON_CHEN)
    assert all(vary(rng, [parent], config) != parent for _ in range(50))


# ------------------------------------------------------------------------------------------ paths and seeds

def test_sites_and_replace_at():
    tree = parse_expression(SUTTON_CHEN)
    levels = {format_expression(s.node): s.level for s in sites(tree)}
    assert levels["sum(644.52*r^-9)"] == ATOM and levels["0.5"] == ATOM and levels["r^-6"] == PAIR
    child = replace_at(tree, (0, 0, 1), R)
    assert format_expression(child) == "sum(644.52*r) - sum(527.62*r^-6)^0.5"
    assert child.children[1] is tree.children[1]  # only the path is rebuilt


def test_seed_formulas_parse_known_forms():
    sutton_chen, lennard_jones = seed_formulas([SUTTON_CHEN, LENNARD_JONES], OperatorConfig())
    assert sutton_chen == parse_expression(SUTTON_CHEN) and len(sums(lennard_jones)) == 1


@pytest.mark.parametrize("text, config, message", [
    (SUTTON_CHEN, OperatorConfig(max_size=10), "15 nodes > max_size 10"),
    (SUTTON_CHEN, OperatorConfig(max_depth=4), "depth 5 > max_depth 4"),
    (SUTTON_CHEN, OperatorConfig(max_sums=1), "2 sums"),
    ("sum(exp(-r))", OperatorConfig(), "'exp' is not enabled"),
    ("2 + 3", OperatorConfig(), "0 sums"),
])
def test_seed_formulas_name_the_broken_limit(text, config, message):
    with pytest.raises(ValueError, match=message):
        seed_formulas([text], config)


def test_seed_formulas_report_bad_text():
    with pytest.raises(ParseError, match="position"):
        seed_formulas(["sum(r^)"], OperatorConfig())


# ------------------------------------------------------------------------------------------ config validation

@pytest.mark.parametrize("field, value", [
    ("primitives", ("+", "cos")), ("primitives", ("exp",)), ("primitives", ("+", "+")), ("primitives", "+-"),
    ("max_size", 1), ("max_size", 2.5), ("max_depth", 0), ("max_sums", 0), ("max_sums", True),
    ("init_depth", (0, 3)), ("init_depth", (4, 2)), ("init_depth", (2, 9)), ("init_depth", 3),
    ("integer_constant_range", (0, 0)), ("integer_constant_range", (3, -3)),
    ("constant_magnitude_range", (0.0, 1.0)), ("constant_magnitude_range", (1.0, float("inf"))),
    ("atom_exponent_range", (2.0, 1.0)), ("atom_exponent_range", (0.0, float("inf"))),
    ("grow_leaf_probability", 1.5), ("r_probability", -0.1), ("integer_constant_probability", float("nan")),
    ("crossover_probability", "0.5"), ("perturb_all_probability", 2),
    ("point_weight", -1.0), ("unwrap_weight", float("inf")), ("constant_sigma", 0.0),
    ("three_body_probability", 1.5), ("three_body_probability", "often"), ("nocut_probability", -0.1),
    ("r_out", 0.0), ("r_out", "5"),
])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=f"OperatorConfig.{field}"):
        OperatorConfig(**{field: value})


def test_nocut_sums_need_the_primitives_of_their_vanishing_factor():
    with pytest.raises(ValueError, match=r"OperatorConfig.primitives: needs exp for nocut sums"):
        OperatorConfig(nocut_probability=0.5, r_out=3.77118)
    OperatorConfig(nocut_probability=0.5)  # r_out unknown: no factor


def test_config_rejects_all_zero_mutation_weights():
    zero = {f"{name}_weight": 0.0 for name in MUTATION_OPERATORS}
    with pytest.raises(ValueError, match="weight"):
        OperatorConfig(**zero)


def test_config_accepts_lists_from_toml():
    config = OperatorConfig(primitives=["+", "*"], init_depth=[2, 3])
    assert config.primitives == ("+", "*") and config.init_depth == (2, 3)


# ------------------------------------------------------------------------------------------------ alloys

def test_one_species_draws_what_no_species_draws():
    """Single-element searches keep their random streams: the data's one species changes no formula."""
    for name in ("default", "unary"):
        one = OperatorConfig(**{**CONFIGS[name].__dict__, "species": ("Cu",), "per_species": True})
        assert sample(one, 100, seed=4) == sample(CONFIGS[name], 100, seed=4)
        rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
        trees = sample(CONFIGS[name], 50, seed=6)
        assert ([vary(rng_a, [a, b], one) for a, b in zip(trees, trees[1:])]
                == [vary(rng_b, [a, b], CONFIGS[name]) for a, b in zip(trees, trees[1:])])


def test_alloy_sums_run_over_every_choice_of_neighbours_and_point_mutation_retags_them():
    config = CONFIGS["alloy"]
    tags = [n.species for tree in sample(config, 200) for n in walk(tree) if n.op == "sum"]
    counts = {tag: tags.count(tag) for tag in ("", "Ni", "Al")}
    # drawn uniformly from 3 choices: each share is 1/3 ± 5 standard deviations of a binomial over len(tags) draws
    assert all(abs(count / len(tags) - 1 / 3) < 5 * (2 / 9 / len(tags)) ** 0.5 for count in counts.values()), counts
    tree = parse_expression("sum[Ni](r^-6)")
    retagged = {MUTATION_OPERATORS["point"](np.random.default_rng(seed), tree, config) for seed in range(40)}
    assert {parse_expression("sum(r^-6)"), parse_expression("sum[Al](r^-6)")} <= retagged


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_per_species_terms_vary_one_term_at_a_time_and_stay_valid(seed):
    rng = np.random.default_rng(seed)
    tree = random_formula(rng, PER_SPECIES)
    assert_valid(tree, PER_SPECIES)
    for _ in range(30):
        child = vary(rng, [tree, random_formula(rng, PER_SPECIES)], PER_SPECIES)
        assert_valid(child, PER_SPECIES)
        changed = [name for name, term in species_terms(child).items() if term != species_terms(tree)[name]]
        assert len(changed) <= 1
        tree = child


def test_copy_term_puts_one_species_term_over_another_species_term():
    config = OperatorConfig(**{**PER_SPECIES.__dict__, "copy_term_probability": 1.0})
    parent = parse_expression("Ni: sum(r^-6); Al: sum(r^-8)^0.5; Cu: sum(r^-6)")
    children = {vary(np.random.default_rng(seed), [parent], config) for seed in range(40)}
    terms = species_terms(parent)
    for child in children:
        changed = [name for name, term in species_terms(child).items() if term != terms[name]]
        assert len(changed) == 1 and species_terms(child)[changed[0]] in terms.values()
    # Al's term over Ni's or Cu's, or Ni's/Cu's (the same) over Al's: three children, each drawn (p ≥ 1/6 per seed)
    assert len(children) == 3
    same = parse_expression("Ni: sum(r); Al: sum(r); Cu: sum(r)")
    assert vary(np.random.default_rng(0), [same], config) == same


def test_seeds_fit_the_species_shape_of_the_search():
    blind = seed_formulas([SUTTON_CHEN], PER_SPECIES)[0]
    assert species_terms(blind) == dict.fromkeys(("Ni", "Al", "Cu"), parse_expression(SUTTON_CHEN))
    for text, config, message in [
            ("Ni: sum(r); Al: sum(r)", PER_SPECIES, "its terms are for Ni, Al, the data's species are Ni, Al, Cu"),
            ("Ni: sum(r); Al: sum(r)", CONFIGS["alloy"], "need [operators] per_species = true"),
            ("sum(r) + {Ni: 1; Al: 2}", CONFIGS["alloy"], "the search evolves no species block inside a term"),
            ("Ni: sum(r); Al: sum(r) + 3; Cu: " + "+".join(["sum(r)"] * 7), PER_SPECIES, "Cu's term: 7 sums")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            seed_formulas([text], config)


# ------------------------------------------------------------------------------------------------ three-body sums

def test_new_sums_are_three_body_sums_at_the_configured_rate():
    config = CONFIGS["three-body"]
    kinds = [n.op for tree in sample(config, 200) for n in walk(tree) if n.op in ("sum", "sum3")]
    # each new sum is a sum3 with chance 1/2 (the _random_term retries keep it unbiased: both kinds have the same
    # size): the share is 1/2 ± 5 standard deviations of a binomial over len(kinds) draws
    assert abs(kinds.count("sum3") / len(kinds) - 0.5) < 5 * (0.25 / len(kinds)) ** 0.5
    leaves = {n.op for tree in sample(config, 200) for g in three_body_sums(tree) for n in walk(g)}
    assert {"r", "s", "c", "const"} <= leaves
    assert not any(three_body_sums(tree) for tree in sample(CONFIGS["default"], 200))


@settings(max_examples=25, deadline=None)
@given(tree=three_body_trees(max_depth=2, n_sums=(1, 2), pair_depth=2, triplet_depth=2), seed=SEEDS)
def test_operations_on_three_body_formulas_keep_the_typing(tree, seed):
    config, rng = CONFIGS["three-body"], np.random.default_rng(seed)
    for name in OPERATORS:
        child = apply(name, rng, tree, random_formula(rng, config), config)
        assert child is tree or limit_violations(child, config) == []
        check_typed(child)


def test_point_mutation_turns_a_sum_into_a_sum3_and_back_where_the_typing_allows():
    config = CONFIGS["three-body"]

    def mutated(text):
        tree = parse_expression(text)
        return {format_expression(MUTATION_OPERATORS["point"](np.random.default_rng(seed), tree, config))
                for seed in range(100)}
    assert "sum3(r^-6) + 2" in mutated("sum(r^-6) + 2")
    assert "sum(r^-6) + 2" in mutated("sum3(r^-6) + 2")
    assert not any(text.startswith("sum(") for text in mutated("sum3(c^2) + 2"))


def test_new_sums_drop_the_smooth_cutoff_at_the_configured_rate_and_mutations_switch_it():
    config = CONFIGS["nocut"]
    cuts = [n.cut for tree in sample(config, 200) for n in walk(tree) if n.op in ("sum", "sum3")]
    # each new sum is nocut with chance 1/2: the share is 1/2 ± 5 standard deviations of a binomial
    assert abs(cuts.count(False) / len(cuts) - 0.5) < 5 * (0.25 / len(cuts)) ** 0.5
    assert all(n.cut for tree in sample(CONFIGS["three-body"], 200) for n in walk(tree))
    mutated = {format_expression(MUTATION_OPERATORS["point"](np.random.default_rng(seed), parse_expression(text),
                                                             config))
               for text in ("sum(r^-6) + 2", "sum[nocut](r^-6) + 2") for seed in range(100)}
    assert {"sum[nocut](r^-6) + 2", "sum(r^-6) + 2", "sum3[nocut](r^-6) + 2"} <= mutated


def test_every_new_nocut_sum_vanishes_at_r_out_where_its_expression_is_finite():
    """Knowing r_out, a nocut sum is drawn with a factor exp(k/(b − r_out)) per bond b, which takes it (with its
    slopes) to 0 at r_out whatever it multiplies: the evaluator's vanishing check may only find values that are not
    finite there (an expression that is itself infinite at r_out). Without the factor, 2 % of the formulas with a
    nocut sum passed the check, all of them by vanishing everywhere (sum[nocut](r - r))."""
    config = CONFIGS["vanishing"]
    trees = [tree for tree in sample(config, 400) if not all(n.cut for n in walk(tree))]
    faults = [fault for tree in trees
              for fault in nocut_faults(compile_formula(tree), np.array(constants(tree)), config.r_out).values()]
    assert len(trees) > 200 and set(faults) <= {"a value that is not finite"} and len(faults) < 0.1 * len(trees)


def test_a_sum_that_becomes_nocut_gets_the_vanishing_factor_of_each_bond_new_to_it():
    config = CONFIGS["vanishing"]

    def mutated(text):
        tree = parse_expression(text)
        return {re.sub(r"exp\([0-9.]+/", "exp(k/", format_expression(
            MUTATION_OPERATORS["point"](np.random.default_rng(seed), tree, config))) for seed in range(100)}
    factor = "exp(k/({} - 3.77118))"
    assert f"sum[nocut](r^-6*{factor.format('r')}) + 2" in mutated("sum(r^-6) + 2")
    assert f"sum3[nocut](c^2*({factor.format('r')}*{factor.format('s')})) + 2" in mutated("sum3(c^2) + 2")
    assert {f"sum(r^-6*{factor.format('r')}) + 2",  # the smooth cutoff back on: the factor stays
            f"sum3[nocut](r^-6*{factor.format('r')}*{factor.format('s')}) + 2"} <= mutated(
        "sum[nocut](r^-6*exp(1/(r - 3.77118))) + 2")


def test_the_fade_out_width_is_drawn_between_a_tenth_of_r_out_and_r_out():
    config = CONFIGS["vanishing"]
    widths = [n.children[0].value for tree in sample(config, 200) for n in walk(tree)
              if n.op == "/" and n.children[1].op == "-" and n.children[1].children[1] == const(config.r_out)]
    assert len(widths) > 100 and 0.1 * config.r_out <= min(widths) and max(widths) <= config.r_out


def test_tuning_and_mutation_hold_r_out_in_a_nocut_sum_and_integer_powers_of_c():
    """Moving them only makes a formula invalid: a nocut term blows up below its r_out or does not vanish at the
    cutoff above it; a real power of c + 1/3 is not defined where it is negative."""
    text = ("sum[nocut]((r^-4 - 1)*exp(2/(r - 3.77118))) + sum(r - 3.77118) + "
            "sum3[nocut]((c + 0.3)^2*r^2.5*exp(2/(s - 3.77118))) + sum3((c + 0.3)^1.5)^2")
    tree, config = parse_expression(text), replace(CONFIGS["vanishing"], max_sums=4)
    held = [value for value, flag in zip(constants(tree), held_constants(tree, config.r_out)) if flag]
    assert held == [3.77118, 2, 3.77118]
    for seed in range(20):
        child = MUTATION_OPERATORS["constant"](np.random.default_rng(seed), tree, config)
        assert [c for c, flag in zip(constants(child), held_constants(tree, config.r_out)) if flag] == held
        assert child != tree


def test_shift_moves_a_variable_by_a_fresh_constant():
    tree, config = parse_expression("sum(r^-6) + sum3(c^2*s)"), CONFIGS["three-body"]
    shifted = {re.sub(r" - -?[0-9.e-]+", " - k", format_expression(
        MUTATION_OPERATORS["shift"](np.random.default_rng(seed), tree, config))) for seed in range(50)}
    assert shifted == {"sum((r - k)^-6) + sum3(c^2*s)", "sum(r^-6) + sum3((c - k)^2*s)",
                       "sum(r^-6) + sum3(c^2*(s - k))"}
    minus_off = OperatorConfig(primitives=("+", "*", "^"))
    assert format_expression(MUTATION_OPERATORS["shift"](np.random.default_rng(0), parse_expression("sum(r)"),
                                                         minus_off)).startswith("sum(r + ")


def test_power_raises_a_part_of_a_sums_expression_to_a_fresh_power():
    tree, config = parse_expression("sum(r^-6) + sum3((c - 0.3)*s)"), CONFIGS["three-body"]
    children = [MUTATION_OPERATORS["power"](np.random.default_rng(seed), tree, config) for seed in range(100)]
    texts = {format_expression(child) for child in children}
    assert {"sum(r^-6) + sum3((c - 0.3)^2*s)", "sum(r^-6) + sum3(((c - 0.3)*s)^3)"} <= texts
    exponents = {n.children[1].value for child in children for site in sites(child) if site.level == TRIPLET
                 for n in [site.node] if n.op == "^" and any(m.op == "c" for m in walk(n.children[0]))}
    assert exponents <= {1, 2, 3, 4}
    assert all(n.op != "^" or n.children[0].op != "sum" for child in children for n in walk(child))  # not at atom level


def test_on_one_species_a_point_mutation_tags_no_sum_with_it():
    """sum[Si](g) on Si data is sum(g) under another text: a duplicate the population would keep."""
    config = replace(CONFIGS["vanishing"], species=("Si",))
    tree = parse_expression("sum[nocut](r^-6*exp(1/(r - 3.77118))) + sum3(c^2)")
    children = [MUTATION_OPERATORS["point"](np.random.default_rng(seed), tree, config) for seed in range(100)]
    assert all(n.species == "" for child in children for n in walk(child))


def test_a_species_mutation_keeps_the_cutoff_switch():
    config = OperatorConfig(species=("Ni", "Al"))
    tree = parse_expression("sum[Ni, nocut](r^-6) + 2")
    children = {MUTATION_OPERATORS["point"](np.random.default_rng(seed), tree, config) for seed in range(50)}
    assert {n.species for child in children for n in walk(child) if n.op == "sum"} == {"", "Ni", "Al"}
    assert all(not n.cut for child in children for n in walk(child) if n.op == "sum")


def test_wrap_in_sum_adds_a_three_body_term():
    tree, config = parse_expression("sum(r^-6) + 2"), CONFIGS["three-body"]
    wrapped = [MUTATION_OPERATORS["wrap_in_sum"](np.random.default_rng(seed), tree, config) for seed in range(20)]
    assert any(format_expression(child).startswith("sum(r^-6) + sum3(2*") for child in wrapped)


def test_crossover_puts_a_subtree_holding_s_or_c_only_into_a_sum3():
    a = parse_expression("sum(r^-9) + sum3(s*r)")
    b = parse_expression("sum3(c^2) * 5")
    config, rng = CONFIGS["three-body"], np.random.default_rng(0)
    children = [crossover(rng, a, b, config) for _ in range(300)]
    for child in children:
        check_typed(child)
    produced = {format_expression(child) for child in children}
    assert "sum(r^-9) + sum3(c*r)" in produced       # triplet level: b's c for a's s
    assert "sum(r^-9) + sum3(s*2)" in produced       # b's 2 (no s, no c) fits anywhere inside a sum
    assert "sum(2^-9) + sum3(s*r)" in produced
    assert not any(n.op == "c" for child in children for g in sums(child) for n in walk(g))


def test_per_species_terms_may_hold_three_body_sums():
    config = OperatorConfig(species=("Ni", "Al"), per_species=True, three_body_probability=0.3, max_size=20)
    trees, rng = sample(config, 100), np.random.default_rng(1)
    trees += [vary(rng, [a, b], config) for a, b in zip(trees, trees[1:])]
    for tree in trees:
        assert_valid(tree, config)
    terms = [term for tree in trees for term in species_terms(tree).values()]
    assert sum(bool(three_body_sums(term)) for term in terms) >= 40  # ~1 - 0.7^1.8 of ~400 terms hold one
    assert all(n.species == "" for term in terms for n in walk(term) if n.op == "sum3")


def test_sites_tell_the_level_inside_a_sum3():
    levels = [(format_expression(site.node), site.level) for site in sites(parse_expression("sum3(c*r) + sum(r)"))]
    assert levels == [("sum3(c*r) + sum(r)", ATOM), ("sum3(c*r)", ATOM), ("c*r", TRIPLET), ("c", TRIPLET),
                      ("r", TRIPLET), ("sum(r)", ATOM), ("r", PAIR)]
