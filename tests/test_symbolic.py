"""SymPy conversion: faithful values both ways, simplification of POET's Sutton–Chen find, LaTeX."""
import math

import pytest
import sympy

from symbolicpot.expr import ExpressionError, parse_expression
from symbolicpot.expr.symbolic import DISTANCE, Sum_j, from_sympy, latex, simplify, to_sympy

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
POET_FIND = "-0.73 - 2.53*((-0.66*384.39*sum(r^-9.00)) + (0.25/(20.63*sum(r^-6.00)))^-0.5)"
NEIGHBOUR_DISTANCES = (2.3, 2.55, 3.1, 3.6, 4.4)  # Å, one atom's neighbours
FORMULAS = [
    SUTTON_CHEN,
    POET_FIND,
    "sum(2*r^-9 + 3*exp(-r) + 4) - 1/sum(r)",
    "-sum((r - 1)^2/r)^1.5 + log(sum(tanh(r)))*2",
    "exp(-0.5*sum(sqrt(r)/(2*r))) / (sum(r^2) - 3)",
    "1/sum(r)/sum(r^-2) - -2*sum(1)",
]


def value(expr):
    """The number `expr` stands for at one atom whose neighbours sit at NEIGHBOUR_DISTANCES (no cutoff)."""
    def neighbour_total(s):
        return sympy.Add(*(s.args[0].subs(DISTANCE, d) for d in NEIGHBOUR_DISTANCES))
    return float(expr.replace(lambda e: isinstance(e, Sum_j), neighbour_total))


@pytest.mark.parametrize("text", FORMULAS)
def test_from_sympy_keeps_the_value(text):
    tree = parse_expression(text)
    expr = to_sympy(tree)
    assert value(to_sympy(from_sympy(expr))) == pytest.approx(value(expr), rel=1e-12)


@pytest.mark.parametrize("text", FORMULAS)
def test_simplify_keeps_the_value(text):
    tree = parse_expression(text)
    assert value(simplify(tree, snap=0)) == pytest.approx(value(to_sympy(tree)), rel=1e-9)
    assert value(to_sympy(from_sympy(simplify(tree)))) == pytest.approx(value(to_sympy(tree)), rel=1e-9)


def test_sum_prints_as_sum():
    assert str(Sum_j(2 * DISTANCE)) == "sum(2*r)"
    assert sympy.latex(Sum_j(DISTANCE) ** 2) == r"\left(\sum_{j} \left(r\right)\right)^{2}"
    assert str(to_sympy(parse_expression(SUTTON_CHEN))) == "sum(644.52/r**9.0) - sum(527.62/r**6.0)**0.5"


def test_poet_find_simplifies_to_sutton_chen_plus_a_constant():
    expr = simplify(parse_expression(POET_FIND))
    sums = sorted(expr.atoms(Sum_j), key=str)
    assert [s.args[0] for s in sums] == [DISTANCE**-6, DISTANCE**-9]
    repulsion, density = sums[1], sums[0]
    constant, rest = expr.as_independent(Sum_j)
    assert float(constant) == pytest.approx(-0.73)
    terms = dict(term.as_independent(Sum_j, as_Add=False)[::-1] for term in sympy.Add.make_args(rest))
    assert set(terms) == {repulsion, density**sympy.Float(0.5)}
    assert float(terms[repulsion]) == pytest.approx(2.53 * 0.66 * 384.39)
    assert float(terms[density**sympy.Float(0.5)]) == pytest.approx(-2.53 * math.sqrt(20.63 / 0.25))


def test_simplify_uses_linearity_of_sums():
    expr = simplify(parse_expression("sum(2*r^-9 + 3*r^-6.0002)"))
    r = DISTANCE
    assert expr == 2 * Sum_j(r**-9) + 3 * Sum_j(r**-6)


def test_snapping_only_moves_near_integers():
    expr = simplify(parse_expression("sum(r^-8.9995)*0.5"), snap=1e-3)
    assert expr == Sum_j(DISTANCE**-9) * sympy.Float(0.5)
    assert simplify(parse_expression("sum(r^-8.99)"), snap=1e-3) == Sum_j(DISTANCE**sympy.Float(-8.99))


def test_small_prefactors_and_huge_constants_stay_floats():
    """A prefactor 1e-4 of a large sum is not zero; a float of 1e150 is shown as one, not as its 151 digits."""
    assert simplify(parse_expression("0.0001*sum(r^-12)"), snap=1e-3) == sympy.Float(0.0001) * Sum_j(DISTANCE**-12)
    huge = simplify(parse_expression("3.2e150*sum(r^-9)"), snap=1e-3)
    assert huge.atoms(sympy.Float) == {sympy.Float(3.2e150)} and len(str(huge)) < 40


def test_latex_of_sutton_chen():
    text = latex(parse_expression(SUTTON_CHEN))
    assert r"\sum_{j}" in text and "r_{ij}" in text and "644.52" in text


@pytest.mark.parametrize("expr", [sympy.Symbol("x"), sympy.sin(DISTANCE), sympy.I * Sum_j(DISTANCE)])
def test_from_sympy_refuses_what_no_tree_can_say(expr):
    with pytest.raises(ExpressionError):
        from_sympy(expr)
