"""Point defects in fcc supercells: the vacancy, its migration barrier and the ⟨100⟩ dumbbell interstitial.

Formation energy E_f = E(defect cell, relaxed) − n_atoms × e_fcc, with e_fcc the relaxed crystal's energy per atom:
the supercell keeps the perfect crystal's volume (n×n×n conventional cells at its lattice constant) and only the
positions relax (relax.FMAX). Each defect is computed in the SUPERCELLS sizes; the table reports the largest and
shows the others, so the convergence with size is visible.
"""
import numpy as np
from ase import Atom
from ase.build import bulk
from ase.mep import NEB
from ase.optimize import FIRE

from .relax import RelaxationError, STEPS, excess_energy, relax

SUPERCELLS = (3, 4, 5, 6, 7)
"""n of the n×n×n conventional supercells: 108, 256, 500, 864 and 1372 lattice sites."""
MIGRATION_CELLS = 3
"""n of the supercell of the migration barrier (108 sites: Mishin's Cu barrier is within 1 meV of 256 sites')."""
NEB_IMAGES = 5
"""Images between the two relaxed end states; the middle one climbs (climbing-image NEB)."""
NEB_FMAX = 0.01
"""eV/Å: NEB force tolerance (the barrier to ~1 meV)."""
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


def migration_barrier(calculator, element, a0, n=MIGRATION_CELLS):
    """The vacancy migration energy (eV) in an n×n×n fcc supercell at lattice constant a0 (Å): a nearest neighbour
    jumps into the vacated site; climbing-image NEB (ASE) between the relaxed end states (equivalent by symmetry),
    NEB_IMAGES images, forces below NEB_FMAX. The barrier is the highest image's energy above the initial state."""
    initial = vacancy(element, a0, n)
    site = bulk(element, "fcc", a=a0, cubic=True).positions[0]  # the vacated site (the removed atom 0)
    neighbour = site + np.array([a0 / 2, a0 / 2, 0.0])  # a nearest-neighbour site of it, in the same cubic cell
    jumper = int(np.argmin(np.linalg.norm(initial.positions - neighbour, axis=1)))
    final = initial.copy()
    final.positions[jumper] = site
    ends = []
    for atoms in (initial, final):
        atoms.calc = calculator
        relax(atoms)
        ends.append(atoms)
    images = [ends[0]] + [ends[0].copy() for _ in range(NEB_IMAGES)] + [ends[1]]
    for image in images[1:-1]:
        image.calc = calculator
    band = NEB(images, climb=True, allow_shared_calculator=True, method="improvedtangent")
    band.interpolate(mic=True)
    if not FIRE(band, logfile=None).run(fmax=NEB_FMAX, steps=STEPS):
        raise RelaxationError(f"the vacancy migration NEB did not converge to {NEB_FMAX} eV/Å in {STEPS} steps")
    return max(image.get_potential_energy() for image in images[1:-1]) - images[0].get_potential_energy()
