"""Point defects in fcc supercells: the vacancy and the ⟨100⟩ dumbbell interstitial.

Formation energy E_f = E(defect cell, relaxed) − n_atoms × e_fcc, with e_fcc the relaxed crystal's energy per atom:
the supercell keeps the perfect crystal's volume (n×n×n conventional cells at its lattice constant) and only the
positions relax (relax.FMAX). Each defect is computed in the SUPERCELLS sizes; the table reports the largest and
shows the others, so the convergence with size is visible.
"""
import numpy as np
from ase import Atom
from ase.build import bulk

from .relax import excess_energy, relax

SUPERCELLS = (3, 4, 5, 6, 7)
"""n of the n×n×n conventional supercells: 108, 256, 500, 864 and 1372 lattice sites."""
DUMBBELL_HALF_SEPARATION = 0.3
"""Start of the dumbbell: its two atoms at ±0.3 a0 along x from the vacated site (2.2 Å apart in copper)."""


def vacancy(element, a0, n):
    """An n×n×n conventional fcc supercell (4n³ sites, lattice constant a0 in Å) with one atom removed."""
    atoms = bulk(element, "fcc", a=a0, cubic=True).repeat(n)
    del atoms[0]
    return atoms


def dumbbell(element, a0, n):
    """An n×n×n conventional fcc supercell with one atom replaced by a ⟨100⟩ dumbbell: two atoms on the x axis
    through the vacated site, symmetric about it."""
    atoms = bulk(element, "fcc", a=a0, cubic=True).repeat(n)
    site = atoms.positions[0].copy()
    del atoms[0]
    for sign in (1, -1):
        atoms.append(Atom(element, site + sign * DUMBBELL_HALF_SEPARATION * a0 * np.array([1.0, 0.0, 0.0])))
    atoms.wrap()
    return atoms


def formation_energy(defect_cell, calculator, e_fcc, minimise=relax):
    """Relaxed formation energy (eV) of the defect in `defect_cell` (ase.Atoms) against the crystal's energy per
    atom e_fcc (eV); `minimise` relaxes the positions (relax.excess_energy)."""
    defect_cell.calc = calculator
    return excess_energy(defect_cell, e_fcc, minimise)
