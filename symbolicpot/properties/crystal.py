"""Relaxed fcc, bcc and hcp crystals of one element: lattice constants (Å), c/a and energies per atom (eV); random
solid solutions."""
import math

import numpy as np
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
    """The relaxed crystal (ase.Atoms, calculator attached) of `structure` from `start_crystal`: "fcc" and "bcc"
    relaxed hydrostatically (their atoms stay put by symmetry); "hcp" with a and c relaxed (all cell degrees of
    freedom free; the hexagonal symmetry keeps the atoms and the cell's shape). RelaxationError unless it binds."""
    return relax_crystal(start_crystal(element, structure, a_fcc), calculator,
                         "full" if structure == "hcp" else "hydrostatic", structure)


def relax_crystal(atoms, calculator, cell, name):
    """`atoms` with `calculator` attached, its positions and `cell` ("hydrostatic" or "full", see relax) relaxed in
    place to FMAX, returned. RelaxationError (naming the crystal by `name`) unless it binds."""
    atoms.calc = calculator
    relax(atoms, FMAX, cell=cell)
    check_binding(atoms, name)
    return atoms


def start_crystal(element, structure, a_fcc):
    """The unrelaxed crystal of `structure` at the volume per atom of fcc with lattice constant `a_fcc` (Å): "fcc"
    and "bcc" as conventional cubic cells (4 and 2 atoms), "hcp" as the 2-atom cell with the ideal c/a (a along x,
    c along z)."""
    if structure == "fcc":
        return bulk(element, "fcc", a=a_fcc, cubic=True)
    if structure == "bcc":
        return bulk(element, "bcc", a=a_fcc / 2 ** (1 / 3), cubic=True)
    if structure == "hcp":
        return bulk(element, "hcp", a=a_fcc / math.sqrt(2), c=a_fcc / math.sqrt(2) * math.sqrt(8 / 3))
    raise ValueError(f"unknown structure {structure!r} (expected fcc, bcc or hcp)")


def check_binding(atoms, structure):
    """RelaxationError unless the relaxed crystal `atoms` (calculator attached) lies at least BINDING eV/atom below
    its atoms pulled apart (the cell × 4)."""
    apart = atoms.copy()
    apart.set_cell(4 * atoms.cell, scale_atoms=True)
    apart.calc = atoms.calc
    if not energy_per_atom(atoms) < energy_per_atom(apart) - BINDING:
        raise RelaxationError(f"the {structure} crystal does not bind: it relaxed to a cell edge of "
                              f"{atoms.cell.lengths()[0]:.3f} Å, no lower in energy than its atoms pulled apart")


def energy_per_atom(atoms):
    """Potential energy per atom (eV) of `atoms` with a calculator attached."""
    return atoms.get_potential_energy() / len(atoms)


def random_solid_solution(atoms, composition, rng):
    """A copy of `atoms` with its sites given the elements of `composition` ({symbol: fraction}, fractions adding up
    to 1) at random by `rng` (a numpy Generator): round(fraction · N) atoms of each (rounded cumulatively, so that the
    counts add up to N), the elements in order along one random permutation of the sites (so that, for the same
    rng state, the sites of the last element at a lower fraction are among those at a higher one)."""
    ends = np.rint(np.cumsum(list(composition.values())) * len(atoms)).astype(int)
    solution, order = atoms.copy(), rng.permutation(len(atoms))
    for symbol, start, end in zip(composition, np.concatenate([[0], ends[:-1]]), ends):
        solution.symbols[order[start:end]] = symbol
    return solution
