"""SymPy forms of formulas, for reporting: `to_sympy`, `simplify`, `latex`, and `from_sympy` back to a tree.

A formula becomes a SymPy expression in the distance `DISTANCE` (the symbol r, Å, positive); each `sum(g)` becomes
`Sum_j(g)`, an opaque function that prints as `sum(g)` and as \\sum_{j} in LaTeX.
"""
import functools

import sympy

from .primitives import PRIMITIVES, UNARY
from .tree import R, ExpressionError, call, const

DISTANCE = sympy.Symbol("r", positive=True)


class Sum_j(sympy.Function):
    """Σ_{j≠i} g(r_ij)·f(r_ij) over the neighbours j of atom i; non-negative when its terms g are."""
    nargs = 1

    def _eval_is_nonnegative(self):
        return self.args[0].is_nonnegative

    def _sympystr(self, printer):
        return f"sum({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        text = rf"\sum_{{j}} \left({printer._print(self.args[0])}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


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
    expr = _convert(node, number)
    return sympy.simplify(expr.replace(lambda e: isinstance(e, Sum_j), _split_sum))


def latex(node, snap=1e-3, digits=6):
    """LaTeX of `simplify(node, snap)` with r written r_{ij} and floats rounded to `digits` significant digits."""
    expr = simplify(node, snap)
    expr = expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})
    return sympy.latex(expr, symbol_names={DISTANCE: "r_{ij}"})


def from_sympy(expr):
    """The tree of a SymPy expression built from r, numbers, Sum_j, + - * / ^ and the unary primitives.

    Sums of many terms and products of many factors become left-nested binary nodes (a term with a minus sign
    becomes a subtraction, a factor x^-1 a division); numeric subexpressions become constants.
    """
    if isinstance(expr, Sum_j):
        return call("sum", from_sympy(expr.args[0]))
    if expr.is_Symbol:
        if expr.name != DISTANCE.name:
            raise ExpressionError(f"unknown symbol {expr.name!r} (only r)")
        return R
    if expr.is_number and not expr.has(Sum_j):
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
    if node.op == "r":
        return DISTANCE
    if node.species or node.op not in PRIMITIVES and node.op != "sum":
        raise ExpressionError("SymPy forms of alloy formulas (species-filtered sums, per-species terms) are not "
                              "written yet")
    children = [_convert(c, number, node.op == "^" and k == 1) for k, c in enumerate(node.children)]
    return Sum_j(*children) if node.op == "sum" else PRIMITIVES[node.op].sympy_fn(*children)


def _split_sum(total):
    """Σ g as a linear combination of sums of r-dependent terms, g simplified first."""
    pair = sympy.expand_mul(sympy.simplify(total.args[0]))
    parts = (term.as_independent(DISTANCE, as_Add=False) for term in sympy.Add.make_args(pair))
    return sympy.Add(*(coefficient * Sum_j(term) for coefficient, term in parts))


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
