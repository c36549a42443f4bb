"""Constant tuning: linear scaling, CMA-ES (batched evaluation) for exponents, a gradient method to polish.

All optimizers work in relative coordinates θ = θ0 + s·x with s = |θ0| (1 where θ0 = 0), so that prefactors of
hundreds and exponents near 1 move on the same scale.
"""
from dataclasses import dataclass

import cma
import numpy as np
from scipy.optimize import least_squares, minimize

from ..evaluate import Prediction
from ..expr.tree import call, const, constants, walk, with_constants

INVALID = 1e300  # objective CMA-ES sees for an invalid constant vector (it wants finite numbers)


@dataclass(frozen=True)
class TuningConfig:
    """Per-candidate budget of constant tuning."""
    # Final local method: "cg" (conjugate gradient) or "lm" (Levenberg–Marquardt: far better constants, but on
    # rank-deficient Jacobians scipy's LM sometimes takes a different step in another process, which breaks
    # same-seed-same-front and exact resume; "cg" stays the default until that is understood).
    polish: str = "cg"
    polish_evaluations: int = 40  # its budget: LM evaluations (each with Jacobians) or CG iterations
    cma_evaluations: int = 240   # CMA-ES budget (constant vectors) for formulas with a constant exponent; 0: never
    cma_popsize: int = 12        # constant vectors per CMA-ES generation, evaluated in one batched call
    cma_sigma: float = 0.1       # CMA-ES initial step, relative to each constant

    def __post_init__(self):
        if self.polish not in ("lm", "cg"):
            raise ValueError(f"TuningConfig.polish: must be 'lm' or 'cg', got {self.polish!r}")
        for name in ("polish_evaluations", "cma_evaluations", "cma_popsize"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"TuningConfig.{name}: must be an integer >= 0, got {value!r}")
        if not self.cma_sigma > 0:
            raise ValueError(f"TuningConfig.cma_sigma: must be > 0, got {self.cma_sigma!r}")


def scaled(term, scale, shift):
    """The model a·T + b of an evolved term T: scale a (unitless) and per-atom energy shift b (eV)."""
    return call("+", call("*", const(scale), term), const(shift))


def unscaled(model):
    """(T, a, b) of a model built by `scaled`."""
    product, shift = model.children
    return product.children[1], product.children[0].value, shift.value


def tune(evaluator, residuals, term, rng, config=TuningConfig()):
    """Tune the constants of the model a·T + b on one dataset; returns (model, objective) or None if invalid.

    a and b start from their least-squares values. The local method (Levenberg–Marquardt or conjugate gradient)
    polishes that start and, when T has a constant exponent (the multimodal case), also the best point of a
    CMA-ES search (seeded from `rng`) around it; the better result wins.
    """
    prediction = evaluator(term)
    if not prediction.ok:
        return None
    starts = [scaled(term, *residuals.linear_scaling(prediction))]
    if config.cma_evaluations and _has_constant_exponent(term):
        starts.append(_cma_es(evaluator, residuals, starts[0], rng, config))
    model, objective = min((fit_constants(evaluator, start, residuals, config.polish, config.polish_evaluations)
                            for start in starts), key=lambda result: result[1])
    return (model, objective) if np.isfinite(objective) else None


