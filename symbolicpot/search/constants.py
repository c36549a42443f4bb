"""Constant tuning by variable projection: linear coefficients by least squares, the rest by CMA-ES and a polish.

An evolved term T = ±T_1 ± T_2 ± … (its additive parts at the top level) is scored as the model Σ_k c_k·T_k + b.
For every value of the constants θ inside the parts T_k that hold a sum (`sum` or `sum3`), the coefficients c_k
and the per-atom energy reference b are solved by least squares (variable projection, Golub & Pereyra 1973), so the
optimizers move θ alone. This matters: with c free, a move of an exponent must be matched by a move of a prefactor
orders of magnitude away along a curved valley, and from Sutton–Chen-shaped starts the local methods rarely reached
the optimum; on the projected error they do. Sum-free parts of T are constant per atom: b absorbs them.

On alloy data b is one reference per species (b_s per atom of species s: DFT's reference energies differ per
element), written as a block `+ {Ni: b_Ni; Al: b_Al}`; a per-species T (`Ni: T_Ni; Al: T_Al`) gets each species'
own model Σ_k c_{s,k}·T_{s,k} + b_s, each part evaluated on its species' atoms only.

The optimizers work in relative coordinates θ = θ0 + s·x with s = |θ0| (1 where θ0 = 0), so that prefactors of
hundreds and exponents near 1 move on the same scale.
"""
from dataclasses import dataclass
from typing import NamedTuple

import cma
import numpy as np
from scipy.optimize import least_squares, minimize

from ..evaluate import Prediction
from ..operators import held_constants
from ..expr.tree import (by_species, call, const, constants, species_terms, sums, three_body_sums, walk,
                         with_constants)
from ..settings import SettingError

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
    cache_size: int = 4096       # structures whose best tuning an island remembers (least recently used go first)

    def __post_init__(self):
        if self.polish not in ("lm", "cg"):
            raise SettingError("TuningConfig", "polish", f"must be 'lm' or 'cg', got {self.polish!r}")
        if not isinstance(self.cache_size, int) or isinstance(self.cache_size, bool) or self.cache_size < 1:
            raise SettingError("TuningConfig", "cache_size", f"must be an integer >= 1, got {self.cache_size!r}")
        for name, least in (("polish_evaluations", 0), ("cma_evaluations", 0), ("cma_popsize", 2)):  # CMA-ES: μ ≥ 1
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise SettingError("TuningConfig", name, f"must be an integer >= {least}, got {value!r}")
        if not self.cma_sigma > 0:
            raise SettingError("TuningConfig", "cma_sigma", f"must be > 0, got {self.cma_sigma!r}")


def additive_parts(term):
    """The parts of `term` joined by + and − at its top level, left to right (the term itself if it is none)."""
    if term.op in ("+", "-"):
        return [part for child in term.children for part in additive_parts(child)]
    return [term]


def species_parts(term):
    """[(species, T_k)]: the additive parts of each species' term that hold a sum (species "" for a term of every
    atom): the parts the model weighs."""
    return [(species, part) for species, t in species_terms(term).items() for part in additive_parts(t)
            if holds_sum(part)]


def holds_sum(part):
    """Whether `part` holds a sum, pair (`sum`) or three-body (`sum3`)."""
    return bool(sums(part) or three_body_sums(part))


def linear_parts(term):
    """The parts T_k of species_parts, in that order."""
    return [part for _, part in species_parts(term)]


def linear_model(term, coefficients, shift):
    """The model of an evolved term T: Σ_k c_k·T_k + b, or for a per-species T each species' Σ_k c_{s,k}·T_{s,k} +
    b_s. Coefficients c_k: one per linear part (unitless); `shift` b: the per-atom energy reference (eV), a number
    or {species: eV} on alloy data (after the sums of a term for every atom as a block {Ni: b_Ni; ...})."""
    coefficients, models = list(coefficients), dict.fromkeys(species_terms(term))
    if len(coefficients) != len(linear_parts(term)):
        raise ValueError(f"{len(coefficients)} coefficients for {len(linear_parts(term))} linear parts")
    for (species, part), coefficient in zip(species_parts(term), coefficients):
        product = call("*", const(coefficient), part)
        models[species] = product if models[species] is None else call("+", models[species], product)
    if "" in models:
        return call("+", models[""], by_species({name: const(b) for name, b in shift.items()})
                    if isinstance(shift, dict) else const(shift))

    def with_reference(model, b):  # a species' term without a sum is its reference alone
        return const(b) if model is None else call("+", model, const(b))
    return by_species({name: with_reference(model, shift[name] if isinstance(shift, dict) else shift)
                      for name, model in models.items()})


class Tuned(NamedTuple):
    """A tuned term: T with its tuned constants, the coefficients c_k and b of its model, and the error objective."""
    term: object
    coefficients: tuple
    shift: float | dict  # eV/atom; {species: eV/atom} for data of several species (linear_model)
    objective: float


