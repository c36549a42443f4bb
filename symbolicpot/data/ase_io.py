"""Reader for any file `ase.io.read` understands (extended XYZ, OUTCAR, vasprun.xml, ...) with labels attached."""
from __future__ import annotations

from pathlib import Path

import ase
import ase.io
import numpy as np
from ase.io.formats import string2index
from ase.stress import full_3x3_to_voigt_6_stress
from ase.units import GPa

from .dataset import Dataset, DataError, path_label


def ase_read(path: Path, **kwargs) -> list[ase.Atoms]:
    """`ase.io.read(path, index=":", **kwargs)`, with any failure raised as a DataError naming the file."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        return ase.io.read(path, index=":", **kwargs)
    except Exception as error:  # ASE's parsers raise many unrelated types on malformed input
        raise DataError(f"{path}: cannot read it ({type(error).__name__}: {error})") from error


def read_ase(path: str | Path, index: int | str | slice = ":", group: str | None = None) -> Dataset:
    """Configurations `index` (ASE's index syntax, e.g. ":", "-1", "::10") of a file, labelled from its
    calculator results, else from `info["energy"]`, `arrays["forces"]` or `arrays["force"]`, `info["stress"]`.

    Missing labels become NaN; stresses (eV/Å³) are converted to GPa. The group defaults to the path's last two
    components; each source is "path@k" with k the configuration's position in the file.
    """
    path = Path(path)
    images = ase_read(path)
    try:
        positions_in_file = np.atleast_1d(np.arange(len(images))[string2index(index) if isinstance(index, str)
                                                                 else index])
    except (IndexError, ValueError):
        positions_in_file = []
    if len(positions_in_file) == 0:
        raise DataError(f"{path}: no configuration at index {index!r} ({len(images)} in the file)")
    picked = [(f"{path}@{k}", images[k]) for k in positions_in_file]
    labels = [_labels(source, atoms) for source, atoms in picked]
    dataset = Dataset(atoms=[atoms for _, atoms in picked], energy=[energy for energy, _, _ in labels],
                      forces=np.concatenate([forces for _, forces, _ in labels]).reshape(-1, 3),
                      stress=[stress for _, _, stress in labels], group=np.zeros(len(picked)),
                      group_names=[group or path_label(path)], source=[source for source, _ in picked])
    dataset.validate()
    return dataset


def _labels(source: str, atoms: ase.Atoms) -> tuple[float, np.ndarray, np.ndarray]:
    """(energy eV, forces (n_atoms, 3) eV/Å, stress (6,) GPa) of one configuration, NaN where absent."""
    results = atoms.calc.results if atoms.calc is not None else {}
    energy = _first_present(results.get("energy"), atoms.info.get("energy"))
    forces = _first_present(results.get("forces"), atoms.arrays.get("forces"), atoms.arrays.get("force"))
    stress = _first_present(results.get("stress"), atoms.info.get("stress"))
    if stress is not None and np.shape(stress) == (3, 3):
        stress = full_3x3_to_voigt_6_stress(np.asarray(stress, dtype=float))
    return (_present_label(source, "energy", energy, ()),
            _present_label(source, "forces", forces, (len(atoms), 3)),
            _present_label(source, "stress", stress, (6,)) / GPa)


def _first_present(*values):
    return next((value for value in values if value is not None), None)


def _present_label(source: str, name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    """`value` as a float array of `shape`, all NaN if absent; a label that is present must be finite."""
    if value is None:
        return np.full(shape, np.nan)
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise DataError(f"{source}: {name} has shape {array.shape}, expected {shape}")
    if not np.isfinite(array).all():
        raise DataError(f"{source}: {name} holds non-finite values")
    return array
