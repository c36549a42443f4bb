"""The evolutionary engine: constant tuning, Pareto selection, islands."""
from .constants import TuningConfig, fit_constants, linear_model, tune