def fit_constants(evaluator, formula, residuals, method="lm", max_evaluations=500):
    """Tune the constants of `formula` to minimise `residuals.objective`; returns (tuned formula, objective).

    Both methods use the evaluator's analytic Jacobians of energies, forces and stresses. "lm": Levenberg–Marquardt
    (scipy.optimize.least_squares) on the residual vector, `max_evaluations` function evaluations; "cg": conjugate
    gradient (scipy.optimize.minimize) on Σ r², `max_evaluations` iterations. LM is the default: from four
    Sutton–Chen-like starts on POET's EAM_Cu it reached objectives 10 to 10¹¹ times lower than CG with the same
    number of evaluations. An invalid start is returned unchanged with objective inf; the result is never worse
    than the start.
    """
    theta0, step = _relative_coordinates(formula)
    last = {}

    def residuals_and_jacobian(x):
        """(r, dr/dx) at x, or None where the formula is invalid; the last point is kept (LM asks twice)."""
        key = x.tobytes()
        if key not in last:
            last.clear()
            prediction = evaluator(formula, theta0 + step * x, gradients=True)
            last[key] = None
            if prediction.ok:
                with np.errstate(over="ignore", invalid="ignore"):  # huge but finite predictions: invalid
                    r, jacobian = residuals(prediction), residuals.jacobian(prediction) * step
                    if np.isfinite(r @ r) and np.isfinite(jacobian).all():
                        last[key] = r, jacobian
        return last[key]

    x0 = np.zeros_like(theta0)
    start = residuals_and_jacobian(x0)
    if start is None:
        return formula, np.inf
    start_objective = float(start[0] @ start[0])
    if theta0.size == 0 or max_evaluations == 0:
        return formula, start_objective
    if method == "lm" and start[0].size >= theta0.size:
        invalid = np.full(start[0].size, 1e100), np.zeros_like(start[1])
        result = least_squares(lambda x: (residuals_and_jacobian(x) or invalid)[0], x0,
                               jac=lambda x: (residuals_and_jacobian(x) or invalid)[1], method="lm",
                               max_nfev=max_evaluations, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        x, objective = result.x, 2.0 * float(result.cost)
    elif method in ("lm", "cg"):  # LM needs at least as many residuals as constants; CG does not
        def objective_and_gradient(x):
            found = residuals_and_jacobian(x)
            if found is None:
                return np.inf, np.zeros_like(x)
            with np.errstate(over="ignore", invalid="ignore"):  # finite but huge residuals: an invalid point too
                objective, gradient = float(found[0] @ found[0]), 2.0 * found[1].T @ found[0]
            return (objective, gradient) if np.isfinite(objective) and np.isfinite(gradient).all() else (
                np.inf, np.zeros_like(x))
        result = minimize(objective_and_gradient, x0, jac=True, method="CG",
                          options={"maxiter": max_evaluations, "gtol": 1e-12})
        x, objective = result.x, float(result.fun)
    else:
        raise ValueError(f"unknown constant-tuning method {method!r} (lm, cg)")
    if not objective < start_objective:
        return formula, start_objective
    return with_constants(formula, theta0 + step * x), objective


def _cma_es(evaluator, residuals, formula, rng, config):
    """CMA-ES over all constants of `formula`, each generation one batched evaluation; returns the best formula."""
    theta0, step = _relative_coordinates(formula)
    options = {"seed": int(rng.integers(1, 2 ** 31 - 1)), "popsize": config.cma_popsize, "verbose": -9,
               "maxfevals": config.cma_evaluations, "tolfun": 1e-12}
    strategy = cma.CMAEvolutionStrategy(np.zeros_like(theta0), config.cma_sigma, options)
    best_x, best_f = np.zeros_like(theta0), residuals.objective(evaluator(formula))
    while not strategy.stop():
        xs = np.array(strategy.ask())
        ok, energy, forces, stress = evaluator.batch(formula, theta0 + step * xs)
        values = [residuals.objective(Prediction(bool(ok[m]), energy[m], forces[m], stress[m])) if ok[m] else INVALID
                  for m in range(len(xs))]
        strategy.tell(list(xs), [min(v, INVALID) for v in values])
        m = int(np.argmin(values))
        if values[m] < best_f:
            best_x, best_f = xs[m], values[m]
    return with_constants(formula, theta0 + step * best_x)


def _relative_coordinates(formula):
    theta0 = np.array(constants(formula), dtype=float)
    return theta0, np.where(theta0 != 0.0, np.abs(theta0), 1.0)


def _has_constant_exponent(term):
    return any(n.op == "^" and n.children[1].op == "const" for n in walk(term))
