"""SymPy forms of formulas, for reporting: `to_sympy`, `simplify`, `latex`, and `from_sympy` back to a tree.

A formula becomes a SymPy expression in the distance `DISTANCE` (the symbol r, Å, positive); each `sum(g)` becomes
`Sum_j(g)`, an opaque function that prints as `sum(g)` and as \\sum_{j} in LaTeX (`sum[Al](g)`: `Sum_j(g, Al)`, the
species a symbol), a three-body sum `sum3(h)` an opaque `Sum_jk(h)` of the symbols r, s and c (LaTeX
½ Σ_{j≠k} h(r_ij, r_ik, cos θ_jik)); a sum without the smooth cutoff carries the tag `nocut` (`Sum_j(g, Al, nocut)`)
and its LaTeX sums over r_ij < r_c without f. A species block `{Ni: a; Al: b}` an opaque `Block(Ni, a, Al, b)`, each
species' expression simplified on its own.
"""
import functools

import sympy

from .primitives import PRIMITIVES, UNARY
from .tree import C, NOCUT, R, S, ExpressionError, Node, by_species, call, const, species_terms, sum_tags

DISTANCE = sympy.Symbol("r", positive=True)
SECOND_DISTANCE, COSINE = sympy.Symbol("s", positive=True), sympy.Symbol("c", real=True)  # r_ik, cos θ_jik
LEAVES = {DISTANCE: R, SECOND_DISTANCE: S, COSINE: C}
NOCUT_TAG = sympy.Symbol(NOCUT)


class _NeighbourSum(sympy.Function):
    """A sum over neighbours: args[0] its term, args[1:] the words of its brackets in the text (a species symbol,
    then `NOCUT_TAG` for a sum without the smooth cutoff); non-negative when its terms are."""

    def _eval_is_nonnegative(self):
        return self.args[0].is_nonnegative

    def _sympystr(self, printer):
        tags = f"[{', '.join(map(str, self.args[1:]))}]" if len(self.args) > 1 else ""
        return f"{self.word}{tags}({printer._print(self.args[0])})"

    @property
    def species(self):
        return next((str(tag) for tag in self.args[1:] if tag != NOCUT_TAG), "")

    @property
    def cut(self):
        return NOCUT_TAG not in self.args[1:]

    def _latex(self, printer, exp=None):
        """The sum sign over `self.over()`, with the hard truncation r < r_c written out for a nocut sum."""
        over = self.over() + ("" if self.cut else rf",\, {self.bonds} < r_c")
        text = rf"{self.factor}\sum_{{{over}}} \left({printer._print(self.args[0])}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


class Sum_j(_NeighbourSum):
    """Σ_{j≠i} g(r_ij)·f(r_ij) over the neighbours j of atom i (of one species: a tag, its symbol; f ≡ 1 below r_c
    with the tag NOCUT_TAG)."""
    nargs = (1, 2, 3)
    leaves = (DISTANCE,)  # the symbols its terms are functions of
    word, factor, bonds = "sum", "", "r_{ij}"

    def over(self):
        return rf"j \in \mathrm{{{self.species}}}" if self.species else "j"


class Sum_jk(_NeighbourSum):
    """½ Σ_{j≠k} h(r_ij, r_ik, cos θ_jik)·f(r_ij)·f(r_ik) over the pairs of neighbours j, k of atom i (f ≡ 1 below r_c
    with the tag NOCUT_TAG)."""
    nargs = (1, 2)
    leaves = (DISTANCE, SECOND_DISTANCE, COSINE)
    word, factor, bonds = "sum3", r"\frac{1}{2} ", "r_{ij}, r_{ik}"

    def over(self):
        return r"j \neq k"


SUMS = (Sum_j, Sum_jk)


class Block(sympy.Function):
    """A species block: arguments (species symbol, its expression) in turn."""

    def _sympystr(self, printer):
        return "{" + "; ".join(f"{name}: {printer._print(value)}" for name, value in _pairs(self)) + "}"

    def _latex(self, printer, exp=None):
        rows = r" \\ ".join(rf"{printer._print(value)} & \mathrm{{{name}}}" for name, value in _pairs(self))
        text = rf"\begin{{cases}} {rows} \end{{cases}}"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


def _pairs(block):
    return list(zip(block.args[::2], block.args[1::2]))


def to_sympy(node):
    """The SymPy expression of `node` (formula or pair-level expression), constants as exact binary Floats."""
    return _convert(node, lambda value, exponent: sympy.Float(value))


