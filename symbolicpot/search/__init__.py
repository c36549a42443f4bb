"""The evolutionary engine and constant tuning."""
from .constants import fit_constants_cg
