"""Addressing nodes: a path is the tuple of child indices from the root; each node stands at one of three levels.

Atom-level nodes are outside every sum (`sum` and `sum3` nodes included), pair-level nodes inside a `sum` (over r),
triplet-level nodes inside a `sum3` (over r, s, c). A subtree may move to a site of another level when the typing
allows it (`fits`): an r-only pair-level subtree fits a triplet site, a triplet-level one without s and c a pair site.
"""
from dataclasses import replace
from typing import NamedTuple

from ..expr import R, S, Node, walk
from ..expr.tree import THREE_BODY_LEAVES

ATOM, PAIR, TRIPLET = "atom", "pair", "triplet"
SUMS = {"sum": PAIR, "sum3": TRIPLET}  # the sum nodes and the level of what they sum
BONDS = {"sum": (R,), "sum3": (R, S)}  # the bond lengths each kind of sum reads
VARIABLES = ("r", *THREE_BODY_LEAVES)  # the leaves that vary over the pairs or triplets of a sum


class Site(NamedTuple):
    """A node of a tree with its path and level, and whether it is the exponent of a power."""
    path: tuple[int, ...]
    node: Node
    level: str
    exponent: bool = False


def sites(tree):
    """Every node of `tree` as a Site, parents before children."""
    found = []

    def visit(node, path, level, exponent):
        found.append(Site(path, node, level, exponent))
        child_level = SUMS.get(node.op, level)
        for index, child in enumerate(node.children):
            visit(child, path + (index,), child_level, node.op == "^" and index == 1)
    visit(tree, (), ATOM, False)
    return found


def sum_count(node):
    """The number of sums (of either kind) in `node`."""
    return sum(1 for n in walk(node) if n.op in SUMS)


def fits(node, level, target):
    """Whether `node`, standing at `level`, may stand at a site of level `target` (typing: s and c only inside a
    sum3, atom-level nodes only at atom level)."""
    if ATOM in (level, target):
        return level == target
    return target == TRIPLET or all(n.op not in THREE_BODY_LEAVES for n in walk(node))


def replace_at(tree, path, subtree):
    """A copy of `tree` with the node at `path` replaced by `subtree` (only the nodes along the path are rebuilt)."""
    if not path:
        return subtree
    children = list(tree.children)
    children[path[0]] = replace_at(children[path[0]], path[1:], subtree)
    return replace(tree, children=tuple(children))


def pair_root(tree, path):
    """The path of the expression summed (the child of a sum or sum3) that holds the node at `path` inside it."""
    node = tree
    for depth, index in enumerate(path):
        if node.op in SUMS:
            return path[:depth + 1]
        node = node.children[index]
    raise ValueError(f"path {path} is not inside a sum")
