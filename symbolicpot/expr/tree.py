"""The typed expression tree.

A formula is the atom-level term T_i; the energy of a configuration is E = Σ_i T_i. Inside `sum(g)` lives a
pair-level expression g(r) of the interatomic distance r (Å); `sum(g)` at atom i stands for Σ_{j≠i} g(r_ij)·f(r_ij)
with the smooth cutoff f. Typing rules: `r` only inside a sum, no sum inside a sum.

Alloys (README "Alloys"): `sum[Al](g)` sums over the neighbours of species Al only (the node's `species`), and a
species block gives each species of centre atom its own atom-level expression: a "species" node whose children are
"on" nodes, one per species (`species` names it; its child is that species' expression). At the root a block gives
each species its own term (`Ni: T_Ni; Al: T_Al`); anywhere else at atom level it is a species-dependent part
(`F(sum(g)) + {Ni: -4.2; Al: -3.1}`). Blocks do not nest, and every block of a formula names the same species. A
formula without blocks applies to every atom. Species are chemical symbols; renaming them changes nothing but the
names.

Three-body sums (README "Three-body sums"): `sum3(h)` at atom i stands for
Σ_{j<k} ½[h(r_ij, r_ik, c) + h(r_ik, r_ij, c)]·f(r_ij)·f(r_ik) = ½ Σ_{j≠k} h(r_ij, r_ik, c)·f(r_ij)·f(r_ik) over the pairs
of neighbours j, k of i, c = cos θ_jik; inside h the leaves are `r` (r_ij), `s` (r_ik) and `c`. Typing rules: `s`
and `c` only inside a sum3, and sums (of either kind) do not nest. A sum3 takes no species yet.

Per-term cutoff (README "Formulas"): a sum marked `nocut` (`sum[nocut](g)`, `sum[Al, nocut](g)`, `sum3[nocut](h)`;
the node's `cut` is False) has f ≡ 1 for every bond shorter than r_out and nothing beyond: a hard truncation, for
terms that vanish at r_out by themselves (the evaluator checks that they do: evaluate.vanishing).

Nodes are immutable and compare structurally (constants by value), so `parse(format(e)) == e` is a plain `==`.
"""
from dataclasses import dataclass, replace
import hashlib

from ase.data import chemical_symbols

from .primitives import PRIMITIVES

LEAVES = ("const", "r", "s", "c")
THREE_BODY_LEAVES = ("s", "c")  # r_ik (Å) and cos θ_jik: only inside sum3
STRUCTURE = ("species", "on")  # the nodes of a species block: they hold expressions but compute nothing
NOCUT = "nocut"  # the tag of a sum without the smooth cutoff
COMMUTATIVE = ("+", "*")  # and associative (in exact arithmetic)


class ExpressionError(ValueError):
    """A tree that breaks the typing rules or uses an unknown operation."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node: `op` is "const" (with `value`), a leaf "r", "s" or "c", "sum" (one child; `species`: its neighbours'
    species, "" for all), "sum3" (one child h(r, s, c)), a symbol of PRIMITIVES, or one of STRUCTURE ("on": `species`
    is its centre atoms' species). `cut` is False only for a sum without the smooth cutoff (`nocut`)."""
    op: str
    children: tuple["Node", ...] = ()
    value: float = 0.0
    species: str = ""
    cut: bool = True

    def __str__(self):
        from .strings import format_expression
        return format_expression(self)


R, S, C = Node("r"), Node("s"), Node("c")  # r_ij, r_ik (Å) and cos θ_jik


def const(value):
    return Node("const", value=float(value))


def call(op, *children):
    """A node applying `op` ("sum", "sum3" or a primitive symbol) to `children`."""
    return Node(op, tuple(children))


def species_sum(g, species="", cut=True):
    """sum[species](g): the sum of the pair expression g over the neighbours of `species` ("": all); without the
    smooth cutoff when not `cut` (sum[species, nocut](g))."""
    return Node("sum", (g,), species=species, cut=cut)


