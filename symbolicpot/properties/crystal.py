"""Relaxed fcc, bcc and hcp crystals of one element: lattice constants (Å), c/a and energies per atom (eV)."""
import math

from ase.build import bulk
from ase.data import atomic_numbers, covalent_radii, reference_states

from .relax import RelaxationError, relax

FMAX = 1e-5
"""eV/Å (and eV for the cell, see relax): stress below 1e-4 GPa, lattice constants to about 1e-6 Å in copper."""
BINDING = 1e-3
"""eV/atom: a relaxed crystal must lie at least this far below its atoms pulled apart (lattice × 4)."""


def fcc_guess(element):
    """A starting fcc lattice constant (Å): ASE's value for fcc elements, else 2√2 × the covalent radius."""
    state = reference_states[atomic_numbers[element]] or {}
    if state.get("symmetry") == "fcc":
        return state["a"]
    return 2 * math.sqrt(2) * covalent_radii[atomic_numbers[element]]


def relaxed_crystal(calculator, element, structure, a_fcc):
    """The relaxed crystal (ase.Atoms, calculator attached) of `structure`, started at the volume per atom of fcc
    with lattice constant `a_fcc` (Å): "fcc" and "bcc" as conventional cubic cells (4 and 2 atoms) relaxed
    hydrostatically (their atoms stay put by symmetry); "hcp" as the 2-atom cell from the ideal c/a, with a and c
    relaxed (all cell degrees of freedom free; the hexagonal symmetry keeps the atoms and the cell's shape)."""
    if structure == "fcc":
        atoms = bulk(element, "fcc", a=a_fcc, cubic=True)
    elif structure == "bcc":
        atoms = bulk(element, "bcc", a=a_fcc / 2 ** (1 / 3), cubic=True)
    elif structure == "hcp":
        atoms = bulk(element, "hcp", a=a_fcc / math.sqrt(2), c=a_fcc / math.sqrt(2) * math.sqrt(8 / 3))
    else:
        raise ValueError(f"unknown structure {structure!r} (expected fcc, bcc or hcp)")
    atoms.calc = calculator
    relax(atoms, FMAX, cell="full" if structure == "hcp" else "hydrostatic")
    apart = atoms.copy()
    apart.set_cell(4 * atoms.cell, scale_atoms=True)
    apart.calc = calculator
    if not energy_per_atom(atoms) < energy_per_atom(apart) - BINDING:
        raise RelaxationError(f"the {structure} crystal does not bind: it relaxed to a lattice constant of "
                              f"{atoms.cell.lengths()[0]:.3f} Å, no lower in energy than its atoms pulled apart")
    return atoms


def energy_per_atom(atoms):
    """Potential energy per atom (eV) of `atoms` with a calculator attached."""
    return atoms.get_potential_energy() / len(atoms)
