"""benchmarks/rediscover.py's test of Stillinger–Weber's angular form: h(r, s, c) = a(r, s)·(c − c0)²."""
import pytest

from symbolicpot.expr import parse_expression, three_body_sums


@pytest.fixture(scope="module")
def rediscover(benchmark_script):
    return benchmark_script("rediscover")


def h_of(text):
    return three_body_sums(parse_expression(text))[0]


@pytest.mark.parametrize("text, root", [
    ("sum3((c + 0.3333333333333333)^2*exp(2.51412/(r - 3.77118))*exp(2.51412/(s - 3.77118)))", -1 / 3),  # SW's
    ("sum3(4.2*r^-3*s^-3*(c + 0.33)*(0.33 + c))", -0.33),  # the square written as a product
    ("sum3((1.5*c + 0.5)^2*r*s)", -1 / 3),  # a factor inside the square
    ("sum3(c^2*exp(-r - s) - 0.5*c*exp(-r - s) + 0.0625*exp(-r - s))", 0.25),  # expanded: (c − 1/4)²
])
def test_squares_in_c_give_their_root(rediscover, text, root):
    assert rediscover.angular_root(h_of(text)) == pytest.approx(root, rel=1e-12)


@pytest.mark.parametrize("text", [
    "sum3((c + 0.3333)*r)",  # degree 1
    "sum3((c + 0.3333)^2 + r)",  # not a·(c − c0)²: a term free of c added
    "sum3((c + 0.3333)*(c + 0.5)*r)",  # two roots
    "sum3((c + r)^2)",  # a root that moves with r
    "sum3(exp(c)*r)",  # not a polynomial in c
    "sum3((c + 0.3333)^3*r)",  # degree 3
])
def test_other_angular_parts_are_refused(rediscover, text):
    assert rediscover.angular_root(h_of(text)) is None


def test_stillinger_webers_own_formula_is_the_target_and_a_pair_only_one_is_not(rediscover):
    target = rediscover.TARGETS["stillinger_weber"]
    assert rediscover.has_target_form(parse_expression(rediscover.SW), target)
    assert not rediscover.has_target_form(parse_expression("sum[nocut](exp(2.0951/(r - 3.77118)))"), target)
    assert not rediscover.has_target_form(parse_expression("sum3((c + 0.3)^2*r*s) + sum(r^-4)"), target)  # c0 off
    assert rediscover.has_target_form(parse_expression("sum3((c + 0.34)^2*r^-3*s^-3) + sum(r^-4)"), target)
