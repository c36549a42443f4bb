"""The names of the error metrics (symbolicpot.fitness.error_metrics) that front.json, compare and every table carry:
the one place they are set, light to import (reading a front must not load the evaluator)."""

ERRORS = ("energy_rmse_mev_per_atom", "energy_mae_mev_per_atom", "force_rmse_ev_per_a", "force_mae_ev_per_a",
          "stress_rmse_gpa")  # meV/atom, eV/Å, GPa; None where the data hold no such labels
COUNTS = ("n_configs", "n_atoms")  # what they were computed over
TITLES = {"energy_rmse_mev_per_atom": "E RMSE meV/at", "energy_mae_mev_per_atom": "E MAE meV/at",
          "force_rmse_ev_per_a": "F RMSE eV/Å", "force_mae_ev_per_a": "F MAE eV/Å", "stress_rmse_gpa": "S RMSE GPa"}
ERROR_COLUMNS = tuple((TITLES[key], key, ".4g") for key in ERRORS)
"""(title, key, number format) of each error metric: the columns of every metrics table."""
