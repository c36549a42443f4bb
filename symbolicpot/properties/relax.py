"""Energy minimisation shared by every 0 K property: L-BFGS over the positions, and over the cell when asked."""
import numpy as np
from ase.calculators.calculator import CalculationFailed
from ase.filters import FrechetCellFilter
from ase.optimize import LBFGS
from matscipy.neighbours import neighbour_list

FMAX = 1e-3
"""eV/Å: force tolerance of defect and slab relaxations (energy error ~ FMAX²/stiffness per atom, below 1e-6 eV)."""
STEPS = 1000
MIN_DISTANCE = 1.5
"""Å: two atoms this close have fallen through the repulsive wall (copper's nearest neighbours: 2.56 Å): relaxations
(tested every 10 steps) and the MD check stop there."""


class RelaxationError(CalculationFailed):
    """A relaxation that did not converge, met non-finite energies or collapsed."""


def relax(atoms, fmax=FMAX, cell=None, steps=STEPS):
    """Minimise the energy of `atoms` (calculator attached) in place and return it (eV).

    cell=None relaxes the positions in a fixed cell; "hydrostatic" also scales the cell (its shape kept); "full"
    relaxes all six cell degrees of freedom. Cell relaxations use ASE's FrechetCellFilter, whose cell forces are the
    stress times the volume per atom (eV), so `fmax` bounds them too: fmax = 1e-5 eV leaves a stress below 1e-4 GPa
    in copper. Raises RelaxationError after `steps` steps without convergence, on a non-finite energy, or when two
    atoms come closer than MIN_DISTANCE.
    """
    target = atoms if cell is None else FrechetCellFilter(atoms, hydrostatic_strain=cell == "hydrostatic")
    converged = False
    for step, converged in enumerate(LBFGS(target, logfile=None).irun(fmax=fmax, steps=steps)):
        if not np.isfinite(atoms.get_potential_energy()):
            raise RelaxationError(f"non-finite energy while relaxing {atoms.get_chemical_formula()}")
        if step % 10 == 0 and closest_distance(atoms, MIN_DISTANCE) < MIN_DISTANCE:
            raise RelaxationError(f"{atoms.get_chemical_formula()} collapsed: atoms closer than {MIN_DISTANCE} Å")
    if not converged:
        raise RelaxationError(f"{atoms.get_chemical_formula()} not relaxed to {fmax:g} eV/Å in {steps} steps")
    return atoms.get_potential_energy()


def closest_distance(atoms, reach):
    """The smallest interatomic distance (Å) in `atoms`, or `reach` (Å) if no two atoms are closer than that."""
    return float(neighbour_list("d", atoms, reach).min(initial=reach))


def excess_energy(atoms, e_bulk, minimise=relax):
    """Relaxed energy of `atoms` (positions only, cell fixed; `minimise(atoms)` relaxes them in place and returns the
    energy, eV) minus that of as many atoms of the bulk crystal whose energy per atom is `e_bulk` (eV): a defect
    formation energy or twice a slab's surface energy times its area."""
    return minimise(atoms) - len(atoms) * e_bulk
