"""Evaluate formulas on a Dataset: energies (eV), forces (eV/Å), stresses (GPa) and their constant gradients."""
from dataclasses import dataclass
import functools
from typing import NamedTuple

import numpy as np
from ase.units import GPa

from ..data import build_neighbours
from ..data.dataset import species_of
from ..data.neighbours import structure_neighbours
from ..expr.compile import compile_formula
from ..expr.tree import constants
from . import kernels
from .vanishing import nocut_faults
from ..cutoff import Cutoff

EV_PER_A3_IN_GPA = 1.0 / GPa  # 160.21766208 (ASE's CODATA 2014 units, as every reader here)


@dataclass(frozen=True)
class Prediction:
    """A formula's output on every configuration. `ok` is False when any value was not finite.

    Gradients (present when asked for) have a last axis over the formula's constants, in postfix order.
    """
    ok: bool
    energy: np.ndarray                   # (C,) eV, total per configuration
    forces: np.ndarray                   # (N, 3) eV/Å, atoms stacked as in the Dataset
    stress: np.ndarray                   # (C, 6) GPa, Voigt xx yy zz yz xz xy, positive = tensile; NaN without a cell
    d_energy: np.ndarray | None = None   # (C, P)
    d_forces: np.ndarray | None = None   # (N, 3, P)
    d_stress: np.ndarray | None = None   # (C, 6, P)
    atom_energy: np.ndarray | None = None  # (N,) eV, the atom terms T_i (their sum per configuration is energy)


class PairArrays(NamedTuple):
    """The neighbour arrays as the kernels take them (one numba tuple): atom i's pairs are first[i]:first[i+1] of the
    centre-sorted list; species are indices into the data's sorted chemical symbols."""
    first: np.ndarray        # (N + 1,) int64
    neighbour: np.ndarray    # (n_pairs,) int64, global index of j
    distance: np.ndarray     # (n_pairs,) Å
    vector: np.ndarray       # (n_pairs, 3) Å, R_j + shift − R_i
    fc: np.ndarray           # (n_pairs,) the smooth cutoff f(r)
    dfc: np.ndarray          # (n_pairs,) df/dr, 1/Å
    atom_config: np.ndarray  # (N,) int64, configuration of each atom
    n_configs: int
    atom_species: np.ndarray       # (N,) int64
    neighbour_species: np.ndarray  # (n_pairs,) int64, species of j


class EvaluationCounter:
    """Formula evaluations so far (a batched call of M constant vectors counts M), shared by the evaluators that
    count together; `hook(count)`, when set, is called after every evaluator call (live progress, cancellation)."""

    def __init__(self):
        self.count, self.hook = 0, None

    def add(self, n):
        self.count += n
        if self.hook is not None:
            self.hook(self.count)


