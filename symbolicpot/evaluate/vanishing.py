"""The check that a sum without the smooth cutoff (`nocut`) vanishes at r_out by itself.

A nocut sum has f ≡ 1 for every bond shorter than r_out and nothing beyond, a hard truncation (as LAMMPS's pair sw at
aσ): when a bond crosses r_out in MD, the energy jumps by the term's value there and the forces by its slope. The
bounds keep both negligible against the NVE drift the project accepts, 1e-6 eV/atom/ps. In a 2000 K silicon melt
(density 0.05 Å⁻³, relative radial speeds ~10 Å/ps, r_out ~4 Å) bonds cross r_out about 10² times per atom per ps;
a crossing changes the term at both ends of the bond (full list) and, in a three-body sum, once for each of up to
~30 other neighbours at each end: ≤ 60 values of g or h. With |g|, |h| ≤ VALUE_BOUND that is ≤ 6e-11 eV per
crossing; with slopes ≤ SLOPE_BOUND a force jump of ≤ 6e-9 eV/Å, which a 1 fs step over ~0.01 Å turns into ≤ 6e-11 eV.
Either way ≤ 1e-8 eV/atom/ps even if every crossing erred the same way: 1 % of the accepted drift. The bounds hold the
term as written (a factor outside the sum scales the jump: SW's terms are exactly 0 at aσ).

Checked: g and dg/dr at r = r_out less one ulp (the longest bond a sum meets); for a three-body sum, h and ∂h/∂r at
r = r_out⁻ for s in (0, r_out⁻] and c in [−1, 1] (GRID steps each), and h and ∂h/∂s with r and s swapped. A value
that is not finite there fails too. The values come from the evaluator's own interpreter (kernels.run_program).
"""
import functools

import numpy as np

from ..expr.compile import compile_formula
from ..expr.tree import ExpressionError, constants, walk
from ..expr.strings import format_expression
from . import kernels

VALUE_BOUND = 1e-12  # |g|, |h| at r_out (eV, as the sum adds them)
SLOPE_BOUND = 1e-10  # |dg/dr|, |∂h/∂r| at r_out (eV/Å)
GRID = 16  # steps of s over (0, r_out] and of c over [−1, 1]


def nocut_faults(program, theta, r_out):
    """{input k: what fails} for the nocut sums of `program` (expr.compile.CompiledFormula; inputs are the pair sums,
    then the three-body sums) that do not vanish at r_out (Å) with constants theta (P,); {} when all do."""
    if all(program.cut):
        return {}
    faults = {}
    for k, (prog, cut) in enumerate(zip((*program.pairs, *program.triplets), program.cut)):
        if not cut:
            fault = _fault(prog, theta[prog.const_ids], *_checked_rows(r_out, 1 if k < program.n_sums else 3))
            if fault:
                faults[k] = fault
    return faults


@functools.lru_cache(maxsize=8)
def _checked_rows(r_out, n_in):
    """The rows (n_in, n) at which a program of n_in inputs is checked, and the input at r_out⁻ in each (n,)."""
    r_top = np.nextafter(r_out, 0.0)
    if n_in == 1:
        return np.array([[r_top]]), np.zeros(1, np.int64)
    step = np.arange(1, GRID + 1) / GRID
    s, c = np.meshgrid(r_top * step, np.linspace(-1.0, 1.0, GRID + 1), indexing="ij")
    ends = np.full(s.size, r_top)
    rows = np.concatenate([np.stack([ends, s.ravel(), c.ravel()]), np.stack([s.ravel(), ends, c.ravel()])], axis=1)
    return rows, np.repeat(np.array([0, 1], np.int64), s.size)


def _fault(prog, consts, inputs, slot):
    """What fails for the program (expr.compile.Program) on inputs (n_in, n), "" when nothing does: a non-finite value,
    or |value| or |∂/∂input slot[b]| of row b beyond the bounds."""
    finite, value, slope = kernels.extremes(prog.code, prog.arg, consts, prog.depth, inputs, slot)
    if not finite:
        return "a value that is not finite"
    if value > VALUE_BOUND or slope > SLOPE_BOUND:
        return (f"|value| up to {value:.3g} (bound {VALUE_BOUND:g}), |slope| up to {slope:.3g} eV/Å "
                f"(bound {SLOPE_BOUND:g})")
    return ""


def check_vanishing(formula, r_out):
    """Raise ExpressionError naming the first nocut sum of `formula` (a typed Node, its own constants) that does not
    vanish at r_out (Å); return the formula otherwise."""
    program = compile_formula(formula)
    faults = nocut_faults(program, np.array(constants(formula)), r_out)
    if faults:
        k, fault = next(iter(faults.items()))
        node = [n for n in walk(formula) if n.op == "sum"] + [n for n in walk(formula) if n.op == "sum3"]
        raise ExpressionError(f"{format_expression(node[k])} does not vanish at r_out = {r_out:g} Å ({fault} at the "
                              "cutoff): a sum without the smooth cutoff (nocut) must vanish there by itself")
    return formula
