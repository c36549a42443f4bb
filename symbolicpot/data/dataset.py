"""The labelled data set: configurations with energies, forces and stresses, in one set of stacked arrays."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

import ase
from ase.calculators.singlepoint import SinglePointCalculator
import ase.units
import numpy as np

from .neighbours import structure_neighbours

MIN_DISTANCE = 0.5  # Å; closer atoms mean a broken structure, not physics


class DataError(ValueError):
    """Bad input data; the message names the file and the entry."""


def path_label(path: str | Path, n_parts: int = 2) -> str:
    """The last `n_parts` components of a path, e.g. "EAM_Cu/NVT_FCC_300K": the default group name."""
    return "/".join(Path(path).resolve().parts[-n_parts:])


def species_of(symbols) -> tuple[tuple[str, ...], np.ndarray]:
    """(the distinct chemical symbols, sorted; (len(symbols),) int64 index of each symbol among them, read-only)."""
    species = tuple(sorted(set(symbols)))
    index = {name: s for s, name in enumerate(species)}
    return species, _read_only([index[symbol] for symbol in symbols], np.int64)


def _read_only(values, dtype) -> np.ndarray:
    array = np.array(values, dtype=dtype, order="C")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """Atomic configurations and their labels; per-atom arrays stack the atoms config after config.

    Units: eV, Å, eV/Å; stress in GPa, Voigt order xx yy zz yz xz xy, positive = tensile (ASE's sign).
    NaN marks an absent label (a whole energy, force row or stress row).
    """

    atoms: tuple[ase.Atoms, ...]  # one per configuration
    energy: np.ndarray  # (n_configs,) total energy, eV
    forces: np.ndarray  # (n_atoms_total, 3) eV/Å
    stress: np.ndarray  # (n_configs, 6) GPa
    group: np.ndarray  # (n_configs,) int, index into group_names
    group_names: tuple[str, ...]
    source: tuple[str, ...]  # (n_configs,) where each configuration came from, e.g. ".../EAM_Cu/NVT_FCC_300K/7.vasp"

    def __post_init__(self):
        for name in ("atoms", "group_names", "source"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name, dtype in (("energy", np.float64), ("forces", np.float64), ("stress", np.float64),
                            ("group", np.int64)):
            object.__setattr__(self, name, _read_only(getattr(self, name), dtype))

    @property
    def n_configs(self) -> int:
        return len(self.atoms)

    @cached_property
    def n_atoms(self) -> np.ndarray:
        """(n_configs,) int64 number of atoms of each configuration."""
        return _read_only([len(atoms) for atoms in self.atoms], np.int64)

    @cached_property
    def atom_offsets(self) -> np.ndarray:
        """(n_configs + 1,) int64: atoms of config c are rows atom_offsets[c]:atom_offsets[c+1] of stacked arrays."""
        return _read_only(np.concatenate([[0], np.cumsum(self.n_atoms)]), np.int64)

    @property
    def n_atoms_total(self) -> int:
        return int(self.atom_offsets[-1])

    @cached_property
    def positions(self) -> np.ndarray:
        """(n_atoms_total, 3) Å, positions as stored in each configuration (not wrapped into the cell)."""
        return _read_only(np.concatenate([atoms.positions for atoms in self.atoms]).reshape(-1, 3), np.float64)

    def ase_labels(self, c: int) -> dict:
        """The labels of configuration c in ASE's units: energy (eV), forces (n, 3) eV/Å, stress (6,) eV/Å³ (Voigt,
        ASE's sign); absent labels are left out."""
        labels = {"energy": float(self.energy[c]), "forces": self.forces[self.atom_offsets[c]:self.atom_offsets[c + 1]],
                  "stress": self.stress[c] * ase.units.GPa}
        return {name: np.array(value) for name, value in labels.items() if np.isfinite(value).all()}

    def labelled_atoms(self, c: int) -> ase.Atoms:
        """A copy of configuration c holding its ase_labels in a SinglePointCalculator (what ase.io writes)."""
        atoms = self.atoms[c].copy()
        atoms.calc = SinglePointCalculator(atoms, **self.ase_labels(c))
        return atoms

    @cached_property
    def _species(self) -> tuple[tuple[str, ...], np.ndarray]:
        return species_of([symbol for atoms in self.atoms for symbol in atoms.get_chemical_symbols()])

    @property
    def species(self) -> tuple[str, ...]:
        """The chemical symbols of the atoms, sorted."""
        return self._species[0]

    @property
    def atom_species(self) -> np.ndarray:
        """(n_atoms_total,) int64: each atom's index in `species` (read-only)."""
        return self._species[1]

    def species_counts(self, species=None) -> np.ndarray:
        """(n_configs, len(species)) float: the atoms of each species in each configuration, columns in the order of
        `species` (default `self.species`; ValueError when the data hold a species it does not list)."""
        species = self.species if species is None else tuple(species)
        unknown = sorted(set(self.species) - set(species))
        if unknown:
            raise ValueError(f"the data hold species {', '.join(unknown)}, not one of {', '.join(species)}")
        column = np.array([species.index(name) for name in self.species], np.int64)[self.atom_species]
        counts = np.zeros((self.n_configs, len(species)))
        np.add.at(counts, (np.repeat(np.arange(self.n_configs), self.n_atoms), column), 1.0)
        return counts

    def single_element(self, who: str) -> str:
        """The one chemical symbol of every atom; ValueError "`who` handles one element; ..." when there are more."""
        if len(self.species) != 1:
            raise ValueError(f"{who} handles one element; the data holds {', '.join(self.species)}")
        return self.species[0]

    def subset(self, indices) -> Dataset:
        """The configurations picked by `indices` (ints, negative ints, a slice or a boolean mask), in that order."""
        picked = np.arange(self.n_configs)[indices]
        starts, counts = self.atom_offsets[picked], self.n_atoms[picked]
        atom_rows = np.arange(counts.sum()) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return Dataset(atoms=[self.atoms[c] for c in picked], energy=self.energy[picked],
                       forces=self.forces[atom_rows], stress=self.stress[picked], group=self.group[picked],
                       group_names=self.group_names, source=[self.source[c] for c in picked])

    def split(self, test_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
        """Random (train, test) split, the same for the same seed.

        Each group of n ≥ 2 configurations puts round(test_fraction·n) of them, at least 1 and at most n−1, into
        test; a group of one stays in train. A group's split depends only on the seed, its name and its size, so
        adding or reordering other groups does not change it.
        """
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        is_test = np.zeros(self.n_configs, dtype=bool)
        for index, name in enumerate(self.group_names):
            members = np.flatnonzero(self.group == index)
            if len(members) < 2:
                continue
            n_test = min(max(round(test_fraction * len(members)), 1), len(members) - 1)
            rng = np.random.default_rng([seed, *name.encode()])
            is_test[rng.choice(members, size=n_test, replace=False)] = True
        return self.subset(~is_test), self.subset(is_test)

    @classmethod
    def concatenate(cls, datasets: Iterable[Dataset]) -> Dataset:
        """One data set holding all configurations in order; groups with the same name become one group."""
        datasets = list(datasets)
        if not datasets:
            raise ValueError("no data sets to concatenate")
        names = tuple(dict.fromkeys(name for dataset in datasets for name in dataset.group_names))
        new_index = {name: i for i, name in enumerate(names)}
        groups = [np.array([new_index[name] for name in dataset.group_names], dtype=np.int64)[dataset.group]
                  for dataset in datasets]
        return cls(atoms=[atoms for dataset in datasets for atoms in dataset.atoms],
                   energy=np.concatenate([dataset.energy for dataset in datasets]),
                   forces=np.concatenate([dataset.forces for dataset in datasets]),
                   stress=np.concatenate([dataset.stress for dataset in datasets]),
                   group=np.concatenate(groups),
                   group_names=names,
                   source=[source for dataset in datasets for source in dataset.source])

    def validate(self) -> None:
        """Raise DataError, naming the configuration's source, on inconsistent shapes, infinite or partly missing
        labels, a periodic direction without a cell vector, or atoms closer than MIN_DISTANCE."""
        _check_shapes(self)
        for c, atoms in enumerate(self.atoms):
            rows = slice(self.atom_offsets[c], self.atom_offsets[c + 1])
            _check_labels(self.source[c], self.energy[c : c + 1], self.forces[rows], self.stress[c])
            _check_geometry(self.source[c], atoms)


def _check_shapes(dataset: Dataset) -> None:
    n = dataset.n_configs
    if n == 0:
        raise DataError("no configurations")
    expected = {"energy": (n,), "forces": (dataset.n_atoms_total, 3), "stress": (n, 6), "group": (n,)}
    for name, shape in expected.items():
        if getattr(dataset, name).shape != shape:
            raise DataError(f"{name} has shape {getattr(dataset, name).shape}, expected {shape}")
    if len(dataset.source) != n:
        raise DataError(f"{len(dataset.source)} sources for {n} configurations")
    if dataset.group.min() < 0 or dataset.group.max() >= len(dataset.group_names):
        raise DataError(f"group indices must be in 0..{len(dataset.group_names) - 1}")


def _check_labels(source: str, energy: np.ndarray, forces: np.ndarray, stress: np.ndarray) -> None:
    for name, values in (("energy", energy), ("forces", forces), ("stress", stress)):
        if np.isinf(values).any():
            raise DataError(f"{source}: infinite {name}")
    partly_missing = np.isnan(forces).any(axis=1) & ~np.isnan(forces).all(axis=1)
    if partly_missing.any():
        raise DataError(f"{source}: forces of atom {np.flatnonzero(partly_missing)[0]} are partly NaN")
    if np.isnan(stress).any() and not np.isnan(stress).all():
        raise DataError(f"{source}: stress is partly NaN")


def _check_geometry(source: str, atoms: ase.Atoms) -> None:
    if not np.isfinite(atoms.positions).all():
        raise DataError(f"{source}: non-finite positions")
    periodic_vectors = atoms.cell.array[atoms.pbc]
    if np.linalg.matrix_rank(periodic_vectors) < len(periodic_vectors):
        raise DataError(f"{source}: periodic along cell vectors {''.join('abc'[k] for k in np.flatnonzero(atoms.pbc))}"
                        f", but they are zero or linearly dependent")
    centre, neighbour, distance, _ = structure_neighbours(atoms, MIN_DISTANCE)
    if len(distance):
        k = np.argmin(distance)
        raise DataError(f"{source}: atoms {centre[k]} and {neighbour[k]} are {distance[k]:.2f} Å apart "
                        f"(< {MIN_DISTANCE} Å)")
