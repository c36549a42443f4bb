"""Objectives of the search: errors against the data, evaluation cost (more objectives come with the search)."""
from .errors import ErrorWeights, Residuals, error_metrics, errors_by_group
from .cost import (DEFAULT_COST_MODEL, CostModel, calibrate, fit_cost_model, mean_neighbours, random_valid_formulas,
                   rank_correlation, targeted_formulas, time_formulas)
