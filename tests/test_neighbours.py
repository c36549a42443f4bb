"""Tests of the full neighbour list against a brute-force search over periodic images."""
import itertools

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, fcc111, molecule
from ase.neighborlist import neighbor_list
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolicpot.data import Dataset, build_neighbours, read_poet


def unlabelled(structures: list[Atoms]) -> Dataset:
    n, n_total = len(structures), sum(len(atoms) for atoms in structures)
    return Dataset(atoms=structures, energy=np.full(n, np.nan), forces=np.full((n_total, 3), np.nan),
                   stress=np.full((n, 6), np.nan), group=np.zeros(n), group_names=["test"],
                   source=[f"structure {c}" for c in range(n)])


def brute_force_pairs(atoms: Atoms, cutoff: float) -> list[tuple[int, int, float]]:
    """Sorted (i, j, r_ij) over every periodic image that can lie within the cutoff, O(N² × images)."""
    cell = atoms.cell.array
    planes_per_angstrom = np.linalg.norm(np.linalg.pinv(cell).T, axis=1)  # lattice planes crossed per Å
    reach = [int(np.ceil(cutoff * planes)) + 1 if periodic else 0
             for periodic, planes in zip(atoms.pbc, planes_per_angstrom)]
    pairs = []
    for shift in itertools.product(*(range(-n, n + 1) for n in reach)):
        distance = np.linalg.norm(atoms.positions[None, :] + np.array(shift) @ cell - atoms.positions[:, None], axis=2)
        not_itself = ~np.eye(len(atoms), dtype=bool) | any(shift)
        within = np.nonzero((distance < cutoff) & not_itself)
        pairs += [(int(i), int(j), float(distance[i, j])) for i, j in zip(*within)]
    return sorted(pairs)


def assert_same_pairs(found: list[tuple[int, int, float]], expected: list[tuple[int, int, float]]) -> None:
    assert [pair[:2] for pair in found] == [pair[:2] for pair in expected]
    np.testing.assert_allclose([pair[2] for pair in found], [pair[2] for pair in expected], rtol=0, atol=1e-9)


def rattled(atoms: Atoms, seed: int) -> Atoms:
    atoms.rattle(0.1, seed=seed)
    return atoms


STRUCTURES = {
    "fcc primitive cell, cutoff beyond the cell": (bulk("Cu", "fcc", a=3.61), 6.0),
    "non-orthogonal hcp supercell": (rattled(bulk("Ti", "hcp", a=2.95, c=4.68) * (2, 1, 1), 1), 5.0),
    "triclinic cell": (rattled(Atoms("Cu3", scaled_positions=[[0, 0, 0], [0.4, 0.3, 0.2], [0.7, 0.8, 0.5]],
                                     cell=[[4.0, 0, 0], [1.3, 3.8, 0], [0.9, -1.1, 4.4]], pbc=True), 2), 5.0),
    "slab, periodic in x and y": (rattled(fcc111("Cu", (2, 2, 3), vacuum=4.0, periodic=False), 3), 5.0),
    "molecule without a cell": (molecule("C6H6"), 3.0),
}


def check_against_brute_force(structures: list[Atoms], cutoff: float) -> None:
    neighbours = build_neighbours(unlabelled(structures), cutoff)
    offsets = np.concatenate([[0], np.cumsum([len(atoms) for atoms in structures])])
    for c, atoms in enumerate(structures):
        pairs = slice(neighbours.pair_offsets[c], neighbours.pair_offsets[c + 1])
        centre, neighbour = neighbours.centre[pairs] - offsets[c], neighbours.neighbour[pairs] - offsets[c]
        found = sorted(zip(centre.tolist(), neighbour.tolist(), neighbours.distance[pairs].tolist()))
        assert_same_pairs(found, brute_force_pairs(atoms, cutoff))
        assert (np.diff(centre) >= 0).all()
        lattice_shift = neighbours.vector[pairs] - (atoms.positions[neighbour] - atoms.positions[centre])
        np.testing.assert_allclose(lattice_shift @ np.linalg.pinv(atoms.cell.array),
                                   np.round(lattice_shift @ np.linalg.pinv(atoms.cell.array)), atol=1e-9)
        np.testing.assert_allclose(np.linalg.norm(neighbours.vector[pairs], axis=1), neighbours.distance[pairs])


@pytest.mark.parametrize("name", STRUCTURES)
def test_pairs_match_brute_force(name):
    atoms, cutoff = STRUCTURES[name]
    check_against_brute_force([atoms], cutoff)


def test_every_pair_has_its_reverse_with_the_opposite_vector():
    neighbours = build_neighbours(unlabelled([atoms for atoms, _ in STRUCTURES.values()]), 5.0)
    forward = sorted(zip(neighbours.centre, neighbours.neighbour, *np.round(neighbours.vector, 6).T.tolist()))
    reverse = sorted(zip(neighbours.neighbour, neighbours.centre, *np.round(-neighbours.vector, 6).T.tolist()))
    assert forward == reverse


def test_layout_of_the_arrays():
    structures = [atoms for atoms, _ in STRUCTURES.values()]
    neighbours = build_neighbours(unlabelled(structures), 4.0)
    n_total = sum(len(atoms) for atoms in structures)
    assert neighbours.cutoff == 4.0
    np.testing.assert_array_equal(neighbours.atom_config,
                                  np.repeat(np.arange(len(structures)), [len(atoms) for atoms in structures]))
    for name in ("centre", "neighbour", "pair_offsets", "atom_config"):
        array = getattr(neighbours, name)
        assert array.dtype == np.int64 and array.flags.c_contiguous
    for name in ("distance", "vector"):
        array = getattr(neighbours, name)
        assert array.dtype == np.float64 and array.flags.c_contiguous
    assert neighbours.vector.shape == (len(neighbours.centre), 3)
    assert neighbours.pair_offsets[-1] == len(neighbours.centre)
    pair_config = np.repeat(np.arange(len(structures)), np.diff(neighbours.pair_offsets))
    np.testing.assert_array_equal(neighbours.atom_config[neighbours.centre], pair_config)
    np.testing.assert_array_equal(neighbours.atom_config[neighbours.neighbour], pair_config)
    assert neighbours.centre.max() < n_total


@settings(max_examples=25, deadline=None)
@given(lengths=st.tuples(*[st.floats(2.5, 6.0)] * 3), tilts=st.tuples(*[st.floats(-0.4, 0.4)] * 3),
       fractions=st.lists(st.tuples(*[st.floats(-0.5, 1.5)] * 3), min_size=1, max_size=4),
       pbc=st.tuples(*[st.booleans()] * 3))
def test_random_cells_match_brute_force(lengths, tilts, fractions, pbc):
    a, b, c = lengths
    cell = [[a, 0, 0], [tilts[0] * a, b, 0], [tilts[1] * a, tilts[2] * b, c]]
    atoms = Atoms(f"Cu{len(fractions)}", scaled_positions=fractions, cell=cell, pbc=pbc)
    check_against_brute_force([atoms], 4.5)


def test_counts_agree_with_ase_on_dft_snapshots(poet_data):
    dataset = read_poet(poet_data / "DFT_Cu" / "NPT_FCC_1400K").subset(slice(0, 5))
    neighbours = build_neighbours(dataset, 5.0)
    ase_counts = [len(neighbor_list("i", atoms, 5.0)) for atoms in dataset.atoms]
    np.testing.assert_array_equal(np.diff(neighbours.pair_offsets), ase_counts)
