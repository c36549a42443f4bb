"""Addressing nodes: a path is the tuple of child indices from the root; each node stands at one of two levels.

Atom-level nodes are outside every sum (`sum` nodes included), pair-level nodes inside one (what a sum sums).
"""
from dataclasses import replace
from typing import NamedTuple

from ..expr import Node

ATOM, PAIR = "atom", "pair"


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
        child_level = PAIR if node.op == "sum" else level
        for index, child in enumerate(node.children):
            visit(child, path + (index,), child_level, node.op == "^" and index == 1)
    visit(tree, (), ATOM, False)
    return found


def replace_at(tree, path, subtree):
    """A copy of `tree` with the node at `path` replaced by `subtree` (only the nodes along the path are rebuilt)."""
    if not path:
        return subtree
    children = list(tree.children)
    children[path[0]] = replace_at(children[path[0]], path[1:], subtree)
    return replace(tree, children=tuple(children))


def pair_root(tree, path):
    """The path of the pair-level expression (the child of a sum) that holds the pair-level node at `path`."""
    node = tree
    for depth, index in enumerate(path):
        if node.op == "sum":
            return path[:depth + 1]
        node = node.children[index]
    raise ValueError(f"path {path} is not inside a sum")
