"""Reader for POET data folders (Hernandez, Balasubramanian, Yuan, Mason, Mueller, npj Comput. Mater. 5, 112 (2019)).

A folder holds structures N.vasp (POSCAR) numbered 1..n and tables whose row k belongs to k.vasp:
  E0.data        total energy, eV, one row per structure
  F_coord.data   per atom x y z (Cartesian Å or fractional) Fx Fy Fz (eV/Å) [per-atom energy, not read];
                 atoms stacked structure after structure
  F.data         older layout: one force component per line (x, y, z of atom 1, then atom 2, ...)
  F_Cell.data    optional: negative virial stress XX YY ZZ XY YZ ZX in kB, one row per structure
Numbers are separated by spaces, tabs or commas; line endings may be CRLF; the last line may lack a newline.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .ase_io import ase_read
from .dataset import Dataset, DataError, path_label

KILOBAR_IN_GPA = 0.1
POET_TO_VOIGT = [0, 1, 2, 4, 5, 3]  # columns XX YY ZZ XY YZ ZX, taken in Voigt order xx yy zz yz xz xy
POSITION_TOLERANCE = 1e-3  # Å, between F_coord.data and the structures
FORCE_TOLERANCE = 1e-6  # eV/Å, between F_coord.data and F.data


def poet_stress_to_gpa(f_cell_kb) -> np.ndarray:
    """POET's F_Cell rows (n, 6) — negative virial stress in kB, XX YY ZZ XY YZ ZX, positive = compressive (VASP) —
    as stress (n, 6) in GPa, Voigt xx yy zz yz xz xy, positive = tensile (ASE)."""
    return -KILOBAR_IN_GPA * np.asarray(f_cell_kb, dtype=float)[:, POET_TO_VOIGT]


def read_poet(folder: str | Path, group: str | None = None) -> Dataset:
    """The labelled structures of one POET folder; the group defaults to its last two path components."""
    folder = Path(folder)
    energy_file = folder / "E0.data"
    if not energy_file.is_file():
        # e.g. DFT_Cu/0K: structures for the 0 K property targets, named by Miller index (100.vasp is the (100)
        # slab, not structure 100); without energies they are not training data.
        raise DataError(f"{folder}: no E0.data, so no labelled POET data set; read unlabelled structures with "
                        f"ase.io.read")
    energy = read_table(energy_file, (1,))[:, 0]
    structure_files = _structure_files(folder, energy_file, len(energy))
    atoms = [ase_read(path, format="vasp")[0] for path in structure_files]
    coordinates, forces = _read_forces(folder, sum(len(a) for a in atoms))
    dataset = Dataset(atoms=atoms, energy=energy, forces=forces, stress=_read_stress(folder, len(atoms)),
                      group=np.zeros(len(atoms)), group_names=[group or path_label(folder)],
                      source=[str(path) for path in structure_files])
    dataset.validate()
    if coordinates is not None:
        _check_coordinates(folder / "F_coord.data", coordinates, dataset)
    return dataset


def read_table(path: Path, widths: tuple[int, ...]) -> np.ndarray:
    """The numbers of a text table as a (n_lines, width) float array; every line holds the same count, one of
    `widths`, of finite numbers. Line k of the file is row k − 1."""
    lines = path.read_text(errors="replace").rstrip().splitlines()  # bad bytes fail as numbers
    if not lines:
        raise DataError(f"{path}: empty file")
    rows = []
    for line_number, line in enumerate(lines, start=1):
        where = f"{path} line {line_number}"
        tokens = re.findall(r"[^\s,]+", line)
        if len(tokens) not in widths:
            raise DataError(f"{where}: expected {' or '.join(map(str, widths))} numbers, got {len(tokens)}")
        if rows and len(tokens) != len(rows[0]):
            raise DataError(f"{where}: {len(tokens)} numbers, but line 1 has {len(rows[0])}")
        try:
            row = [float(token) for token in tokens]
        except ValueError as error:
            raise DataError(f"{where}: {error}") from error
        if not np.isfinite(row).all():
            raise DataError(f"{where}: non-finite number in {line.strip()!r}")
        rows.append(row)
    return np.array(rows)


def _structure_files(folder: Path, energy_file: Path, n_energies: int) -> list[Path]:
    """1.vasp ... n.vasp, in numeric order."""
    numbered = {}
    for path in folder.glob("*.vasp"):
        if not path.stem.isdigit():
            raise DataError(f"{path}: POET structures are named N.vasp with N = 1, 2, ...")
        numbered[int(path.stem)] = path
    # POET numbers structures from 1. LJ_Ar/liquidNPT100K also holds a 0.vasp, with 15 rows for 0..15.vasp: the
    # Lennard-Jones forces of 1..15.vasp match F.data's blocks 1..15 (cosine 0.999) and those of 0.vasp match no
    # block, so 0.vasp is an unlabelled extra (likely the starting structure) and is left out.
    numbered.pop(0, None)
    if len(numbered) != n_energies:
        raise DataError(f"{energy_file}: {n_energies} energies for {len(numbered)} structures")
    missing = [k for k in range(1, n_energies + 1) if k not in numbered]
    if missing:
        raise DataError(f"{folder}: {missing[0]}.vasp is missing; structures must be numbered 1..{n_energies}")
    return [numbered[k] for k in range(1, n_energies + 1)]


def _read_forces(folder: Path, n_atoms_total: int) -> tuple[np.ndarray | None, np.ndarray]:
    """(coordinates (n_atoms_total, 3) from F_coord.data or None, forces (n_atoms_total, 3) eV/Å).

    Forces come from F_coord.data, else F.data, else are NaN; when both files exist they must agree.
    """
    coord_file, component_file = folder / "F_coord.data", folder / "F.data"
    coordinates = forces = None
    if component_file.is_file():
        components = read_table(component_file, (1,))
        _check_row_count(component_file, len(components), 3 * n_atoms_total, "force components")
        forces = components.reshape(-1, 3)
    if coord_file.is_file():
        table = read_table(coord_file, (6, 7))
        _check_row_count(coord_file, len(table), n_atoms_total, "atoms")
        if forces is not None:
            _check_forces_agree(coord_file, table[:, 3:6], component_file, forces)
        coordinates, forces = table[:, :3], table[:, 3:6]
    return coordinates, np.full((n_atoms_total, 3), np.nan) if forces is None else forces


def _check_forces_agree(coord_file: Path, coord_forces: np.ndarray, component_file: Path,
                        component_forces: np.ndarray) -> None:
    differ = np.flatnonzero(~np.isclose(coord_forces, component_forces, rtol=0, atol=FORCE_TOLERANCE).all(axis=1))
    if len(differ):
        row = differ[0]
        raise DataError(f"{coord_file} line {row + 1} and {component_file} lines {3 * row + 1}-{3 * row + 3} "
                        f"disagree: forces {coord_forces[row]} vs {component_forces[row]} eV/Å")


def _read_stress(folder: Path, n_structures: int) -> np.ndarray:
    """(n_structures, 6) GPa from F_Cell.data, NaN without the file."""
    stress_file = folder / "F_Cell.data"
    if not stress_file.is_file():
        return np.full((n_structures, 6), np.nan)
    table = read_table(stress_file, (6,))
    _check_row_count(stress_file, len(table), n_structures, "structures")
    return poet_stress_to_gpa(table)


def _check_row_count(path: Path, n_rows: int, expected: int, what: str) -> None:
    if n_rows != expected:
        raise DataError(f"{path}: {n_rows} rows for {expected} {what}")


def _check_coordinates(path: Path, coordinates: np.ndarray, dataset: Dataset) -> None:
    """Each row's x y z must be its atom's Cartesian or fractional position, up to lattice translations."""
    cells = np.repeat([atoms.cell.array for atoms in dataset.atoms], dataset.n_atoms, axis=0)
    inverse_cells = np.linalg.inv(cells)
    fractional = np.einsum("ni,nij->nj", dataset.positions, inverse_cells)
    cartesian_off = _off_lattice(np.einsum("ni,nij->nj", coordinates - dataset.positions, inverse_cells), cells)
    fractional_off = _off_lattice(coordinates - fractional, cells)
    wrong = np.flatnonzero(np.minimum(cartesian_off, fractional_off) > POSITION_TOLERANCE)
    if len(wrong):
        row = wrong[0]
        config = np.searchsorted(dataset.atom_offsets, row, side="right") - 1
        raise DataError(f"{path} line {row + 1}: {coordinates[row]} is neither the Cartesian nor the fractional "
                        f"position of atom {row - dataset.atom_offsets[config]} of {dataset.source[config]}")


def _off_lattice(fractional_difference: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(n,) Å: distance of each fractional difference (n, 3) from the nearest lattice vector of its cell (n, 3, 3)."""
    remainder = fractional_difference - np.round(fractional_difference)
    return np.linalg.norm(np.einsum("ni,nij->nj", remainder, cells), axis=1)