class Projection:
    """The residuals of the model Σ_k c_k·T_k + b as a function of the linear parts' constants θ (postfix order),
    with c and b solved by least squares at every θ. `evaluator` must be `partial` for per-species terms (a part
    of one species' term leaves the other atoms out). θ leaves out the constants tuning holds
    (operators.held_constants: r_out written in a nocut sum, integer powers of cos θ): they keep their values."""

    def __init__(self, evaluator, residuals, term):
        self.evaluator, self.residuals, self.term = evaluator, residuals, term
        self.parts = [by_species({species: part}) if species else part for species, part in species_parts(term)]
        self._bounds = np.cumsum([0] + [len(constants(part)) for part in self.parts])
        self._in_parts = np.array([holds_sum(part) for t in species_terms(term).values() for part in additive_parts(t)
                                   for _ in constants(part)], bool)
        self._values = np.array(constants(term), dtype=float)[self._in_parts]  # of the parts, held ones included
        self._free = ~np.array(held_constants(term, evaluator.cutoff.r_out), bool)[self._in_parts]
        self.theta0 = self._values[self._free]

    def __call__(self, theta, gradients=False):
        """(c, b, r, J) at θ: coefficients, energy reference, residual vector and, with `gradients`, dr/dθ at the
        solved c, b (Kaufman's variable-projection Jacobian); None where the model is invalid."""
        theta = self._with_held(theta)
        predictions = [self.evaluator(part, theta[a:b], gradients)
                       for part, a, b in zip(self.parts, self._bounds[:-1], self._bounds[1:])]
        if not all(p.ok for p in predictions):
            return None
        jacobians = [self.residuals.jacobian(p) for p in predictions] if gradients else None
        return self._solve(predictions, jacobians)

    def batch(self, thetas):
        """The error objective Σ r² of every row of `thetas` ((M, P)), INVALID where the model is invalid."""
        thetas = self._with_held(thetas)
        columns = []  # per part: the Prediction of each row (a part without constants is evaluated once)
        for part, a, b in zip(self.parts, self._bounds[:-1], self._bounds[1:]):
            if a == b:
                columns.append([self.evaluator(part)] * len(thetas))
            else:
                ok, energy, forces, stress = self.evaluator.batch(part, thetas[:, a:b])
                columns.append([Prediction(bool(ok[m]), energy[m], forces[m], stress[m]) for m in range(len(thetas))])
        objectives = []
        for predictions in zip(*columns):
            solved = self._solve(predictions) if all(p.ok for p in predictions) else None
            objectives.append(INVALID if solved is None else min(float(solved[2] @ solved[2]), INVALID))
        return objectives

    def term_with(self, theta):
        """The term with the linear parts' constants θ (its sum-free parts unchanged)."""
        values = np.array(constants(self.term), dtype=float)
        values[self._in_parts] = self._with_held(theta)
        return with_constants(self.term, values)

    def _with_held(self, theta):
        """The constants of the parts ((..., all)) from θ ((..., P)) and the held constants."""
        values = np.broadcast_to(self._values, theta.shape[:-1] + self._values.shape).copy()
        values[..., self._free] = theta
        return values

    def _solve(self, predictions, jacobians=None):
        design = self.residuals.design(predictions)
        if design is None:
            return None
        norms = np.sqrt(np.einsum("ij,ij->j", design, design))
        norms[norms == 0.0] = 1.0  # columns scaled to one norm, so that the rank test does not drop a small one
        u, s, vt = np.linalg.svd(design / norms, full_matrices=False)
        rank = int(np.sum(s > s[0] * max(design.shape) * np.finfo(float).eps))
        u, s, vt = u[:, :rank], s[:rank], vt[:rank]
        solution = vt.T @ ((u.T @ self.residuals.target) / s) / norms
        r = design @ solution - self.residuals.target
        if not np.isfinite(r @ r):
            return None
        k, species = len(predictions), self.residuals.species
        shift = float(solution[k]) if len(species) == 1 else {name: float(b) for name, b in zip(species, solution[k:])}
        if jacobians is None:
            return solution[:k], shift, r, None
        jacobian = np.hstack([c * j for c, j in zip(solution[:k], jacobians)])[:, self._free]
        return solution[:k], shift, r, jacobian - u @ (u.T @ jacobian)


