"""Explore: short Langevin MD of every [learn] condition with a model as the force field, a snapshot every n steps.

A condition is a starting structure (an ASE bulk crystal, or a configuration of a file) at one temperature and one
isotropic strain. A trajectory ends early when its model fails (non-finite values) or two atoms come closer than
TOO_CLOSE times the starting structure's shortest distance: MD that gets there has left anything a label could fix.
"""
from dataclasses import dataclass
import itertools
from pathlib import Path

from ase import Atoms, units
from ase.build import bulk
from ase.calculators.calculator import CalculationFailed
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import thermalize_momenta
import numpy as np

from ..data.ase_io import ase_read
from ..data.neighbours import structure_neighbours

TOO_CLOSE = 0.6


@dataclass(frozen=True)
class Condition:
    """A starting structure (`name`: a bulk name or FILE@k), temperature (K) and linear strain."""
    name: str
    atoms: Atoms
    temperature: float
    strain: float

    @property
    def label(self):
        return f"{self.name} {self.temperature:g} K strain {self.strain:+g}"


@dataclass(frozen=True)
class Snapshot:
    """A configuration visited by MD: its atoms (no calculator), condition label, trajectory number and MD step."""
    atoms: Atoms
    condition: str
    trajectory: int
    step: int


def conditions(learn, where="config"):
    """Every (structure, temperature, strain) of a resolved [learn] table: structures in config order, then files."""
    starts = []
    for name in learn["structures"]:
        try:
            crystal = bulk(name, learn["lattice"], a=learn["lattice_constant"], cubic=True)
        except Exception as error:  # ASE raises ValueError, KeyError or RuntimeError for names and lattices
            raise ValueError(f"{where}: [learn] structures: ASE builds no cubic {learn['lattice'] or ''} cell of "
                             f"{name!r} ({type(error).__name__}: {error}); give it in structure_files") from None
        starts.append((name, crystal.repeat(learn["supercell"])))
    for path in learn["structure_files"]:
        starts += [(f"{Path(path).name}@{k}", atoms) for k, atoms in enumerate(ase_read(Path(path)))]
    if not starts:
        raise ValueError(f"{where}: [learn]: no starting structures: give structures or structure_files")
    return [Condition(name, atoms, temperature, strain) for (name, atoms), temperature, strain
            in itertools.product(starts, learn["temperatures"], learn["strains"])]


def explore(condition, calculator, learn, seed, trajectory):
    """Snapshots of Langevin MD (`learn`: md_steps, timestep fs, friction 1/fs, snapshot_interval) of `condition`
    driven by `calculator`, velocities and noise drawn from `seed`; numbered `trajectory`."""
    atoms = condition.atoms.copy()
    atoms.set_cell(atoms.cell * (1 + condition.strain), scale_atoms=True)
    atoms.calc = calculator
    closest = TOO_CLOSE * shortest_distance(atoms)
    rng = np.random.default_rng(seed)
    thermalize_momenta(atoms, condition.temperature, rng=rng)
    dynamics = Langevin(atoms, learn["timestep"] * units.fs, temperature_K=condition.temperature,
                        friction=learn["friction"] / units.fs, fixcm=False, rng=rng)
    snapshots = []
    interval = learn["snapshot_interval"]
    for step in range(interval, learn["md_steps"] + 1, interval):
        try:
            dynamics.run(interval)
        except CalculationFailed:
            break
        if shortest_distance(atoms) < closest:
            break
        snapshots.append(Snapshot(Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc),
                                  condition.label, trajectory, step))
    return snapshots


def shortest_distance(atoms, within=6.0):
    """The shortest distance between two atoms (periodic images included), Å; inf when none is `within` Å."""
    distances = structure_neighbours(atoms, within)[2]
    return float(distances.min()) if len(distances) else np.inf
