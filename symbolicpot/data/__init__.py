"""Reading labelled data (POET folders, anything `ase.io` reads), train/test splits and neighbour lists.

Units: eV, Å, eV/Å; stress in GPa, Voigt order xx yy zz yz xz xy, positive = tensile (ASE's sign).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .ase_io import read_ase
from .dataset import Dataset, DataError, path_label
from .neighbours import NeighbourList, build_neighbours
from .poet import poet_stress_to_gpa, read_poet

__all__ = ["Dataset", "DataError", "NeighbourList", "build_neighbours", "example_path", "load", "poet_stress_to_gpa",
           "read_ase", "read_poet"]

EXAMPLES = Path(__file__).parent / "examples"


def example_path(name: str) -> Path:
    """The folder of a shipped example data set: "sutton_chen" (EAM Cu) or "lennard_jones" (Ar); see NOTICE.md."""
    path = EXAMPLES / name
    if not path.is_dir():
        available = sorted(entry.name for entry in EXAMPLES.iterdir() if entry.is_dir())
        raise ValueError(f"no example data set {name!r}; available: {', '.join(available)}")
    return path


def load(paths: str | os.PathLike | Iterable[str | os.PathLike], groups: Iterable[str] | None = None) -> Dataset:
    """Read and join data sets, one group per data set.

    A folder holding N.vasp files is a POET folder; a folder without any is a collection whose subfolders holding
    N.vasp files are POET folders, one group each; a file goes to `read_ase`. `groups` gives one name per path
    (a collection's groups are then "name/subfolder"); by default each data set is named by the shortest path
    tail, at least two components, that tells all of them apart, e.g. "EAM_Cu/NVT_FCC_300K".
    """
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(path) for path in paths]
    groups = [None] * len(paths) if groups is None else list(groups)
    if len(groups) != len(paths):
        raise ValueError(f"{len(groups)} group names for {len(paths)} paths")
    data_sets = [data_set for path, group in zip(paths, groups) for data_set in _data_sets(path, group)]
    default_names = _short_unique_names([path for path, _ in data_sets])
    return Dataset.concatenate(
        read_poet(path, group or default) if path.is_dir() else read_ase(path, group=group or default)
        for (path, group), default in zip(data_sets, default_names))


def _data_sets(path: Path, group: str | None) -> list[tuple[Path, str | None]]:
    """(path, group name or None) of each data set at `path`: itself, or a collection's POET subfolders."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file() or any(path.glob("*.vasp")):
        return [(path, group)]
    subfolders = sorted(sub for sub in path.iterdir() if sub.is_dir() and any(sub.glob("*.vasp")))
    if not subfolders:
        raise DataError(f"{path}: neither a POET folder (N.vasp files) nor a folder of POET folders")
    return [(sub, group and f"{group}/{sub.name}") for sub in subfolders]


def _short_unique_names(paths: list[Path]) -> list[str]:
    """For each path, its last k components, with the smallest k ≥ 2 that makes the names distinct."""
    depth = max((len(path.resolve().parts) for path in paths), default=0)
    for k in range(2, depth):
        names = [path_label(path, k) for path in paths]
        if len(set(names)) == len(names):
            return names
    return [str(path.resolve()) for path in paths]  # the same path given twice: one group