def tune(evaluator, residuals, term, rng, config=TuningConfig()):
    """Tune the constants of an evolved term T on one dataset (see the module docstring); returns Tuned, or None
    when T is invalid (or its Jacobian is where the polish starts).

    When T has a constant exponent (the multimodal case) a CMA-ES search (seeded from `rng`) around its constants
    comes first; the local method (conjugate gradient or Levenberg–Marquardt) polishes the best point found.
    """
    projection = Projection(evaluator, residuals, term)
    theta0, step = _relative_coordinates(projection.theta0)
    if projection(theta0) is None:
        return None
    x = np.zeros_like(theta0)
    if config.cma_evaluations and theta0.size and _has_constant_exponent(projection.parts):  # (its exponents held)
        x = _cma_es(lambda xs: projection.batch(theta0 + step * xs), theta0.size, rng, config)
    x, objective = _minimise(lambda x: _scaled_jacobian(projection(theta0 + step * x, True), step), x,
                             config.polish, config.polish_evaluations)
    if not np.isfinite(objective):  # no finite Jacobian where the polish starts
        return None
    coefficients, shift, _, _ = projection(theta0 + step * x)
    return Tuned(projection.term_with(theta0 + step * x), tuple(float(c) for c in coefficients), shift, objective)


def fit_constants(evaluator, formula, residuals, method="lm", max_evaluations=500):
    """Tune all constants of `formula` to minimise `residuals.objective`; returns (tuned formula, objective).

    Both methods use the evaluator's analytic Jacobians of energies, forces and stresses (see `_minimise`). An
    invalid start is returned unchanged with objective inf; the result is never worse than the start.
    """
    theta0, step = _relative_coordinates(np.array(constants(formula), dtype=float))

    def residuals_and_jacobian(x):
        prediction = evaluator(formula, theta0 + step * x, gradients=True)
        if not prediction.ok:
            return None
        with np.errstate(over="ignore", invalid="ignore"):  # huge but finite predictions: invalid
            return residuals(prediction), residuals.jacobian(prediction) * step

    x, objective = _minimise(residuals_and_jacobian, np.zeros_like(theta0), method, max_evaluations)
    return with_constants(formula, theta0 + step * x), objective


def _minimise(residuals_and_jacobian, x0, method, max_evaluations):
    """(x, Σ r²) after at most `max_evaluations` steps of `method` from x0; never worse than x0 (inf if invalid).

    `residuals_and_jacobian(x)` gives (r, dr/dx) or None where invalid. "lm": Levenberg–Marquardt
    (scipy.optimize.least_squares) on r, `max_evaluations` function evaluations; "cg": conjugate gradient
    (scipy.optimize.minimize) on Σ r², `max_evaluations` iterations. LM needs at least as many residuals as
    unknowns; CG does not.
    """
    last = {}

    def evaluate(x):
        """(r, J) at x, None where invalid (non-finite or overflowing Σ r²); the last point is kept (LM asks twice)."""
        key = x.tobytes()
        if key not in last:
            last.clear()
            found = residuals_and_jacobian(x)
            with np.errstate(over="ignore", invalid="ignore"):
                ok = found is not None and np.isfinite(found[0] @ found[0]) and np.isfinite(found[1]).all()
            last[key] = found if ok else None
        return last[key]

    start = evaluate(x0)
    if start is None:
        return x0, np.inf
    start_objective = float(start[0] @ start[0])
    if x0.size == 0 or max_evaluations == 0:
        return x0, start_objective
    if method == "lm" and start[0].size >= x0.size:
        invalid = np.full(start[0].size, 1e100), np.zeros_like(start[1])
        result = least_squares(lambda x: (evaluate(x) or invalid)[0], x0, jac=lambda x: (evaluate(x) or invalid)[1],
                               method="lm", max_nfev=max_evaluations, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        x, objective = result.x, 2.0 * float(result.cost)
    elif method in ("lm", "cg"):
        def objective_and_gradient(x):
            found = evaluate(x)
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
    return (x, objective) if objective < start_objective else (x0, start_objective)


def _scaled_jacobian(solved, step):
    """(r, dr/dx) of a Projection result at θ = θ0 + step·x, or None."""
    return None if solved is None else (solved[2], solved[3] * step)


def _cma_es(objectives, n, rng, config):
    """The best x found by CMA-ES from 0 ((n,)); `objectives(xs)` scores a generation ((M, n)) in one batch."""
    options = {"seed": int(rng.integers(1, 2 ** 31 - 1)), "popsize": config.cma_popsize, "verbose": -9,
               "maxfevals": config.cma_evaluations, "tolfun": 1e-12}
    strategy = cma.CMAEvolutionStrategy(np.zeros(n), config.cma_sigma, options)
    best_x, best_f = np.zeros(n), objectives(np.zeros((1, n)))[0]
    while not strategy.stop():
        xs = np.array(strategy.ask())
        values = objectives(xs)
        strategy.tell(list(xs), values)
        m = int(np.argmin(values))
        if values[m] < best_f:
            best_x, best_f = xs[m], values[m]
    return best_x


def _relative_coordinates(theta0):
    return theta0, np.where(theta0 != 0.0, np.abs(theta0), 1.0)


def _has_constant_exponent(terms):
    return any(n.op == "^" and n.children[1].op == "const" for term in terms for n in walk(term))