class Evaluator:
    """Scores formulas on one Dataset; the neighbour list and cutoff values are built once, here.

    A formula with a sum without the smooth cutoff (nocut) that does not vanish at r_out (evaluate.vanishing) is
    invalid (ok False), as one with a numerical fault.

    A formula must have a term for every atom of the data (ValueError naming the species otherwise); with `partial`,
    atoms of a species the formula has no term for contribute nothing (variable projection evaluates one species'
    part of a per-species formula so)."""

    def __init__(self, dataset, cutoff=Cutoff(), counter=None, partial=False):
        self.dataset, self.cutoff, self.partial = dataset, cutoff, partial
        self.counter = EvaluationCounter() if counter is None else counter
        self.neighbours = build_neighbours(dataset, cutoff.r_out)
        self.fc, self.dfc = cutoff(self.neighbours.distance)
        nl = self.neighbours
        self._pairs = PairArrays(np.searchsorted(nl.centre, np.arange(dataset.n_atoms_total + 1)), nl.neighbour,
                                 nl.distance, nl.vector, self.fc, self.dfc, nl.atom_config, dataset.n_configs,
                                 *_species_arrays(dataset.atom_species, nl.neighbour))
        self._scratch = [np.empty((2, 0, self.neighbours.distance.size)), np.empty((2, self.neighbours.distance.size, 0))]
        self._batch_work = np.empty(0)  # the batched kernel's scratch, grown and handed back by it
        volume = np.array([a.get_volume() if a.pbc.all() else np.nan for a in dataset.atoms])
        self._virial_to_stress = (EV_PER_A3_IN_GPA / volume)[:, None]  # (C, 1)

    @property
    def mean_neighbours(self):
        """Mean neighbours per atom (full list) within the cutoff."""
        return self.neighbours.distance.size / self.dataset.n_atoms_total

    def __call__(self, formula, theta=None, gradients=False):
        """Evaluate `formula` (a typed Node) with its own constants or `theta` ((P,)) instead."""
        program, kernel = compiled_for(formula, self.dataset.species, self.partial)
        theta = self._theta(formula, theta)
        work = self._work(program.n_sums, theta.size if gradients else 0)
        ok, e, ea, f, w, de, df, dw = kernels.evaluate(kernel, theta, gradients, self._pairs, *work)
        ok = ok and not nocut_faults(program, theta, self.cutoff.r_out)
        self.counter.add(1)
        stress = w * self._virial_to_stress
        if not gradients:
            return Prediction(bool(ok), e, f, stress, atom_energy=ea)
        return Prediction(bool(ok), e, f, stress, de, df, dw * self._virial_to_stress[:, :, None], ea)

    def batch(self, formula, thetas):
        """Evaluate one formula for many constant vectors thetas (M, P) in one call (for CMA-ES populations).

        Returns ok (M,), energy (M, C), forces (M, N, 3), stress (M, C, 6) in the units of Prediction; row m is what
        `self(formula, thetas[m])` gives, up to rounding (see kernels.evaluate_many), and the same ok. A formula with
        three-body sums is evaluated one vector at a time (the batched kernel has no three-body pass yet).
        """
        program, kernel = compiled_for(formula, self.dataset.species, self.partial)
        thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=float)
        if thetas.ndim != 2 or thetas.shape[1] != program.n_constants:
            raise ValueError(f"thetas must be (M, {program.n_constants}) for this formula, got {thetas.shape}")
        if program.triplets:
            singles = [self(formula, theta) for theta in thetas]
            return (np.array([p.ok for p in singles]), *(np.array([getattr(p, name) for p in singles])
                                                         for name in ("energy", "forces", "stress")))
        ok, e, f, w, self._batch_work = kernels.evaluate_many(kernel, thetas, self._pairs, self._batch_work)
        if not all(program.cut):
            ok &= [not nocut_faults(program, theta, self.cutoff.r_out) for theta in thetas]
        self.counter.add(len(thetas))
        return ok, e, f, w * self._virial_to_stress

    def _work(self, n_sums, n_gradients):
        """Scratch arrays for the kernels, (2, ≥n_sums, n_pairs) and (2, n_pairs, ≥n_gradients), kept between calls."""
        n_pairs = self.neighbours.distance.size
        if self._scratch[0].shape[1] < n_sums:
            self._scratch[0] = np.empty((2, n_sums, n_pairs))
        if self._scratch[1].shape[2] < n_gradients:
            self._scratch[1] = np.empty((2, n_pairs, n_gradients))
        return self._scratch

    @staticmethod
    def _theta(formula, theta):
        values = constants(formula) if theta is None else theta
        return np.ascontiguousarray(values, dtype=float).reshape(-1)


def _species_arrays(atom_species, neighbour):
    """PairArrays' atom_species (N,) and neighbour_species (n_pairs,), writable: a read-only array is another numba
    type, and the kernels would be compiled once more for it."""
    return np.array(atom_species, np.int64), np.array(atom_species[neighbour], np.int64)


def compiled_for(formula, species, partial=False):
    """(CompiledFormula, KernelProgram) of `formula` for data of `species` (a tuple of chemical symbols); ValueError
    when the data hold atoms of a species the formula has no term for, unless `partial` (those atoms contribute
    nothing)."""
    program, kernel, missing = _compiled(formula, species)
    if missing and not partial:
        raise ValueError(f"the data hold atoms of species {', '.join(missing)}, for which the formula has no term "
                         f"(its terms: {', '.join(program.atom_species)})")
    return program, kernel


@functools.lru_cache(maxsize=256)
def _compiled(formula, species):
    """(CompiledFormula, KernelProgram, the species without a term) of `formula` for data of `species`. Cached (the
    256 used last; one entry serves strict and partial evaluators): the search evaluates one formula with many
    constant vectors, and compiling costs ~8 times looking it up."""
    program = compile_formula(formula)
    return program, program.kernel(species), tuple(program.terms_missing(species))


def evaluate_structure(formula, atoms, cutoff=Cutoff()):
    """`formula` on one ase.Atoms (any cell, any pbc) without a Dataset: ok, energy (eV), atom energies T_i (N,) eV,
    forces (N, 3) eV/Å and virial (6,) eV, Voigt xx yy zz yz xz xy (stress = virial / volume, positive = tensile).
    ok is False, as in Evaluator, for a nocut sum that does not vanish at r_out."""
    species, atom_species = species_of(atoms.get_chemical_symbols())
    program, kernel = compiled_for(formula, species)
    centre, neighbour, distance, vector = structure_neighbours(atoms, cutoff.r_out)
    fc, dfc = cutoff(distance)
    first = np.searchsorted(centre, np.arange(len(atoms) + 1))
    work = (np.empty((2, program.n_sums, distance.size)), np.empty((2, distance.size, 0)))
    pairs = PairArrays(first, neighbour.astype(np.int64), distance, np.ascontiguousarray(vector), fc, dfc,
                       np.zeros(len(atoms), np.int64), 1, *_species_arrays(atom_species, neighbour))
    theta = np.asarray(constants(formula), dtype=float)
    ok, e, ea, f, w, *_ = kernels.evaluate(kernel, theta, False, pairs, *work)
    return bool(ok) and not nocut_faults(program, theta, cutoff.r_out), float(e[0]), ea, f, w[0]
