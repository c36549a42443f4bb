"""Pareto machinery for minimisation of several objectives: dominance, non-dominated sorting, crowding (NSGA-II)."""
import numpy as np


def dominates(a, b):
    """True when objective vector a is no worse than b everywhere and better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated_sort(objectives):
    """Fronts of rows of `objectives` ((n, k), lower is better): a list of index arrays, best front first."""
    objectives = np.asarray(objectives, dtype=float)
    n = len(objectives)
    no_worse = np.all(objectives[:, None, :] <= objectives[None, :, :], axis=2)
    better = np.any(objectives[:, None, :] < objectives[None, :, :], axis=2)
    dominated_by = (no_worse & better).T  # dominated_by[i, j]: j dominates i
    remaining = np.ones(n, bool)
    fronts = []
    while remaining.any():
        front = np.flatnonzero(remaining & ~(dominated_by & remaining[None, :]).any(axis=1))
        fronts.append(front)
        remaining[front] = False
    return fronts


def crowding_distance(objectives):
    """NSGA-II crowding distance of each row of one front ((n, k)); boundary points get inf. An objective may be
    inf (unknown) in some rows: spans are measured over its finite values; one inf in every row counts for nothing."""
    objectives = np.asarray(objectives, dtype=float)
    n, k = objectives.shape
    distance = np.zeros(n)
    for m in range(k):
        order = np.argsort(objectives[:, m], kind="stable")
        values = objectives[order, m]
        finite = values[np.isfinite(values)]
        if not finite.size:  # unknown for all (a property error without [properties]): no information
            continue
        span = finite[-1] - finite[0]
        distance[order[[0, -1]]] = np.inf
        if n > 2 and span > 0:  # an infinite objective (unknown) spans the finite ones; two infinite ones nothing
            with np.errstate(invalid="ignore"):
                gaps = np.nan_to_num(values[2:] - values[:-2], nan=0.0, posinf=span)
            distance[order[1:-1]] += gaps / span
    return distance


def rank_and_crowding(objectives):
    """(front rank, crowding distance) of every row, for tournaments and survival."""
    objectives = np.asarray(objectives, dtype=float)
    rank, crowding = np.zeros(len(objectives), int), np.zeros(len(objectives))
    for r, front in enumerate(non_dominated_sort(objectives)):
        rank[front] = r
        crowding[front] = crowding_distance(objectives[front])
    return rank, crowding


def select_survivors(objectives, n):
    """Indices of the n best rows by NSGA-II: whole fronts first, the last one cut by crowding distance."""
    rank, crowding = rank_and_crowding(objectives)
    order = np.lexsort((np.arange(len(rank)), -crowding, rank))  # rank, then crowding (desc), then position
    return order[:n]
