"""The primitive table: every operation a formula may use, with its derivatives.

One record per primitive serves the parser (names, infix symbols, precedence), SymPy conversion, the random
generators of `symbolicpot.operators` (which primitives are on by default), the compiled evaluator (opcodes), the
exporters (the value on constants as the evaluator computes it, NumPy for tables, C++ and second-order jets for
the plugin's unary functions and pair tables) and the cost model (its tables are keyed by `symbol`; tests/test_primitives.py checks every record is
complete everywhere). The evaluator's value and derivatives live in `local_partials`, the one numba function that
says what an opcode computes (the kernels dispatch on opcodes with one specialised loop each).
"""
from dataclasses import dataclass
import math

import numba
import numpy as np
import sympy

# Opcodes of the flat postfix programs (see symbolicpot.expr.compile). Leaves first, then primitives.
CONST, INPUT = 0, 1
ADD, SUB, MUL, DIV, POW, EXP, LOG, SQRT, TANH = 2, 3, 4, 5, 6, 7, 8, 9, 10


@dataclass(frozen=True)
class Primitive:
    """An operation of a formula: `symbol` is its infix symbol (binary) or function name (unary)."""
    symbol: str
    arity: int
    opcode: int
    default: bool          # in the default primitive set of the search
    precedence: int        # infix binding strength; unary functions bind as calls (4)
    sympy_fn: object       # the SymPy form
    fold: object           # the value on Python floats as the evaluator computes it (NaN outside the domain)
    numpy: object          # the vectorised value (eam/fs tables)
    cxx: tuple = ()        # unary: (C++ function, C++ derivative in terms of {a} and the value {v})
    jet: tuple = ()        # unary: (v', v'') as NumPy functions of (a, v), for the plugin's pair tables


PRIMITIVES = {p.symbol: p for p in (
    Primitive("+", 2, ADD, True, 1, sympy.Add, lambda a, b: a + b, np.add),
    Primitive("-", 2, SUB, True, 1, lambda a, b: a - b, lambda a, b: a - b, np.subtract),
    Primitive("*", 2, MUL, True, 2, sympy.Mul, lambda a, b: a * b, np.multiply),
    Primitive("/", 2, DIV, True, 2, lambda a, b: a / b, lambda a, b: a * (1.0 / b), np.divide),
    Primitive("^", 2, POW, True, 3, sympy.Pow, math.pow, np.power),
    Primitive("exp", 1, EXP, False, 4, sympy.exp, math.exp, np.exp, ("std::exp", "{v}"),
              (lambda a, v: v, lambda a, v: v)),
    Primitive("log", 1, LOG, False, 4, sympy.log, lambda a: math.log(a) if a > 0.0 else math.nan, np.log,
              ("std::log", "1.0 / {a}"), (lambda a, v: 1.0 / a, lambda a, v: -1.0 / (a * a))),
    Primitive("sqrt", 1, SQRT, False, 4, sympy.sqrt, lambda a: math.sqrt(a) if a >= 0.0 else math.nan, np.sqrt,
              ("std::sqrt", "0.5 / {v}"), (lambda a, v: 0.5 / v, lambda a, v: -0.25 / (v * a))),
    Primitive("tanh", 1, TANH, False, 4, sympy.tanh, math.tanh, np.tanh, ("std::tanh", "1.0 - {v} * {v}"),
              (lambda a, v: 1.0 - v * v, lambda a, v: -2.0 * v * (1.0 - v * v))),
)}
BINARY = tuple(s for s, p in PRIMITIVES.items() if p.arity == 2)
UNARY = tuple(s for s, p in PRIMITIVES.items() if p.arity == 1)
DEFAULT_PRIMITIVES = tuple(s for s, p in PRIMITIVES.items() if p.default)
ARITY = np.zeros(max(p.opcode for p in PRIMITIVES.values()) + 1, np.int64)  # by opcode; leaves have arity 0
ARITY[[p.opcode for p in PRIMITIVES.values()]] = [p.arity for p in PRIMITIVES.values()]


@numba.njit(cache=True, inline="always", error_model="numpy")
def local_partials(op, a, b, need_b):
    """Value of `op(a, b)` (b unused for unary ops) and its partial derivatives.

    Returns (v, v_a, v_b, v_aa, v_ab, v_bb); without `need_b` the partials along b may be left 0 (a power with a
    fixed exponent then needs no logarithm). Outside an operation's real domain the value is NaN or ±inf, which the
    evaluator reports as an invalid candidate; partials that do not exist there are set to 0 so they never poison a
    tangent that is zero anyway (e.g. d/db of a^b for a <= 0 when b is a fixed exponent).
    """
    if op == ADD:
        return a + b, 1.0, 1.0, 0.0, 0.0, 0.0
    if op == SUB:
        return a - b, 1.0, -1.0, 0.0, 0.0, 0.0
    if op == MUL:
        return a * b, b, a, 0.0, 1.0, 0.0
    if op == DIV:
        inv = 1.0 / b
        v = a * inv
        return v, inv, -v * inv, 0.0, -inv * inv, 2.0 * v * inv * inv
    if op == POW:
        v = a ** b
        if a != 0.0:
            inv = 1.0 / a
            v_a = b * v * inv
            v_aa = v_a * (b - 1.0) * inv
        else:
            v_a = b * a ** (b - 1.0)
            v_aa = b * (b - 1.0) * a ** (b - 2.0)
        if need_b and a > 0.0:
            log_a = math.log(a)
            return v, v_a, v * log_a, v_aa, v * inv * (1.0 + b * log_a), v * log_a * log_a
        return v, v_a, 0.0, v_aa, 0.0, 0.0
    if op == EXP:
        v = math.exp(a)
        return v, v, 0.0, v, 0.0, 0.0
    if op == LOG:
        inv = 1.0 / a
        return math.log(a) if a > 0.0 else math.nan, inv, 0.0, -inv * inv, 0.0, 0.0
    if op == SQRT:
        v = math.sqrt(a) if a >= 0.0 else math.nan
        v_a = 0.5 / v
        return v, v_a, 0.0, -0.5 * v_a / a, 0.0, 0.0
    if op == TANH:
        v = math.tanh(a)
        v_a = 1.0 - v * v
        return v, v_a, 0.0, -2.0 * v * v_a, 0.0, 0.0
    return math.nan, 0.0, 0.0, 0.0, 0.0, 0.0
