"""Infix text: exact round trips, the parsing rules, and error positions."""
import pytest
from hypothesis import given, settings

from strategies import any_finite_float, atom_trees, pair_trees
from symbolicpot.expr import (UNARY, ExpressionError, ParseError, R, call, const, constants, format_expression,
                              parse_expression)
from symbolicpot.expr.compile import compile_formula
from symbolicpot.expr.strings import MAX_DEPTH, MAX_LENGTH, MAX_NODES, QUOTE
from symbolicpot.expr.symbolic import latex
from symbolicpot.export.lammps import pair_style_source
from symbolicpot.export.potential import Potential

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


def s(g):
    return call("sum", g)


def assert_round_trip(tree):
    text = format_expression(tree)
    back = parse_expression(text)
    assert back == tree, text
    assert [repr(v) for v in constants(back)] == [repr(v) for v in constants(tree)], text  # -0.0 keeps its sign


@settings(max_examples=200, deadline=None)
@given(atom_trees(unary=UNARY, constants=any_finite_float()))
def test_formulas_round_trip(tree):
    assert_round_trip(tree)


@settings(max_examples=200, deadline=None)
@given(pair_trees(unary=UNARY, constants=any_finite_float()))
def test_pair_expressions_round_trip(g):
    assert_round_trip(s(g))


@pytest.mark.parametrize("value", [0.1, -9.0, 1e-300, 1e300, -0.0, 5e-324, -1.7976931348623157e308, 1 / 3, 2.0**60])
@pytest.mark.parametrize("place", ["alone", "base", "exponent", "right of minus", "right of divide", "left of times"])
def test_constants_round_trip_everywhere(value, place):
    c = const(value)
    tree = {"alone": c, "base": call("^", c, s(R)), "exponent": s(call("^", R, c)),
            "right of minus": call("-", s(R), c), "right of divide": call("/", s(R), c),
            "left of times": call("*", c, s(R))}[place]
    assert_round_trip(tree)


@pytest.mark.parametrize("value, text", [(-9.0, "-9"), (0.1, "0.1"), (1e-05, "1e-05"), (1e300, "1e+300"),
                                         (-0.0, "-0"), (2500.0, "2500")])
def test_constant_text(value, text):
    assert format_expression(const(value)) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_constants_have_no_text(value):
    with pytest.raises(ExpressionError):
        format_expression(call("+", const(1), const(value)))


def test_sutton_chen_parses_to_the_expected_tree():
    pair = lambda c, n: s(call("*", const(c), call("^", R, const(n))))
    expected = call("-", pair(644.52, -9), call("^", pair(527.62, -6), const(0.5)))
    assert parse_expression(SUTTON_CHEN) == expected
    assert format_expression(expected) == SUTTON_CHEN


a, b, c = (s(call("*", const(k), R)) for k in (2, 3, 5))


@pytest.mark.parametrize("text, tree", [
    ("-2^2", call("*", const(-1), call("^", const(2), const(2)))),
    ("-3*sum(r)", call("*", const(-3), s(R))),
    ("sum(r^-9)", s(call("^", R, const(-9)))),
    ("sum(-r)", s(call("*", const(-1), R))),
    ("-(3)", call("*", const(-1), const(3))),
    ("--3", call("*", const(-1), const(-3))),
    ("2^-3^2", call("^", const(2), call("*", const(-1), call("^", const(3), const(2))))),
    ("2^3^4", call("^", const(2), call("^", const(3), const(4)))),
    ("1 - 2 - 3", call("-", call("-", const(1), const(2)), const(3))),
    ("1/2/3", call("/", call("/", const(1), const(2)), const(3))),
    ("1 + 2*3^4", call("+", const(1), call("*", const(2), call("^", const(3), const(4))))),
    ("2.5E+3 * 1e-05", call("*", const(2500), const(1e-5))),
    (" exp ( sum( tanh(r) ) )\n", call("exp", s(call("tanh", R)))),
])
def test_parsing_rules(text, tree):
    assert parse_expression(text) == tree


