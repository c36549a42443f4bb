"""Active learning (`symbolicpot learn`): grow the training data where MD with the current models goes and the
accurate models of the Pareto front (the committee) disagree, label it, refit. Sits beside run/ (it drives evolve
runs and reads their fronts); nothing below imports it.

explore.py (MD conditions and snapshots, in ASE or LAMMPS), select.py (committee, spread, extrapolation grade,
de-duplicated capped choice), label.py (labellers, the labelled extended XYZ), directory.py (files, state), loop.py
(the iterations, resume).
"""
from .label import LabelError
from .loop import learn, prepare

__all__ = ["LabelError", "learn", "prepare"]