def by_species(terms):
    """The species block of {species: its expression} (in that order); one expression for "" is that expression."""
    if list(terms) == [""]:
        return terms[""]
    return Node("species", tuple(Node("on", (term,), species=name) for name, term in terms.items()))


def species_terms(node):
    """{species: expression} of a species block, {"": node} for any other node."""
    if node.op == "species":
        return {on.species: on.children[0] for on in node.children}
    return {"": node}


def block_species(node):
    """The species the formula's blocks name (in the order of its first block), () for a formula without blocks."""
    first = next((n for n in walk(node) if n.op == "species"), None)
    return () if first is None else tuple(species_terms(first))


def term_for(node, species):
    """The formula the atoms of `species` run: every block replaced by its expression for `species` (a formula
    without blocks is returned as it is; KeyError when a block names other species only)."""
    if node.op == "species":
        return species_terms(node)[species]
    return replace(node, children=tuple(term_for(c, species) for c in node.children)) if node.children else node


def species_named(node):
    """The species a formula names (its per-species terms' and its sums'), sorted."""
    return sorted({n.species for n in walk(node) if n.species})


def walk(node):
    """Nodes in postfix order (children before parents)."""
    for child in node.children:
        yield from walk(child)
    yield node


def node_count(node):
    """Complexity: every node counts, constants included, but not the STRUCTURE of a per-species formula."""
    return sum(1 for n in walk(node) if n.op not in STRUCTURE)


def constants(node):
    """Constant values in postfix order, the order the compiled evaluator and the optimizers use."""
    return [n.value for n in walk(node) if n.op == "const"]


def with_constants(node, values):
    """A copy of `node` with its constants replaced, in postfix order, by `values`."""
    values = iter(values)

    def rebuild(n):
        if n.op == "const":
            return const(next(values))
        return replace(n, children=tuple(rebuild(c) for c in n.children)) if n.children else n
    out = rebuild(node)
    if next(values, None) is not None:
        raise ValueError("more values than constants in the expression")
    return out


def sums(node):
    """The pair-level expressions g_k of the sums, in postfix order (the order of the inputs S_k)."""
    return [n.children[0] for n in walk(node) if n.op == "sum"]


def three_body_sums(node):
    """The expressions h(r, s, c) of the three-body sums, in postfix order."""
    return [n.children[0] for n in walk(node) if n.op == "sum3"]


def symmetric_in_r_and_s(h):
    """Whether h(r, s, c) and h(s, r, c) are one tree up to the order of the operands of + and * (chains of them
    flattened): equal in exact arithmetic, decided on the tree (never by sampling values)."""
    return _canonical(h) == _canonical(swap_r_and_s(h))


def swap_r_and_s(node):
    """`node` with the leaves r and s exchanged (h(s, r, c) of h(r, s, c))."""
    leaf = {"r": S, "s": R}.get(node.op)
    return leaf or (replace(node, children=tuple(map(swap_r_and_s, node.children))) if node.children else node)


def _canonical(node):
    """A nested tuple equal for trees that differ only in the order of the operands of + and * chains."""
    if node.op in COMMUTATIVE:
        operands = (_canonical(n) for n in _chain(node, node.op))
        return node.op, tuple(sorted(operands, key=repr))
    return node.op, node.value, tuple(map(_canonical, node.children))


def _chain(node, op):
    """The operands of a chain of `op` at node: a + (b + c) gives a, b, c."""
    for child in node.children:
        yield from _chain(child, op) if child.op == op else (child,)


def refuse_three_body(node, what):
    """Raise ExpressionError naming `what` (an export) when the formula holds a three-body sum."""
    if three_body_sums(node):
        raise ExpressionError(f"{what} does not take three-body sums (sum3) yet; the ASE calculator and the LAMMPS "
                              "plugin do")


