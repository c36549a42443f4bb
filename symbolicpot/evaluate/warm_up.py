"""Compile the evaluator's numba kernels once, before any island worker needs them.

numba compiles a kernel on its first call and caches the machine code on disk (`cache=True`): the first run on a
machine compiles for about a minute, later runs and every worker process load the cache in about a second.
`compile_kernels` compiles the single and the batched kernel side by side (the batched one in a helper process)
when they are not cached yet, so the workers started after it only load them.
"""
import multiprocessing
import time

import ase.build
import numpy as np

from ..data import Dataset
from ..expr import parse_expression
from . import kernels
from ..cutoff import Cutoff
from .evaluator import Evaluator

_FORMULA = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


def compile_kernels(announce=None):
    """Compile (or load from numba's cache) every kernel the search calls; `announce(text)` is told when this means
    compiling, which takes a minute or two, and how long it took."""
    missing = [kernel for kernel in (kernels.evaluate, kernels.evaluate_many) if not _cached(kernel)]
    if not missing:
        _call_kernels()
        return
    if announce:
        announce("compiling the evaluator's numba kernels (first run on this machine only, about a minute; "
                 "later runs and the island workers load them from numba's cache)")
    begin = time.monotonic()
    helper = None
    if len(missing) == 2:  # the batched kernel in a helper process while this one compiles the single one
        helper = multiprocessing.get_context("spawn").Process(target=_call_kernels, args=(False,), daemon=True)
        helper.start()
    _call_kernels(single=True, batched=helper is None)
    if helper is not None:
        helper.join()
        _call_kernels(single=False)  # loads what the helper cached (compiles it if the helper failed)
    if announce:
        announce(f"kernels compiled in {time.monotonic() - begin:.0f} s")


def _cached(kernel):
    """Whether numba's on-disk cache holds machine code of `kernel` for the current source (numba internals; when
    they cannot tell, the kernel counts as not cached, which only costs an announcement)."""
    try:
        return bool(kernel._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - any change of numba's internals
        return False


def _call_kernels(single=True, batched=True):
    """Evaluate Sutton–Chen on a 4-atom copper cell with the kernels asked for (so that numba compiles them)."""
    atoms = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True)
    dataset = Dataset((atoms,), np.zeros(1), np.zeros((4, 3)), np.zeros((1, 6)), np.zeros(1, int), ("warm-up",),
                      ("warm-up",))
    evaluator, formula = Evaluator(dataset, Cutoff()), parse_expression(_FORMULA)
    if single:
        evaluator(formula, gradients=True)
    if batched:
        evaluator.batch(formula, np.array([[644.52, -9.0, 527.62, -6.0, 0.5]] * 2))
