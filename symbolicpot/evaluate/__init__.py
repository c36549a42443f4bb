"""The compiled evaluator: energies, analytic forces and virials of formulas on a Dataset."""
from ..cutoff import Cutoff
from .evaluator import EvaluationCounter, Evaluator, Prediction, EV_PER_A3_IN_GPA
from .warm_up import compile_kernels
