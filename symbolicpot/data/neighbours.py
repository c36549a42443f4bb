"""Full neighbour lists (every j for every i, periodic images included) over a whole data set.

Built on matscipy's linked-cell `neighbour_list` (C), about 25x faster than ASE's on 32-atom Cu cells at 5 Å
(`benchmarks/bench_neighbours.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ase
import numpy as np
from matscipy.neighbours import neighbour_list

if TYPE_CHECKING:
    from .dataset import Dataset


@dataclass(frozen=True, eq=False)
class NeighbourList:
    """All pairs (i, j ≠ i, periodic images included) with r_ij < cutoff; each pair appears as (i, j) and (j, i).

    Pairs are sorted by centre within each configuration; all arrays are C-contiguous.
    """

    cutoff: float  # Å
    centre: np.ndarray  # (n_pairs,) int64, global atom index i (into the dataset's stacked atoms)
    neighbour: np.ndarray  # (n_pairs,) int64, global atom index j
    distance: np.ndarray  # (n_pairs,) float64, r_ij in Å
    vector: np.ndarray  # (n_pairs, 3) float64, R_j + shift − R_i in Å
    pair_offsets: np.ndarray  # (n_configs + 1,) int64, pairs of config c are pair_offsets[c]:pair_offsets[c+1]
    atom_config: np.ndarray  # (n_atoms_total,) int64 config index of each atom


def structure_neighbours(atoms: ase.Atoms, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of one structure with r_ij < cutoff (Å): (i (n,), j (n,), r_ij (n,) Å, R_j + shift − R_i (n, 3) Å),
    sorted by i. A zero cell vector (a non-periodic direction without a box) becomes a unit vector."""
    return neighbour_list("ijdD", positions=atoms.positions, cell=atoms.cell.complete().array, pbc=atoms.pbc,
                          cutoff=cutoff)


def build_neighbours(dataset: Dataset, cutoff: float) -> NeighbourList:
    """The full neighbour list of every configuration of `dataset` within `cutoff` (Å), in global atom indices."""
    per_config = [structure_neighbours(atoms, cutoff) for atoms in dataset.atoms]
    offsets = dataset.atom_offsets
    return NeighbourList(
        cutoff=float(cutoff),
        centre=np.concatenate([i + offsets[c] for c, (i, _, _, _) in enumerate(per_config)], dtype=np.int64),
        neighbour=np.concatenate([j + offsets[c] for c, (_, j, _, _) in enumerate(per_config)], dtype=np.int64),
        distance=np.concatenate([d for _, _, d, _ in per_config], dtype=np.float64),
        vector=np.ascontiguousarray(np.concatenate([v for _, _, _, v in per_config], dtype=np.float64)),
        pair_offsets=np.concatenate([[0], np.cumsum([len(d) for _, _, d, _ in per_config])], dtype=np.int64),
        atom_config=np.repeat(np.arange(dataset.n_configs, dtype=np.int64), dataset.n_atoms),
    )
