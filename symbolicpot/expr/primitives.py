"""The primitive table: every operation a formula may use, with its derivatives.

One record per primitive serves the parser (names, infix symbols, precedence), SymPy conversion, the random
generators of `symbolicpot.operators` (which primitives are on by default), the compiled evaluator (opcodes, and
`partials`: the numba function of its value and derivatives, which the kernels dispatch to by opcode with one
specialised loop each, generated from this table), the exporters (the value on constants as the evaluator computes
it, NumPy for tables, C++ and second-order jets for the plugin's unary functions and pair tables) and the cost model
(`priced_as`: the cost-table kind it is priced as). tests/test_primitives.py checks every record is complete and
consistent everywhere.
"""
from dataclasses import dataclass, replace
import math

import numba
import numpy as np
import sympy

# Opcodes of the leaves of the flat postfix programs (see symbolicpot.expr.compile); a primitive's opcode is its
# position in the table below, after these.
CONST, INPUT = 0, 1


# The evaluator's value and partial derivatives of each primitive: (a, b, need_b) -> (v, v_a, v_b, v_aa, v_ab, v_bb)
# for v = op(a, b) (b unused by unary ones). Without `need_b` the partials along b may be left 0 (a power with a
# fixed exponent then needs no logarithm). Outside an operation's real domain the value is NaN or ±inf, which the
# evaluator reports as an invalid candidate; partials that do not exist there are 0, so that they never poison a
# tangent that is zero anyway (e.g. d/db of a^b for a <= 0 when b is a fixed exponent).
_kernel = numba.njit(cache=True, inline="always", error_model="numpy")


@_kernel
def _add(a, b, need_b):
    return a + b, 1.0, 1.0, 0.0, 0.0, 0.0


@_kernel
def _sub(a, b, need_b):
    return a - b, 1.0, -1.0, 0.0, 0.0, 0.0


@_kernel
def _mul(a, b, need_b):
    return a * b, b, a, 0.0, 1.0, 0.0


@_kernel
def _div(a, b, need_b):
    inv = 1.0 / b
    v = a * inv
    return v, inv, -v * inv, 0.0, -inv * inv, 2.0 * v * inv * inv


@_kernel
def _pow(a, b, need_b):
    v = a * a if b == 2.0 else a ** b  # a square without libm's pow (~10 ns), as NumPy and C++ compilers square
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


@_kernel
def _exp(a, b, need_b):
    v = math.exp(a)
    return v, v, 0.0, v, 0.0, 0.0


@_kernel
def _log(a, b, need_b):
    inv = 1.0 / a
    return math.log(a) if a > 0.0 else math.nan, inv, 0.0, -inv * inv, 0.0, 0.0


@_kernel
def _sqrt(a, b, need_b):
    v = math.sqrt(a) if a >= 0.0 else math.nan
    v_a = 0.5 / v
    return v, v_a, 0.0, -0.5 * v_a / a, 0.0, 0.0


@_kernel
def _tanh(a, b, need_b):
    v = math.tanh(a)
    v_a = 1.0 - v * v
    return v, v_a, 0.0, -2.0 * v * v_a, 0.0, 0.0


@_kernel
def _sigmoid(a, b, need_b):
    v = 0.5 + 0.5 * math.tanh(0.5 * a)
    v_a = v * (1.0 - v)
    return v, v_a, 0.0, v_a * (1.0 - 2.0 * v), 0.0, 0.0


