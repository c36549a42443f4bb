"""Every primitive's record is complete and agrees with itself everywhere it is used: the evaluator's kernels, the
value on constants, NumPy, C++ and SymPy forms, and the cost models."""
import math

import ase
import numpy as np
import pytest

from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.export.cxx_formula import fold, pair_code
from symbolicpot.expr import PRIMITIVES, parse_expression
from symbolicpot.expr.primitives import local_partials
from symbolicpot.expr.symbolic import to_sympy
from symbolicpot.fitness import DEFAULT_COST_MODELS

ARGUMENTS = (0.3, 1.7, 2.5)  # inside every domain (log, sqrt: positive)


def formula(symbol, r="r"):
    """sum(op(r)) or sum(r op 1.3): the primitive applied to a pair distance."""
    return f"sum({symbol}({r}))" if PRIMITIVES[symbol].arity == 1 else f"sum({r} {symbol} 1.3)"


@pytest.mark.parametrize("symbol", PRIMITIVES)
def test_fold_numpy_and_the_kernels_scalar_agree(symbol):
    """Bound 4 ulp: the three call the same libm functions, except numpy's vectorised ones (measured ≤ 1 ulp)."""
    p = PRIMITIVES[symbol]
    for a in ARGUMENTS:
        args = (a,) if p.arity == 1 else (a, 1.3)
        value = fold(symbol, *args)
        assert p.numpy(*map(np.float64, args)) == pytest.approx(value, rel=4 * 2.0 ** -52)
        assert local_partials(p.opcode, args[0], args[-1], True)[0] == pytest.approx(value, rel=4 * 2.0 ** -52)


@pytest.mark.parametrize("symbol", PRIMITIVES)
def test_the_evaluator_computes_every_primitive(symbol):
    """Two atoms 2.5 Å apart (inside r_in: the cutoff is 1): E = 2 g(2.5) (each atom sums its neighbour)."""
    atoms = ase.Atoms("Cu2", positions=[[0, 0, 0], [2.5, 0, 0]])
    ok, energy, *_ = evaluate_structure(parse_expression(formula(symbol)), atoms)
    expected = 2 * fold(symbol, *((2.5,) if PRIMITIVES[symbol].arity == 1 else (2.5, 1.3)))
    assert ok and energy == pytest.approx(expected, rel=4 * 2.0 ** -52)


@pytest.mark.parametrize("symbol", PRIMITIVES)
def test_every_primitive_has_its_cxx_sympy_and_cost(symbol):
    p = PRIMITIVES[symbol]
    tree = parse_expression(formula(symbol))
    lines = pair_code([tree.children[0]])
    assert any(p.cxx[0] in line for line in lines) if p.arity == 1 else lines
    assert to_sympy(tree.children[0]) is not None
    for model in DEFAULT_COST_MODELS.values():
        assert symbol in model.pair_ns and symbol in model.atom_ns


@pytest.mark.parametrize("symbol, argument", [("log", -1.0), ("log", 0.0), ("sqrt", -1.0)])
def test_outside_its_domain_a_primitive_is_not_finite(symbol, argument):
    assert not math.isfinite(PRIMITIVES[symbol].fold(argument))
    with np.errstate(invalid="ignore", divide="ignore"):
        assert not np.isfinite(PRIMITIVES[symbol].numpy(np.float64(argument)))
    with pytest.raises(Exception, match="not finite"):
        fold(symbol, argument)


@pytest.mark.parametrize("symbol", [s for s, p in PRIMITIVES.items() if p.arity == 1])
def test_unary_jets_are_the_derivatives(symbol):
    """The pair tables' first and second derivatives against central differences of the NumPy form (h = 1e-4:
    truncation ~h² and rounding ~1e-16/h² for the second: bound 1e-6 relative)."""
    p, h = PRIMITIVES[symbol], 1e-4
    for a in ARGUMENTS:
        v = p.numpy(a)
        first, second = (rule(a, v) for rule in p.jet)
        assert first == pytest.approx((p.numpy(a + h) - p.numpy(a - h)) / (2 * h), rel=1e-6)
        assert second == pytest.approx((p.numpy(a + h) - 2 * v + p.numpy(a - h)) / h ** 2, rel=1e-6)