@pytest.mark.parametrize("tree, text", [
    (call("-", a, call("-", b, c)), "sum(2*r) - (sum(3*r) - sum(5*r))"),
    (call("-", call("-", a, b), c), "sum(2*r) - sum(3*r) - sum(5*r)"),
    (call("+", a, call("+", b, c)), "sum(2*r) + (sum(3*r) + sum(5*r))"),
    (call("/", a, call("*", b, c)), "sum(2*r)/(sum(3*r)*sum(5*r))"),
    (call("^", call("^", a, b), c), "(sum(2*r)^sum(3*r))^sum(5*r)"),
    (call("^", a, call("^", b, c)), "sum(2*r)^sum(3*r)^sum(5*r)"),
    (call("-", a, const(-2)), "sum(2*r) - -2"),
    (call("*", const(-1), a), "-1*sum(2*r)"),
    (call("^", const(2), const(-1)), "2^-1"),
    (call("^", const(-2), a), "(-2)^sum(2*r)"),
    (call("^", const(-0.0), const(2)), "(-0)^2"),
    (call("^", call("^", a, const(-9)), const(2)), "(sum(2*r)^-9)^2"),
    (call("^", a, call("*", const(-1), b)), "sum(2*r)^(-1*sum(3*r))"),
    (call("*", call("+", a, b), call("-", b, c)), "(sum(2*r) + sum(3*r))*(sum(3*r) - sum(5*r))"),
])
def test_minimal_parentheses(tree, text):
    assert format_expression(tree) == text
    assert parse_expression(text) == tree


@pytest.mark.parametrize("text, position", [
    ("", 0),
    ("   ", 3),
    ("sum(r", 5),
    ("sum(r))", 6),
    ("(sum(r)", 7),
    ("sum(r) 2", 7),
    ("sum(r)**2", 6),
    ("sum(r) + $", 9),
    ("sum(r) +", 8),
    ("sum(2*)", 6),
    ("r + 1", 0),
    ("sum(r) + r", 9),
    ("sum(sum(r))", 4),
    ("exp(1, 2)", 0),
    ("sum()", 4),
    ("cosh(1)", 0),
    ("exp 2", 4),
    ("1e999", 0),
    ("sum(r^^2)", 6),
])
def test_error_positions(text, position):
    with pytest.raises(ParseError) as caught:
        parse_expression(text)
    assert caught.value.position == position
    message = str(caught.value)
    assert f"at position {position}" in message
    assert message.splitlines()[-1] == "  " + " " * position + "^"


def test_error_message_quotes_the_text():
    with pytest.raises(ParseError, match=r"unexpected '\)' at position 12\n  sum\(r\^-9\) \+ \)\n {14}\^"):
        parse_expression("sum(r^-9) + )")


def test_long_text_is_quoted_in_a_window_with_the_caret_under_the_fault():
    text = "sum(r^-9) + " * 50 + ")"
    with pytest.raises(ParseError) as caught:
        parse_expression(text)
    _, quoted, caret = str(caught.value).splitlines()
    assert len(quoted) <= 2 + QUOTE + 6 and quoted.startswith("  ...")  # the window and its two '...'
    assert quoted[len(caret) - 1] == ")"


@pytest.mark.parametrize("text, message", [
    ("sum(" + "(" * 400 + "r" + ")" * 400 + ")", f"nests deeper than {MAX_DEPTH} levels"),
    ("sum(" + "exp(" * 200 + "r" + ")" * 200 + ")", f"nests deeper than {MAX_DEPTH} levels"),
    ("sum(" + "-" * 300 + "r)", f"nests deeper than {MAX_DEPTH} levels"),
    ("sum(" + "^".join(["r"] * 300) + ")", f"nests deeper than {MAX_DEPTH} levels"),
    (" + ".join(["sum(r^-2)"] * 1000), f"formula of 4999 nodes and 1002 levels"),
    ("sum(" + " + ".join(["r"] * (MAX_DEPTH + 1)) + ")", f"at most {MAX_NODES} nodes and {MAX_DEPTH} levels"),
    ("sum(r)" + " " * MAX_LENGTH, f"longer than {MAX_LENGTH} characters"),
])
def test_text_beyond_the_limits_is_refused_before_any_recursion_runs_out(text, message):
    """Every pass over a formula recurses; the limits keep them all within Python's 1000 frames."""
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)


def test_the_deepest_formula_within_the_limits_passes_every_recursive_pass():
    terms = MAX_DEPTH - 3  # a chain of k sum(c*r^-2) is k - 1 + 4 levels deep (the root is level 1): MAX_DEPTH
    tree = parse_expression(" + ".join(f"sum({k + 1}*r^-2)" for k in range(terms)))
    assert parse_expression(format_expression(tree)) == tree and len(constants(tree)) == 2 * terms
    assert latex(tree).startswith(f"{terms * (terms + 1) // 2} \\sum_{{j}}")  # SymPy gathered every term
    assert compile_formula(tree).n_constants == 2 * terms
    assert f"  dg[{terms - 1}] = " in pair_style_source(Potential(format_expression(tree)), "deep")  # one per sum
