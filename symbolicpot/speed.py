"""Evaluation speed of potentials measured side by side: µs per atom per MD step, in LAMMPS or in an ASE loop.

Both harnesses run NVE molecular dynamics (1 fs) of a perfect crystal of the data's composition (ASE's reference
structure of its most abundant element, cubic cell, sites given the elements at random in their proportions) whose
velocities are drawn at 600 K, so that it runs near 300 K. Figures are wall time per atom per
step of the timed steps only (set-up excluded), one process, one thread. Timings of different potentials run
interleaved for `repeats` rounds and the median per potential is kept: on a shared machine only numbers measured
together compare. LAMMPS and the ASE loop differ by orders of magnitude in overhead: never put them on one scale.
"""
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ase.build
import ase.io
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.units import fs
import numpy as np

from .properties.crystal import random_solid_solution

LAMMPS_CELLS = 10  # 10×10×10 cubic fcc cells: 4000 atoms
ASE_CELLS = 4      # 4×4×4: 256 atoms
TEMPERATURE = 600.0  # K, of the drawn velocities
COPPER = {"Cu": 1.0}  # the default composition


@dataclass(frozen=True)
class Timing:
    """One timed run: µs per atom per step, seconds per step, and the temperature (K) it ended at."""
    us_per_atom_step: float
    seconds_per_step: float
    temperature: float


def _timing(elapsed, n_atoms, steps, temperature):
    return Timing(elapsed / (n_atoms * steps) * 1e6, elapsed / steps, float(temperature))


def crystal(composition, cells):
    """The reference crystal (ase.build.bulk, cubic cell) of the most abundant element of `composition` ({symbol:
    fraction}, adding up to 1) repeated `cells` times along each axis, its sites given the elements in their proportions
    at random (a fixed seed: every potential meets the same structure)."""
    atoms = ase.build.bulk(max(composition, key=composition.get), cubic=True).repeat(cells)
    return random_solid_solution(atoms, composition, np.random.default_rng(0))


def lammps_step_time(pair_commands, steps, composition=COPPER, cells=LAMMPS_CELLS, types=None,
                     temperature=TEMPERATURE):
    """The Timing of `steps` NVE steps in LAMMPS with `pair_commands` (one LAMMPS instance, set-up not timed) on the
    crystal of `composition`, with atom types 1, 2, … of `types` (chemical symbols the pair_coeff line maps in that
    order; default: the elements of `composition` in its order), velocities drawn at `temperature` K."""
    from .export.lammps_runtime import new_lammps
    atoms = crystal(composition, cells)
    lmp = new_lammps()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch) / "crystal.data"
            ase.io.write(data, atoms, format="lammps-data", masses=True, units="metal",
                         specorder=list(types or composition))
            lmp.commands_list(["units metal", "atom_style atomic", f"read_data {data}", *pair_commands,
                               f"velocity all create {temperature} 4928459 mom yes rot yes dist gaussian",
                               "fix nve all nve", "timestep 0.001", "thermo_style custom step temp etotal",
                               "run 0"])
        start = time.perf_counter()
        lmp.command(f"run {steps}")
        elapsed = time.perf_counter() - start
        return _timing(elapsed, len(atoms), steps, lmp.get_thermo("temp"))
    finally:
        lmp.close()


def ase_step_time(calculator, steps, composition=COPPER, cells=ASE_CELLS):
    """The Timing of `steps` NVE steps of ASE's VelocityVerlet with `calculator` on the crystal of `composition` (its
    first call not timed)."""
    atoms = crystal(composition, cells)
    thermalize_momenta(atoms, TEMPERATURE, rng=np.random.default_rng(0))
    Stationary(atoms)
    atoms.calc = calculator
    dynamics = VelocityVerlet(atoms, timestep=1 * fs)
    dynamics.run(1)  # the first forces: set-up of the calculator
    start = time.perf_counter()
    dynamics.run(steps)
    elapsed = time.perf_counter() - start
    return _timing(elapsed, len(atoms), steps, atoms.get_temperature())


def side_by_side(timers, seconds=1.0, repeats=3, progress=None):
    """{name: median µs per atom per step} of `timers` ({name: f(steps) -> Timing}).

    A 2-step probe sizes each timer's run to about `seconds`; then `repeats` rounds run every timer once, in an
    order rotated each round. `progress(text)`, when given, hears which timer runs."""
    steps = {}
    for name, timer in timers.items():
        if progress:
            progress(f"sizing {name}")
        steps[name] = max(2, min(10_000, round(seconds / timer(2).seconds_per_step)))
    timings = {name: [] for name in timers}
    names = list(timers)
    for round_ in range(repeats):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            if progress:
                progress(f"timing {name} ({steps[name]} steps, round {round_ + 1}/{repeats})")
            timings[name].append(timers[name](steps[name]).us_per_atom_step)
    return {name: statistics.median(values) for name, values in timings.items()}

