"""Non-dominated sorting and NSGA-II selection against brute-force definitions."""
import numpy as np
from hypothesis import given, settings, strategies as st

from symbolicpot.expr import parse_expression
from symbolicpot.search.constants import linear_parts
from symbolicpot.search.engine import pareto_archive
from symbolicpot.search.island import Individual
from symbolicpot.search.pareto import (crowding_distance, dominates, non_dominated_sort, rank_and_crowding,
                                       select_survivors)

objective_sets = st.integers(1, 40).flatmap(lambda n: st.lists(
    st.tuples(*[st.integers(0, 5).map(float)] * 3), min_size=n, max_size=n))  # small integers: many ties


def brute_force_ranks(points):
    """Rank 0: dominated by nobody; rank k: dominated only by points of rank < k (peeling)."""
    ranks, remaining, k = {}, set(range(len(points))), 0
    while remaining:
        front = {i for i in remaining if not any(dominates(points[j], points[i]) for j in remaining)}
        ranks.update({i: k for i in front})
        remaining -= front
        k += 1
    return [ranks[i] for i in range(len(points))]


@settings(max_examples=200, deadline=None)
@given(objective_sets)
def test_non_dominated_sort_matches_brute_force(points):
    points = np.array(points)
    fronts = non_dominated_sort(points)
    ranks = np.empty(len(points), int)
    for k, front in enumerate(fronts):
        ranks[front] = k
    assert sorted(np.concatenate(fronts).tolist()) == list(range(len(points)))
    assert ranks.tolist() == brute_force_ranks(points)


@settings(max_examples=100, deadline=None)
@given(objective_sets, st.integers(1, 40))
def test_survivors_take_whole_fronts_first(points, n):
    points = np.array(points)
    chosen = select_survivors(points, n)
    rank, crowding = rank_and_crowding(points)
    assert len(chosen) == min(n, len(points)) and len(set(chosen.tolist())) == len(chosen)
    left_out = np.setdiff1d(np.arange(len(points)), chosen)
    if len(left_out):
        assert rank[chosen].max() <= rank[left_out].min()
        last = rank[chosen].max()
        if rank[left_out].min() == last:  # the cut front keeps its least crowded members
            assert crowding[chosen][rank[chosen] == last].min() >= crowding[left_out][rank[left_out] == last].max()


def test_crowding_distance_of_a_line():
    points = np.array([[0.0, 4.0], [1.0, 3.0], [3.0, 1.0], [4.0, 0.0]])
    distance = crowding_distance(points)
    assert np.isinf(distance[[0, 3]]).all()
    np.testing.assert_allclose(distance[[1, 2]], [3 / 4 + 3 / 4, 3 / 4 + 3 / 4])


def individual(text, error, cost, complexity):
    term = parse_expression(text)
    return Individual(term, (1.0,) * len(linear_parts(term)), 0.0, error, cost, complexity, error)


def test_the_archive_keeps_one_model_per_error_to_four_digits():
    """Variants that are only larger or costlier for the same error to 4 significant digits are not new models;
    a variant with a clearly lower error is."""
    small = individual("sum(r^-6)", 0.12341, 10.0, 4)
    larger_same_error = individual("sum(r^-6 + 0)", 0.123409, 11.0, 6)
    same_objectives = individual("sum(r^-6)*1", 0.12341, 10.0, 4)
    better = individual("sum(r^-6) + sum(r^-12)", 0.12, 20.0, 9)
    archive = pareto_archive([larger_same_error, same_objectives, better, small])
    assert [ind.key for ind in archive] == [better.key, min(small.key, same_objectives.key)]


def test_a_column_unknown_for_every_row_changes_no_crowding_distance():
    """A search without [properties] has a property objective of inf everywhere: selection must be as without it
    (same seed, same front as before the fourth objective existed)."""
    rng = np.random.default_rng(3)
    objectives = rng.integers(0, 5, size=(12, 3)).astype(float)
    with_unknown = np.column_stack([objectives, np.full(12, np.inf)])
    assert np.array_equal(crowding_distance(with_unknown), crowding_distance(objectives))
    assert [list(f) for f in non_dominated_sort(with_unknown)] == [list(f) for f in non_dominated_sort(objectives)]
