"""exp and ln in plain float arithmetic, for loops that LLVM should vectorise.

numba compiles math.exp, math.log and x ** y to libm calls, one per element, which keep a loop scalar; these
compile to a few dozen vector instructions instead, and x ** y = exp(y ln x) costs a fraction of libm's pow. Used
by the batched evaluator (`kernels.evaluate_many`), where every power of a CMA-ES population goes through them.
"""
import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

LOG2_E = 1.4426950408889634
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # ln 2 = LN2_HI + LN2_LO, k·LN2_HI exact
INVERSE_FACTORIALS = tuple(1.0 / math.factorial(n) for n in range(14))  # Taylor coefficients of exp
INVERSE_ODDS = tuple(1.0 / (2 * n + 1) for n in range(11))  # Taylor coefficients of atanh, odd powers
SMALLEST_NORMAL = 2.2250738585072014e-308


@intrinsic
def _bitcast(typingctx, x):
    """The int64 with the IEEE-754 bits of a float64 x, or the float64 with the bits of an int64 x."""
    to = types.int64 if x == types.float64 else types.float64

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(to))
    return to(x), codegen


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def exp(x):
    """e^x within 2 ulp; NaN, ±inf and overflow as math.exp, and subnormal results rounded once.

    x = k ln 2 + t with |t| <= ln 2 / 2; e^t by its Taylor series to t^13 (truncation < 1e-17); 2^k built from its
    bits as 2^(k//2)·2^(k - k//2), so that it spans the subnormals too. Beyond ±1400 the result is that of ±1400.
    """
    clamped = x if x > -1400.0 else -1400.0
    clamped = clamped if clamped < 1400.0 else 1400.0
    kf = math.floor(clamped * LOG2_E + 0.5)
    t = (clamped - kf * LN2_HI) - kf * LN2_LO
    p = INVERSE_FACTORIALS[13]
    for n in range(12, -1, -1):
        p = p * t + INVERSE_FACTORIALS[n]
    k = np.int64(kf)
    half = k >> 1
    v = p * _bitcast((half + 1023) << 52) * _bitcast((k - half + 1023) << 52)
    return v if x == x else x


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def log(x):
    """ln x within 3 ulp for a positive normal x, NaN for anything else (≤ 0, subnormal, inf, NaN).

    x = 2^k·a with a in [√½, √2); ln a = 2 atanh(s) = 2(s + s³/3 + … + s²¹/21) with s = (a − 1)/(a + 1), |s| < 0.172
    (truncation < 1e-18).
    """
    bits = _bitcast(x)
    a = _bitcast((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # the significand, in [1, 2)
    k = float((bits >> 52) - 1023)
    if a > 1.4142135623730951:
        a, k = 0.5 * a, k + 1.0
    s = (a - 1.0) / (a + 1.0)
    s2 = s * s
    p = INVERSE_ODDS[10]
    for n in range(9, -1, -1):
        p = p * s2 + INVERSE_ODDS[n]
    v = k * LN2_HI + (2.0 * s * p + k * LN2_LO)
    return v if SMALLEST_NORMAL <= x < math.inf else math.nan
