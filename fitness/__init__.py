"""Objectives of the search: errors against the data, evaluation cost (more objectives come with the search)."""
from .errors import ErrorWeights, Residuals, error_metrics, errors_by_group
from .cost import DEFAULT_COST_MODEL, DEFAULT_COST_MODELS, TARGETS, CostModel, fit_cost_model
