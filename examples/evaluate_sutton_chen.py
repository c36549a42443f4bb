"""Evaluate Sutton–Chen on the shipped POET copper data, then recover it from perturbed constants.

Run: python examples/evaluate_sutton_chen.py
"""
from symbolicpot.data import example_path, load
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.expr import constants, format_expression, parse_expression, with_constants
from symbolicpot.fitness import Residuals, error_metrics
from symbolicpot.search import fit_constants

data = load([example_path("sutton_chen")])
evaluator = Evaluator(data, Cutoff(r_in=3.0, r_out=5.0))
sutton_chen = parse_expression("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
print("Sutton-Chen:", error_metrics(evaluator(sutton_chen), data))

perturbed = with_constants(sutton_chen, [1.1 * c for c in constants(sutton_chen)])
print("perturbed by 10 %:", format_expression(perturbed), error_metrics(evaluator(perturbed), data))
fitted, _ = fit_constants(evaluator, perturbed, Residuals(data))
print("fitted:", format_expression(fitted), error_metrics(evaluator(fitted), data))
