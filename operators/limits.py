"""The limits every formula of the search keeps: node count, depth and number of sums (see OperatorConfig); a
per-species formula keeps them in each species' term. A sum3 counts as a sum, and its h's nodes as a sum's g's."""
from ..expr import species_terms
from .paths import SUMS


def measure(node):
    """(node count, depth in edges, number of sums of either kind) of a tree."""
    size, depth, n_sums = 1, 0, int(node.op in SUMS)
    for child in node.children:
        child_size, child_depth, child_sums = measure(child)
        size, depth, n_sums = size + child_size, max(depth, child_depth + 1), n_sums + child_sums
    return size, depth, n_sums


def limit_violations(tree, config):
    """The limits of `config` that `tree` breaks, as readable sentences (empty when it keeps them all)."""
    problems = []
    for species, term in species_terms(tree).items():
        size, depth, n_sums = measure(term)
        where = f"{species}'s term: " if species else ""
        if size > config.max_size:
            problems.append(f"{where}{size} nodes > max_size {config.max_size}")
        if depth > config.max_depth:
            problems.append(f"{where}depth {depth} > max_depth {config.max_depth}")
        if not 1 <= n_sums <= config.max_sums:
            problems.append(f"{where}{n_sums} sums, not within 1..max_sums {config.max_sums}")
    return problems


def within_limits(tree, config):
    """Whether `tree` keeps the size, depth and sum limits of `config`."""
    return not limit_violations(tree, config)
