"""0 K properties inside the search, and the property-error objective.

The search computes, for the candidates that pass its error screen, the properties of the table (table.py) that a
candidate can afford: the same structures and the same definitions, with faster minimisers (scipy on the energy and
its analytic gradient instead of ASE's optimisers; tolerances below chosen so that the values agree with
`symbolicpot properties` to well within 1 %, tests/test_properties_in_loop.py):

- a0_fcc, a0_bcc, dE_bcc_fcc, dE_hcp_fcc: crystals from crystal.start_crystal minimised over their cell lengths
  (fcc, bcc: one scale; hcp: a and c), stress × volume per atom below CELL_GTOL;
- C11, C12, C44, B_vrh: elastic.elastic_tensor of the relaxed fcc cell (the same function);
- E_vac: the vacancy in the 108-site supercell (the table reports 1372 sites; the vacancy converges to a few meV by
  108), positions relaxed to FMAX;
- E_surf_*: surfaces.surface_energy with the slab's positions relaxed to FMAX.

Only in the final table: E_dumbbell (at constant volume it converges as 1/N: only large cells are accurate), the
stacking-fault energy and the vacancy migration barrier.
"""
from dataclasses import dataclass
import math

import numpy as np
from ase.calculators.calculator import CalculationFailed
from scipy.optimize import minimize

from ..settings import SettingError
from .crystal import check_binding, energy_per_atom, fcc_guess, start_crystal
from .defects import formation_energy, vacancy
from .elastic import cubic_constants, elastic_tensor, hill_bulk_modulus
from .reference import SURFACES
from .relax import MIN_DISTANCE, STEPS, RelaxationError, closest_distance
from .surfaces import surface_energy

CRYSTALS = ("a0_fcc", "a0_bcc", "dE_bcc_fcc", "dE_hcp_fcc")
"""Computed for every screened candidate: they decide whether it is physical."""
FCC_ONLY = ("C11", "C12", "C44", "B_vrh", "E_vac", *(f"E_surf_{hkl}" for hkl in SURFACES))
IN_LOOP = CRYSTALS + FCC_ONLY
"""The properties the search can fit, in table order of UNITS."""
LATTICES = ("fcc", "bcc", "hcp")
VACANCY_CELLS = 3
"""n of the n×n×n conventional cell of the in-loop vacancy (108 sites)."""
FMAX = 1e-2
"""eV/Å, largest force component after a position relaxation: the energy left is ~FMAX²/stiffness per atom
(below 1e-4 eV per atom), well under 1 % of a surface or vacancy energy."""
CELL_GTOL = 1e-6
"""eV/atom: largest derivative of the energy per atom by a log cell length (stress × volume per atom) of a relaxed
crystal; 1e-6 eV leaves a stress below 1e-5 GPa in copper, as the reference's 1e-5 eV bound."""
CELL_TOLERANCE = 100 * CELL_GTOL
"""eV/atom: a crystal whose minimiser stopped with a larger gradient (out of iterations, or a line search lost in
rounding far from the minimum) has failed; between CELL_GTOL and this it is accepted (a line search that ends in
rounding near the minimum: 1e-4 eV/atom is a stress of ~1e-3 GPa, lattice constants to ~1e-6 Å)."""
CELL_RANGE = 0.5
"""Bound of the log cell lengths: a crystal whose minimum lies 40 % below or 65 % above the start does not bind."""


@dataclass(frozen=True)
class PropertyTargets:
    """What the search fits: `weights` {property name: weight > 0} of IN_LOOP properties with `reference` values
    ({name: value} in reference.UNITS), the `element` and its ground-state `lattice` (fcc, bcc or hcp), and the
    error `screen`: properties are computed for candidates whose error is at most `screen` × the best error of their
    island's population."""
    reference: dict
    weights: dict
    element: str = "Cu"
    lattice: str = "fcc"
    screen: float = 2.0

    def __post_init__(self):
        if self.lattice not in LATTICES:
            raise SettingError("PropertyTargets", "lattice", f"must be one of {', '.join(LATTICES)}, got {self.lattice!r}")
        if not self.weights:
            raise SettingError("PropertyTargets", "weights", "no property takes part")
        for name, weight in self.weights.items():
            if name not in IN_LOOP:
                raise SettingError("PropertyTargets", "weights", f"{name!r} is not computed in the search (in the "
                                   f"search: {', '.join(IN_LOOP)})")
            if not self.reference.get(name):
                raise SettingError("PropertyTargets", "weights", f"{name!r} has no reference value (or 0: a relative "
                                   "error needs another)")
            if not (isinstance(weight, (int, float)) and weight > 0 and math.isfinite(weight)):
                raise SettingError("PropertyTargets", "weights", f"{name!r} must be a number > 0, got {weight!r}")
            if name in FCC_ONLY and self.lattice != "fcc":
                raise SettingError("PropertyTargets", "weights", f"{name!r} is computed for fcc crystals only (the "
                                   f"lattice is {self.lattice})")
        if not (isinstance(self.screen, (int, float)) and self.screen >= 1):
            raise SettingError("PropertyTargets", "screen", f"must be a number >= 1, got {self.screen!r}")

    def error(self, values):
        """The property error: Σ_p w_p |value_p − reference_p| / |reference_p| / Σ_p w_p over the weighted
        properties (a weighted mean relative error; 0.05 means 5 %)."""
        total = sum(w * abs(values[name] - self.reference[name]) / abs(self.reference[name])
                    for name, w in self.weights.items())
        return total / sum(self.weights.values())


@dataclass(frozen=True)
class LoopProperties:
    """A candidate's properties: `values` {name: value} (the crystals' always, the weighted ones when physical),
    the property `error` (None when unphysical) and why it is `unphysical` (None when physical)."""
    values: dict
    error: float | None
    unphysical: str | None = None


