"""Potentials ready to compute, below the loader (potentials.py) and the baselines: a LoadedPotential, LAMMPS-backed
ASE calculators, and any calculator's predictions on a Dataset (with the per-species energy shift between references)."""
from dataclasses import dataclass

import numpy as np
from ase.calculators.calculator import Calculator
from ase.calculators.lammpslib import LAMMPSlib  # imports lammps only when it runs
from ase.units import GPa

from .evaluate.evaluator import Prediction


@dataclass(frozen=True, eq=False)
class LoadedPotential:
    """A potential ready to compute: its display name, ASE calculator, number of fitted parameters (None when it
    has no meaningful count, e.g. tabulated EAM), and the LAMMPS pair commands that run it natively (None if none)."""
    name: str
    calculator: Calculator
    parameters: int | None = None
    pair_commands: tuple[str, ...] | None = None

    @property
    def lammps_types(self):
        """The chemical symbols of LAMMPS atom types 1, 2, … that `pair_commands` set up (None without them): those of
        the LAMMPSlib calculator, which runs the same commands."""
        if self.pair_commands is None:
            return None
        atom_types = self.calculator.parameters.atom_types
        return tuple(sorted(atom_types, key=atom_types.get))


def lammps_calculator(pair_commands, elements, energy_per_atom=None):
    """An ASE calculator (LAMMPSlib, `units metal`) with the interaction `pair_commands` for `elements` (chemical
    symbols in LAMMPS type order), adding `energy_per_atom` ({element: eV}, default none) to the energy."""
    from .export.lammps_runtime import _lammps_module
    _lammps_module()  # the mpich library must be loaded before ASE imports lammps
    return _LammpsCalculator(energy_per_atom or {}, lmpcmds=list(pair_commands),
                             atom_types={element: k + 1 for k, element in enumerate(elements)}, keep_alive=True,
                             log_file=None)


class _LammpsCalculator(LAMMPSlib):
    """ASE's LAMMPSlib plus a constant energy per atom of each element: the 1-body terms of fitted models (e.g.
    UF3), for which LAMMPS potential files have no place. Forces and stresses are LAMMPS's."""

    def __init__(self, energy_per_atom, **kwargs):
        super().__init__(**kwargs)
        self.energy_per_atom = dict(energy_per_atom)

    def calculate(self, atoms, properties, system_changes):
        super().calculate(atoms, properties, system_changes)
        if self.energy_per_atom:
            offsets = np.array([self.energy_per_atom.get(symbol, 0.0) for symbol in atoms.get_chemical_symbols()])
            for key in ("energy", "free_energy"):
                self.results[key] += offsets.sum()
            self.results["energies"] = self.results["energies"] + offsets


def predict(calculator, dataset):
    """The calculator's energies (C,) eV, forces (N, 3) eV/Å and stresses (C, 6) GPa (NaN without a 3D periodic
    cell) on every configuration of `dataset`, as a Prediction (`ok` False if any value is not finite)."""
    energy = np.empty(dataset.n_configs)
    forces = np.empty((dataset.n_atoms_total, 3))
    stress = np.full((dataset.n_configs, 6), np.nan)
    for c, structure in enumerate(dataset.atoms):
        atoms = structure.copy()
        atoms.calc = calculator
        energy[c] = atoms.get_potential_energy()
        forces[dataset.atom_offsets[c]:dataset.atom_offsets[c + 1]] = atoms.get_forces()
        if atoms.pbc.all():
            stress[c] = atoms.get_stress(voigt=True) / GPa
    ok = bool(np.isfinite(energy).all() and np.isfinite(forces).all())
    return Prediction(ok, energy, forces, stress)


def energy_shifts(prediction, dataset):
    """{symbol: b_s}, the energy shift (eV per atom of species s) for each species of `dataset` that minimises the
    per-atom energy RMSE of prediction.energy + Σ_s n_s·b_s against the labels (least squares over the labelled
    configurations; the minimum-norm solution where their compositions do not tell the species apart): the DFT
    reference energies differ between data sets and potentials. For one species, the mean per-atom difference."""
    labelled = np.isfinite(dataset.energy)
    fractions = dataset.species_counts()[labelled] / dataset.n_atoms[labelled, None]
    difference = (dataset.energy - prediction.energy)[labelled] / dataset.n_atoms[labelled]
    return dict(zip(dataset.species, np.linalg.lstsq(fractions, difference, rcond=None)[0].tolist()))


def shifted(prediction, dataset, shifts):
    """`prediction` with shifts[s] eV ({symbol: eV}, none for a species it lacks) added per atom of species s to each
    configuration's energy."""
    per_species = np.array([shifts.get(symbol, 0.0) for symbol in dataset.species])
    return Prediction(prediction.ok, prediction.energy + dataset.species_counts() @ per_species, prediction.forces,
                      prediction.stress)