def distinct_sums(node):
    """The distinct pair-level expressions of the sums, in postfix order of first appearance (identical sums are
    computed once by the exported code)."""
    return list(dict.fromkeys(sums(node)))


def sum_tags(node):
    """The words in a sum's brackets, in the order the text writes them: its neighbours' species, then "nocut"."""
    return [word for word in (node.species, "" if node.cut else NOCUT) if word]


def structural_hash(node):
    """A hex digest of the tree's shape that ignores constant values (for caches of tuned constants). A constant is
    written "#", apart from every op (it was "c", which the cosine leaf of a sum3 also is: sum3(c + c) and
    sum3(0.2 + 1.3) shared a key, so one reused the other's tuning, whose constants do not line up)."""
    text = " ".join((n.op if n.op != "const" else "#") + "".join(f"[{tag}]" for tag in sum_tags(n)) for n in walk(node))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def check_typed(node):
    """Raise ExpressionError unless `node` is a valid atom-level formula; return it otherwise."""
    blocks = []

    def visit(n, inside, in_block):
        """`inside`: the sum n stands in ("sum", "sum3"; "" at atom level)."""
        if n.op == "species":
            if inside:
                raise ExpressionError(f"a species block cannot stand inside {inside}(...)")
            if in_block:
                raise ExpressionError("species blocks do not nest")
            blocks.append(_check_block(n))
            for on in n.children:
                visit(on.children[0], "", True)
            return
        if n.op == "on":
            raise ExpressionError("'on' stands only in a species block")
        if n.op == "r" and not inside:
            raise ExpressionError("'r' must stand inside sum(...) or sum3(...)")
        if n.op in THREE_BODY_LEAVES and inside != "sum3":
            raise ExpressionError(f"{n.op!r} must stand inside sum3(...)")
        if n.species and n.op != "sum":
            raise ExpressionError(f"{n.op!r} takes no species")
        if not n.cut and n.op not in ("sum", "sum3"):
            raise ExpressionError(f"{n.op!r} takes no {NOCUT} (only sums do)")
        if n.op in ("sum", "sum3"):
            if inside:
                raise ExpressionError(f"{n.op}(...) cannot stand inside {inside}(...): sums do not nest")
            if len(n.children) != 1:
                raise ExpressionError(f"{n.op} takes one argument")
            if n.species:
                check_species(n.species)
        elif n.op not in LEAVES:
            prim = PRIMITIVES.get(n.op)
            if prim is None:
                raise ExpressionError(f"unknown operation {n.op!r}")
            if len(n.children) != prim.arity:
                raise ExpressionError(f"{n.op!r} takes {prim.arity} argument(s), got {len(n.children)}")
        elif n.children:
            raise ExpressionError(f"leaf {n.op!r} cannot have children")
        for c in n.children:
            visit(c, n.op if n.op in ("sum", "sum3") else inside, in_block)
    visit(node, "", False)
    if any(set(names) != set(blocks[0]) for names in blocks):
        raise ExpressionError("every species block of a formula names the same species "
                              f"(found {' and '.join(sorted({', '.join(sorted(b)) for b in blocks}))})")
    return node


def _check_block(block):
    """The species a block names, after checking its shape: one expression per species, each species once."""
    names = [on.species for on in block.children]
    if not names or any(on.op != "on" or len(on.children) != 1 for on in block.children):
        raise ExpressionError("a species block holds one expression per species")
    if len(set(names)) != len(names):
        raise ExpressionError(f"a species block gives species {_duplicate(names)} two expressions")
    for name in names:
        check_species(name)
    return names


def check_species(name):
    """Raise ExpressionError unless `name` is a chemical symbol."""
    if name not in chemical_symbols[1:]:
        raise ExpressionError(f"unknown species {name!r} (species are chemical symbols: Ni, Al, ...)")


def _duplicate(names):
    return next(name for name in names if names.count(name) > 1)
