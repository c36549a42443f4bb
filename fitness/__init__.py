"""Objectives of the search: errors against the data (more objectives come with the search)."""
from .errors import ErrorWeights, Residuals, error_metrics, errors_by_group
