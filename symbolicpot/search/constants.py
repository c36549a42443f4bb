"""Constant tuning: conjugate gradient on the error objective with the evaluator's analytic gradients."""
import numpy as np
from scipy.optimize import minimize

from ..expr.tree import constants, with_constants


def fit_constants_cg(evaluator, formula, residuals, max_iter=500, gtol=1e-10):
    """Tune the constants of `formula` to minimise `residuals.objective`; returns (tuned formula, objective).

    Works in relative coordinates θ = θ0·(1 + x) (θ0 = 1 where a constant starts at 0), so that prefactors of
    hundreds and exponents near 1 move on the same scale. An invalid start is returned unchanged with inf.
    """
    theta0 = np.array(constants(formula), dtype=float)
    scale = np.where(theta0 != 0.0, theta0, 1.0)

    def objective_and_gradient(x):
        theta = theta0 + scale * x
        prediction = evaluator(formula, theta, gradients=True)
        if not prediction.ok:
            return np.inf, np.zeros_like(x)
        r = residuals(prediction)
        return float(r @ r), 2.0 * (residuals.jacobian(prediction).T @ r) * scale

    start, _ = objective_and_gradient(np.zeros_like(theta0))
    if not np.isfinite(start) or theta0.size == 0:
        return formula, start
    result = minimize(objective_and_gradient, np.zeros_like(theta0), jac=True, method="CG",
                      options={"maxiter": max_iter, "gtol": gtol})
    if not result.fun < start:
        return formula, start
    return with_constants(formula, theta0 + scale * result.x), float(result.fun)
