"""Every primitive's record is complete and agrees with itself everywhere it is used: the evaluator's kernels, the
value on constants, NumPy, C++ and SymPy forms, and the cost models."""
import math

import ase
import numpy as np
import pytest

from symbolicpot.data import Dataset
from symbolicpot.evaluate import Cutoff, Evaluator, kernels
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.expr.compile import compile_formula
from symbolicpot.expr.primitives import ARITY
from symbolicpot.export.cxx_formula import fold, pair_code
from symbolicpot.expr import PRIMITIVES, constants, parse_expression
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
        assert p.partials(args[0], args[-1], True)[0] == pytest.approx(value, rel=4 * 2.0 ** -52)


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
    assert any(p.cxx[0].format(a="r") in line for line in lines) if p.arity == 1 else lines
    assert to_sympy(tree.children[0]) is not None
    for model in DEFAULT_COST_MODELS.values():
        assert p.priced_as in model.pair_ns and p.priced_as in model.atom_ns


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


def two_copper_atoms(distance=2.5):
    """A Dataset of two unlabelled Cu atoms `distance` Å apart, with an Evaluator of cutoff 3-4 Å."""
    atoms = ase.Atoms("Cu2", positions=[[0, 0, 0], [distance, 0, 0]])
    dataset = Dataset((atoms,), np.full(1, np.nan), np.full((2, 3), np.nan), np.full((1, 6), np.nan), np.zeros(1, int),
                      ("test",), ("test",))
    return Evaluator(dataset, Cutoff(3.0, 4.0))


@pytest.mark.parametrize("symbol", PRIMITIVES)
def test_the_batched_kernels_compute_every_primitive(symbol):
    """Every way the batched path holds an operand: on r alone (once per pair), on constants alone (once per
    vector) and on both; against single calls, bound 1e-12 relative (the batched path computes powers as
    exp(y ln x), within a few ulp, and sums in another order)."""
    if PRIMITIVES[symbol].arity == 1:
        text = f"sum({symbol}(r)) + sum({symbol}(0.9*r)) + {symbol}(1.2)*sum(r)"
    else:
        text = f"sum(r {symbol} 1.3) + sum((0.9*r) {symbol} 1.3) + (1.2 {symbol} 1.1)*sum(r)"
    formula, evaluator = parse_expression(text), two_copper_atoms()
    thetas = np.array(constants(formula)) * np.array([[1.0], [1.01], [0.99]])
    ok, energy, forces, _ = evaluator.batch(formula, thetas)
    for m, theta in enumerate(thetas):
        single = evaluator(formula, theta)
        assert ok[m] and single.ok
        assert energy[m] == pytest.approx(single.energy, rel=1e-12)
        np.testing.assert_allclose(forces[m], single.forces, rtol=1e-12, atol=1e-12 * np.abs(single.forces).max())


def test_an_unknown_opcode_is_an_error_in_both_kernels():
    """No default branch: an opcode past the table's raises, in the single and the batched kernels."""
    evaluator = two_copper_atoms()
    program = compile_formula(parse_expression("sum(exp(r))")).kernel(("Cu",))
    code = program.pair_code.copy()
    code[code == PRIMITIVES["exp"].opcode] = ARITY.size  # one past the last primitive's opcode
    broken = program._replace(pair_code=code)
    with pytest.raises(ValueError, match="unknown opcode"):
        kernels.evaluate(broken, np.zeros(0), False, evaluator._pairs, *evaluator._work(1, 0))
    with pytest.raises(ValueError, match="unknown opcode"):
        kernels.evaluate_many(broken, np.zeros((2, 0)), evaluator._pairs, np.empty(0))


def test_priced_kinds_are_primitives_priced_as_themselves():
    """A primitive priced as another shares that one's cost entries, so the cost tables need no key for it."""
    for p in PRIMITIVES.values():
        assert PRIMITIVES[p.priced_as].priced_as == p.priced_as
