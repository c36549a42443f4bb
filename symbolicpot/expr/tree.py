"""The typed expression tree.

A formula is the atom-level term T_i; the energy of a configuration is E = Σ_i T_i. Inside `sum(g)` lives a
pair-level expression g(r) of the interatomic distance r (Å); `sum(g)` at atom i stands for Σ_{j≠i} g(r_ij)·f(r_ij)
with the smooth cutoff f. Typing rules: `r` only inside a sum, no sum inside a sum.

Nodes are immutable and compare structurally (constants by value), so `parse(format(e)) == e` is a plain `==`.
"""
from dataclasses import dataclass
import hashlib

from .primitives import PRIMITIVES

LEAVES = ("const", "r")


class ExpressionError(ValueError):
    """A tree that breaks the typing rules or uses an unknown operation."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node: `op` is "const" (with `value`), "r", "sum" (one child) or a symbol of PRIMITIVES."""
    op: str
    children: tuple["Node", ...] = ()
    value: float = 0.0

    def __str__(self):
        from .strings import format_expression
        return format_expression(self)


R = Node("r")


def const(value):
    return Node("const", value=float(value))


def call(op, *children):
    """A node applying `op` ("sum" or a primitive symbol) to `children`."""
    return Node(op, tuple(children))


def walk(node):
    """Nodes in postfix order (children before parents)."""
    for child in node.children:
        yield from walk(child)
    yield node


def node_count(node):
    """Complexity: every node counts, constants included."""
    return sum(1 for _ in walk(node))


def constants(node):
    """Constant values in postfix order, the order the compiled evaluator and the optimizers use."""
    return [n.value for n in walk(node) if n.op == "const"]


def with_constants(node, values):
    """A copy of `node` with its constants replaced, in postfix order, by `values`."""
    values = iter(values)

    def rebuild(n):
        if n.op == "const":
            return const(next(values))
        return Node(n.op, tuple(rebuild(c) for c in n.children)) if n.children else n
    out = rebuild(node)
    if next(values, None) is not None:
        raise ValueError("more values than constants in the expression")
    return out


def sums(node):
    """The pair-level expressions g_k of the sums, in postfix order (the order of the inputs S_k)."""
    return [n.children[0] for n in walk(node) if n.op == "sum"]


def distinct_sums(node):
    """The distinct pair-level expressions of the sums, in postfix order of first appearance (identical sums are
    computed once by the exported code)."""
    return list(dict.fromkeys(sums(node)))


def structural_hash(node):
    """A hex digest of the tree's shape that ignores constant values (for caches of tuned constants)."""
    text = " ".join(n.op if n.op != "const" else "c" for n in walk(node))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def check_typed(node):
    """Raise ExpressionError unless `node` is a valid atom-level formula; return it otherwise."""
    def visit(n, inside_sum):
        if n.op == "r" and not inside_sum:
            raise ExpressionError("'r' must stand inside sum(...)")
        if n.op == "sum":
            if inside_sum:
                raise ExpressionError("sum(...) cannot stand inside another sum")
            if len(n.children) != 1:
                raise ExpressionError("sum takes one argument")
        elif n.op not in LEAVES:
            prim = PRIMITIVES.get(n.op)
            if prim is None:
                raise ExpressionError(f"unknown operation {n.op!r}")
            if len(n.children) != prim.arity:
                raise ExpressionError(f"{n.op!r} takes {prim.arity} argument(s), got {len(n.children)}")
        elif n.children:
            raise ExpressionError(f"leaf {n.op!r} cannot have children")
        for c in n.children:
            visit(c, inside_sum or n.op == "sum")
    visit(node, False)
    return node