@dataclass(frozen=True)
class Primitive:
    """An operation of a formula: `symbol` is its infix symbol (binary) or function name (unary)."""
    symbol: str
    arity: int
    default: bool          # in the default primitive set of the search
    precedence: int        # infix binding strength; unary functions bind as calls (4)
    sympy_fn: object       # the SymPy form
    fold: object           # the value on Python floats as the evaluator computes it (NaN outside the domain)
    numpy: object          # the vectorised value (eam/fs tables)
    partials: object       # the evaluator's value and partials (numba, see above)
    cxx: tuple = ()        # unary: (C++ value of the operand {a}, C++ derivative in terms of {a} and the value {v})
    jet: tuple = ()        # unary: (v', v'') as NumPy functions of (a, v), for the plugin's pair tables
    priced_as: str = ""    # the cost models' kind of node it is priced as (fitness.cost); default: its symbol
    opcode: int = -1       # its opcode in compiled programs: set by its position in the table

    def __post_init__(self):
        object.__setattr__(self, "priced_as", self.priced_as or self.symbol)


PRIMITIVES = {p.symbol: replace(p, opcode=INPUT + 1 + k) for k, p in enumerate((
    Primitive("+", 2, True, 1, sympy.Add, lambda a, b: a + b, np.add, _add),
    Primitive("-", 2, True, 1, lambda a, b: a - b, lambda a, b: a - b, np.subtract, _sub),
    Primitive("*", 2, True, 2, sympy.Mul, lambda a, b: a * b, np.multiply, _mul),
    Primitive("/", 2, True, 2, lambda a, b: a / b, lambda a, b: a * (1.0 / b), np.divide, _div),
    Primitive("^", 2, True, 3, sympy.Pow, math.pow, np.power, _pow),
    Primitive("exp", 1, False, 4, sympy.exp, math.exp, np.exp, _exp, ("std::exp({a})", "{v}"),
              (lambda a, v: v, lambda a, v: v)),
    Primitive("log", 1, False, 4, sympy.log, lambda a: math.log(a) if a > 0.0 else math.nan, np.log, _log,
              ("std::log({a})", "1.0 / {a}"), (lambda a, v: 1.0 / a, lambda a, v: -1.0 / (a * a))),
    Primitive("sqrt", 1, False, 4, sympy.sqrt, lambda a: math.sqrt(a) if a >= 0.0 else math.nan, np.sqrt, _sqrt,
              ("std::sqrt({a})", "0.5 / {v}"), (lambda a, v: 0.5 / v, lambda a, v: -0.25 / (v * a))),
    Primitive("tanh", 1, False, 4, sympy.tanh, math.tanh, np.tanh, _tanh, ("std::tanh({a})", "1.0 - {v} * {v}"),
              (lambda a, v: 1.0 - v * v, lambda a, v: -2.0 * v * (1.0 - v * v))),
    # the smooth step 1/(1 + e^-a), as 1/2 + tanh(a/2)/2 (no overflow for any a); priced as the tanh it calls
    Primitive("sigmoid", 1, False, 4, lambda a: (1 + sympy.tanh(a / 2)) / 2, lambda a: 0.5 + 0.5 * math.tanh(0.5 * a),
              lambda a: 0.5 + 0.5 * np.tanh(0.5 * a), _sigmoid,
              ("0.5 + 0.5 * std::tanh(0.5 * {a})", "{v} * (1.0 - {v})"),
              (lambda a, v: v * (1.0 - v), lambda a, v: v * (1.0 - v) * (1.0 - 2.0 * v)), priced_as="tanh"),
))}
BINARY = tuple(s for s, p in PRIMITIVES.items() if p.arity == 2)
UNARY = tuple(s for s, p in PRIMITIVES.items() if p.arity == 1)
DEFAULT_PRIMITIVES = tuple(s for s, p in PRIMITIVES.items() if p.default)
ARITY = np.zeros(INPUT + 1 + len(PRIMITIVES), np.int64)  # by opcode; leaves have arity 0
ARITY[[p.opcode for p in PRIMITIVES.values()]] = [p.arity for p in PRIMITIVES.values()]
# (opcode, partials) of every primitive: the kernels' dispatch is generated from it (evaluate.kernels._dispatch)
PARTIALS = tuple((p.opcode, p.partials) for p in PRIMITIVES.values())
POW, EXP = PRIMITIVES["^"].opcode, PRIMITIVES["exp"].opcode  # the batched kernels' vectorised special cases