def loop_properties(calculator, targets):
    """The LoopProperties of the ASE `calculator` for `targets` (PropertyTargets).

    Unphysical: a crystal that does not bind or collapses, a ground-state lattice that is not the lowest of fcc, bcc
    and hcp, or any computation that fails (non-finite energies, atoms closer than relax.MIN_DISTANCE)."""
    values = {}
    try:
        energies, fcc = {}, None
        for structure in LATTICES:  # fcc first: bcc and hcp start at its volume per atom
            a_fcc = values["a0_fcc"] if fcc is not None else fcc_guess(targets.element)
            atoms = quick_crystal(calculator, targets.element, structure, a_fcc)
            energies[structure] = energy_per_atom(atoms)
            if structure == "fcc":
                fcc, values["a0_fcc"] = atoms, float(atoms.cell[0, 0])
            elif structure == "bcc":
                values["a0_bcc"] = float(atoms.cell[0, 0])
        values["dE_bcc_fcc"] = energies["bcc"] - energies["fcc"]
        values["dE_hcp_fcc"] = energies["hcp"] - energies["fcc"]
        lowest = min(energies, key=energies.get)
        if lowest != targets.lattice:
            return LoopProperties(values, None, f"{lowest} lies below {targets.lattice}")
        _fcc_properties(calculator, targets, fcc, energies["fcc"], values)
    except CalculationFailed as failure:
        return LoopProperties(values, None, str(failure))
    return LoopProperties(values, targets.error(values))


def _fcc_properties(calculator, targets, fcc, e_fcc, values):
    """The weighted fcc-only properties into `values`."""
    wanted = set(targets.weights)
    a0, element = values["a0_fcc"], targets.element
    if wanted & {"C11", "C12", "C44", "B_vrh"}:
        tensor = elastic_tensor(fcc)
        values["C11"], values["C12"], values["C44"] = cubic_constants(tensor)
        values["B_vrh"] = hill_bulk_modulus(tensor)
    if "E_vac" in wanted:
        values["E_vac"] = formation_energy(vacancy(element, a0, VACANCY_CELLS), calculator, e_fcc, quick_relax)
    for hkl in SURFACES:
        if f"E_surf_{hkl}" in wanted:
            values[f"E_surf_{hkl}"] = surface_energy(calculator, element, a0, e_fcc,
                                                     tuple(int(digit) for digit in hkl), quick_relax)


def quick_crystal(calculator, element, structure, a_fcc):
    """The relaxed crystal of `structure` (ase.Atoms, `calculator` attached) from crystal.start_crystal: its cell
    lengths scaled (fcc, bcc: all three by one factor; hcp: a and c apart) to a minimum of the energy by L-BFGS-B on
    the log scale factors with the analytic gradient V·σ (stress σ, volume V), to CELL_GTOL. RelaxationError when
    the minimum lies at CELL_RANGE or the crystal does not bind (crystal.check_binding)."""
    atoms = start_crystal(element, structure, a_fcc)
    atoms.calc = calculator
    start, n = atoms.cell.array.copy(), len(atoms)
    axes = [[0, 1], [2]] if structure == "hcp" else [[0, 1, 2]]  # the Cartesian axes each variable scales

    def energy_and_gradient(x):
        scale = np.ones(3)
        for value, columns in zip(x, axes):
            scale[columns] = math.exp(value)
        atoms.set_cell(start * scale, scale_atoms=True)
        stress = atoms.get_stress(voigt=True)
        return energy_per_atom(atoms), np.array([stress[columns].sum() for columns in axes]) * atoms.get_volume() / n

    bounds = [(-CELL_RANGE, CELL_RANGE)] * len(axes)
    result = minimize(energy_and_gradient, np.zeros(len(axes)), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"gtol": CELL_GTOL, "ftol": 0.0, "maxiter": STEPS})
    _, gradient = energy_and_gradient(result.x)
    if np.any(np.abs(result.x) >= CELL_RANGE * (1 - 1e-9)):
        raise RelaxationError(f"the {structure} crystal does not bind: its energy falls without a minimum down to a "
                              f"lattice constant of {atoms.cell.lengths()[0]:.3f} Å")
    if not np.abs(gradient).max() <= CELL_TOLERANCE:
        raise RelaxationError(f"the {structure} crystal did not relax: stress × volume per atom "
                              f"{np.abs(gradient).max():.2g} eV after {result.nit} iterations")
    check_binding(atoms, structure)
    return atoms


def quick_relax(atoms, fmax=FMAX, steps=STEPS):
    """Relax the positions of `atoms` (calculator attached, cell fixed) in place by L-BFGS-B until no force
    component exceeds `fmax` (eV/Å); returns the energy (eV). RelaxationError after `steps` iterations without
    convergence, or when atoms come closer than relax.MIN_DISTANCE (a calculator raises CalculationFailed on
    non-finite values)."""
    def energy_and_gradient(x):
        atoms.positions = x.reshape(-1, 3)
        return atoms.get_potential_energy(), -atoms.get_forces().reshape(-1)

    result = minimize(energy_and_gradient, atoms.positions.reshape(-1), jac=True, method="L-BFGS-B",
                      options={"gtol": fmax, "ftol": 0.0, "maxiter": steps})
    energy, gradient = energy_and_gradient(result.x)
    if closest_distance(atoms, MIN_DISTANCE) < MIN_DISTANCE:
        raise RelaxationError(f"{atoms.get_chemical_formula()} collapsed: atoms closer than {MIN_DISTANCE} Å")
    if not np.abs(gradient).max(initial=0.0) <= fmax:
        raise RelaxationError(f"{atoms.get_chemical_formula()} not relaxed to {fmax:g} eV/Å in {steps} steps")
    return energy
