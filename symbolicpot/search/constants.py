"""Constant tuning: linear scaling, CMA-ES (batched evaluation) for exponents, conjugate gradient to polish.

All optimizers work in relative coordinates θ = θ0 + s·x with s = |θ0| (1 where θ0 = 0), so that prefactors of
hundreds and exponents near 1 move on the same scale.
"""
from dataclasses import dataclass

import cma
import numpy as np
from scipy.optimize import minimize

from ..evaluate import Prediction
from ..expr.tree import call, const, constants, walk, with_constants

INVALID = 1e300  # objective CMA-ES sees for an invalid constant vector (it wants finite numbers)


@dataclass(frozen=True)
class TuningConfig:
    """Per-candidate budget of constant tuning."""
    cg_iterations: int = 30      # conjugate-gradient iterations (each ~2 evaluations with gradients)
    cma_evaluations: int = 240   # CMA-ES budget (constant vectors) for formulas with a constant exponent; 0: never
    cma_popsize: int = 12        # constant vectors per CMA-ES generation, evaluated in one batched call
    cma_sigma: float = 0.1       # CMA-ES initial step, relative to each constant

    def __post_init__(self):
        for name in ("cg_iterations", "cma_evaluations", "cma_popsize"):
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

    a and b start from their least-squares values; CMA-ES (seeded from `rng`) runs first when T has a constant
    exponent (the multimodal case), conjugate gradient polishes.
    """
    prediction = evaluator(term)
    if not prediction.ok:
        return None
    model = scaled(term, *residuals.linear_scaling(prediction))
    if config.cma_evaluations and _has_constant_exponent(term):
        model = _cma_es(evaluator, residuals, model, rng, config)
    model, objective = fit_constants_cg(evaluator, model, residuals, max_iter=config.cg_iterations)
    return (model, objective) if np.isfinite(objective) else None


def fit_constants_cg(evaluator, formula, residuals, max_iter=500, gtol=1e-10):
    """Tune the constants of `formula` to minimise `residuals.objective`; returns (tuned formula, objective).

    Uses the evaluator's analytic gradients of energies, forces and stresses. An invalid start is returned
    unchanged with objective inf; the result is never worse than the start.
    """
    theta0, step = _relative_coordinates(formula)

    def objective_and_gradient(x):
        prediction = evaluator(formula, theta0 + step * x, gradients=True)
        if prediction.ok:
            r = residuals(prediction)
            with np.errstate(over="ignore", invalid="ignore"):  # huge but finite predictions: treated as invalid
                value, gradient = float(r @ r), 2.0 * (residuals.jacobian(prediction).T @ r) * step
            if np.isfinite(value) and np.isfinite(gradient).all():
                return value, gradient
        return np.inf, np.zeros_like(x)

    start, _ = objective_and_gradient(np.zeros_like(theta0))
    if not np.isfinite(start) or theta0.size == 0 or max_iter == 0:
        return formula, start
    result = minimize(objective_and_gradient, np.zeros_like(theta0), jac=True, method="CG",
                      options={"maxiter": max_iter, "gtol": gtol})
    if not result.fun < start:
        return formula, start
    return with_constants(formula, theta0 + step * result.x), float(result.fun)


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