def simplify(node, snap=1e-3):
    """A simplified SymPy form of `node` for display: constant exponents within `snap` of an integer become that
    integer (r^-9.0004 as r^-9), other constants only when they are integers below 10⁶ (2.0 as 2; snapping them too
    would round an offset 7.00008 inside a term scaled by 1e5, eV off, or delete a small prefactor 4e-4 of a large
    sum; a float of 1e150 is not worth its 151 digits); each sum's pair expression is simplified and split by
    linearity (Σ(a·g + h) = a·Σg + Σh), then the whole."""
    def number(value, exponent):
        nearest = round(value)
        near = abs(value - nearest) < snap if exponent else value == nearest
        return sympy.Integer(nearest) if near and abs(nearest) < 1e6 else sympy.Float(value)
    expr = _convert(node, number).replace(lambda e: isinstance(e, SUMS), _split_sum)
    expr = expr.replace(lambda e: isinstance(e, Block), lambda block: Block(
        *(x for name, value in _pairs(block) for x in (name, sympy.simplify(value)))))
    return expr if isinstance(expr, Block) else sympy.simplify(expr)


def latex(node, snap=1e-3, digits=6):
    """LaTeX of `simplify(node, snap)` with r, s, c written r_{ij}, r_{ik} and cos θ_{jik}, and floats rounded to
    `digits` significant digits."""
    expr = simplify(node, snap)
    expr = expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})
    return sympy.latex(expr, symbol_names={DISTANCE: "r_{ij}", SECOND_DISTANCE: "r_{ik}", COSINE: r"\cos\theta_{jik}"})


def from_sympy(expr):
    """The tree of a SymPy expression built from r, s, c, numbers, Sum_j, Sum_jk, + - * / ^ and the unary primitives.

    Sums of many terms and products of many factors become left-nested binary nodes (a term with a minus sign
    becomes a subtraction, a factor x^-1 a division); numeric subexpressions become constants.
    """
    if isinstance(expr, SUMS):
        return Node(expr.word, (from_sympy(expr.args[0]),), species=expr.species, cut=expr.cut)
    if isinstance(expr, Block):
        return by_species({str(name): from_sympy(value) for name, value in _pairs(expr)})
    if expr.is_Symbol:
        leaf = next((node for symbol, node in LEAVES.items() if symbol.name == expr.name), None)
        if leaf is None:
            raise ExpressionError(f"unknown symbol {expr.name!r} (only r, s, c)")
        return leaf
    if expr.is_number and not expr.has(*SUMS):
        try:
            return const(float(expr))
        except TypeError:
            raise ExpressionError(f"{expr} is not a real number") from None
    if expr.is_Add:
        return _from_terms(expr.as_ordered_terms())
    if expr.is_Mul or (expr.is_Pow and expr.exp == -1):
        return _from_factors(sorted(sympy.Mul.make_args(expr), key=sympy.default_sort_key))
    if expr.is_Pow:
        return call("^", from_sympy(expr.base), from_sympy(expr.exp))
    if expr.is_Function and expr.func.__name__ in UNARY:
        return call(expr.func.__name__, from_sympy(expr.args[0]))
    raise ExpressionError(f"cannot express {expr} as a formula")


def _convert(node, number, exponent=False):
    """The SymPy expression of a tree; constants by number(value, whether it is the exponent of a power)."""
    if node.op == "const":
        return number(node.value, exponent)
    if node.op in ("r", "s", "c"):
        return next(symbol for symbol, leaf in LEAVES.items() if leaf.op == node.op)
    if node.op == "species":
        return Block(*(x for name, term in species_terms(node).items()
                       for x in (sympy.Symbol(name), _convert(term, number))))
    children = [_convert(c, number, node.op == "^" and k == 1) for k, c in enumerate(node.children)]
    if node.op in ("sum", "sum3"):
        return (Sum_j if node.op == "sum" else Sum_jk)(*children, *map(sympy.Symbol, sum_tags(node)))
    return PRIMITIVES[node.op].sympy_fn(*children)


def _split_sum(total):
    """A sum (Sum_j or Sum_jk) as a linear combination of sums of terms that depend on its leaves, its terms
    simplified first."""
    terms = sympy.expand_mul(sympy.simplify(total.args[0]))
    parts = (term.as_independent(*total.leaves, as_Add=False) for term in sympy.Add.make_args(terms))
    return sympy.Add(*(coefficient * type(total)(term, *total.args[1:]) for coefficient, term in parts))


def _from_terms(terms):
    node = from_sympy(terms[0])
    for term in terms[1:]:
        negative = term.could_extract_minus_sign()
        node = call("-" if negative else "+", node, from_sympy(-term if negative else term))
    return node


def _from_factors(factors):
    numerator = [f for f in factors if not (f.is_Pow and f.exp == -1)]
    denominator = [f.base for f in factors if f.is_Pow and f.exp == -1]
    node = _product(numerator) if numerator else const(1.0)
    return call("/", node, _product(denominator)) if denominator else node


def _product(factors):
    return functools.reduce(lambda left, right: call("*", left, right), map(from_sympy, factors))
