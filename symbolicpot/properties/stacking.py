"""The intrinsic stacking-fault energy of fcc crystals: γ_isf = (E_faulted − n e_fcc) / A.

A periodic column of STACKING_LAYERS (111) planes, one atom each, whose third cell vector is tilted by the Shockley
partial (a1 + a2)/3: the stacking ABCABC… continues across the periodic boundary as …ABC|BCA…, one intrinsic fault per
period (a plane removed). The positions relax normal to the fault (x, y fixed), the cell stays the perfect crystal's
(the usual "relaxed normal to the fault" definition).
"""
from ase.build import fcc111
from ase.constraints import FixCartesian
import numpy as np

from .relax import excess_energy

STACKING_LAYERS = 15
"""(111) planes of the column (31 Å in copper): faults 6 cutoffs apart."""
MJ_PER_M2 = 16021.766
"""mJ/m² in one eV/Å²."""


def stacking_fault_energy(calculator, element, a0, e_fcc, layers=STACKING_LAYERS):
    """Relaxed intrinsic stacking-fault energy (mJ/m²) of fcc `element` with lattice constant a0 (Å) and energy per
    atom e_fcc (eV)."""
    atoms = fcc111(element, (1, 1, layers), a=a0, periodic=True)
    cell = atoms.cell.array.copy()
    cell[2] += (cell[0] + cell[1]) / 3
    atoms.set_cell(cell)
    atoms.set_constraint(FixCartesian(range(len(atoms)), mask=(True, True, False)))
    atoms.calc = calculator
    area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    return MJ_PER_M2 * excess_energy(atoms, e_fcc) / area
