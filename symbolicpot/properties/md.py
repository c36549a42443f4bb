"""MD stability check: a hot fcc crystal under NVT, then an NVE tail for the energy drift.

Protocol: a 4×4×4 conventional fcc supercell (256 atoms) at the given lattice constant, volume fixed; Maxwell–
Boltzmann velocities at T, centre of mass fixed; Langevin NVT at T (default 1400 K, above copper's melting point,
though a perfect crystal without surfaces superheats; friction 0.01 fs⁻¹) for 10 ps, then velocity Verlet NVE for
2 ps; time step 1 fs. The potential is unstable, and the run stops, when an energy or force is not finite or the
potential energy per atom leaves the 0 K crystal's by more than MAX_ENERGY_CHANGE (both tested every step), or when
two atoms are closer than relax.MIN_DISTANCE (tested every 10 fs: a collapsed pair stays collapsed). The energy drift
is the slope of a straight line fitted to the total energy per atom in the NVE tail (sampled every 10 fs); the
radial distribution function is averaged over NVE snapshots every 100 fs.
"""
from dataclasses import dataclass

import numpy as np
from ase.build import bulk
from ase.calculators.calculator import CalculationFailed
from ase.constraints import FixCom
from ase.geometry.rdf import get_rdf
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.units import fs

from .relax import MIN_DISTANCE, closest_distance

MAX_ENERGY_CHANGE = 1.0
"""eV/atom: a potential energy this far from the 0 K crystal's has exploded (heating copper to 1400 K and melting
it adds about 0.3 eV/atom)."""
TEMPERATURE = 1400.0
"""K: POET's hottest DFT copper MD (NVT_FCC_1400K)."""
NVT_TIME, NVE_TIME, TIMESTEP = 10.0, 2.0, 1.0
"""ps, ps, fs."""
SAMPLE_STEPS = 10
RDF_STEPS = 100
RDF_BINS = 120


@dataclass(frozen=True)
class MDResult:
    """Outcome of md_check: `stable`, and if not, `reason` (with the time it happened); the number of atoms; the
    smallest interatomic distance seen (Å; None if the run stopped before the first sample); the NVE energy drift
    (meV/atom/ps), mean NVE temperature (K), bin centres r (nbins,) Å and radial distribution function g(r)
    (nbins,), all None unless the run completed."""
    stable: bool
    reason: str
    n_atoms: int
    min_distance: float | None
    drift: float | None = None
    temperature: float | None = None
    r: np.ndarray | None = None
    rdf: np.ndarray | None = None


class _Unstable(Exception):
    """Raised by the observer to stop the run."""


def md_check(calculator, element, a0, temperature=TEMPERATURE, nvt_time=NVT_TIME, nve_time=NVE_TIME,
             timestep=TIMESTEP, repeat=4, seed=0, progress=lambda message: None):
    """Run the check (see the module docstring) on fcc `element` with lattice constant a0 (Å): `temperature` K,
    `nvt_time` and `nve_time` ps, `timestep` fs, a `repeat`³ supercell of 4-atom cells; `progress(message)` is
    called once per ps. Returns an MDResult."""
    atoms = bulk(element, "fcc", a=a0, cubic=True).repeat(repeat)
    atoms.calc = calculator
    rng = np.random.default_rng(seed)
    e_crystal = atoms.get_potential_energy() / len(atoms)
    thermalize_momenta(atoms, temperature, rng=rng)
    Stationary(atoms)
    atoms.set_constraint(FixCom())
    reach = 1.2 * a0 / np.sqrt(2)  # fcc packs densest: at its density some pair is within its neighbour distance
    samples = {"min_distance": [], "time": [], "total": [], "temperature": []}
    snapshots = []

    def observe(dynamics, phase, start, phase_time):  # every step: energies; every SAMPLE_STEPS: the rest
        steps = dynamics.get_number_of_steps()
        time = start + steps * timestep / 1000
        energy = atoms.get_potential_energy() / len(atoms)
        if not (np.isfinite(energy) and np.isfinite(atoms.get_forces()).all()):
            raise _Unstable(f"non-finite energy or forces at {time:.3f} ps")
        if abs(energy - e_crystal) > MAX_ENERGY_CHANGE:
            raise _Unstable(f"potential energy {energy - e_crystal:+.3g} eV/atom from the crystal's at {time:.3f} ps")
        if steps % SAMPLE_STEPS:
            return
        samples["min_distance"].append(closest_distance(atoms, reach))
        if samples["min_distance"][-1] < MIN_DISTANCE:
            raise _Unstable(f"atoms {samples['min_distance'][-1]:.2f} Å apart at {time:.3f} ps")
        if phase == "NVE":
            samples["time"].append(time)
            samples["total"].append(atoms.get_total_energy() / len(atoms))
            samples["temperature"].append(atoms.get_temperature())
            if steps % RDF_STEPS == 0:
                snapshots.append(atoms.copy())
        if steps and steps % round(1000 / timestep) == 0:
            progress(f"MD {phase} {time - start:.0f}/{phase_time:g} ps: T = {atoms.get_temperature():.0f} K, "
                     f"min distance {min(samples['min_distance']):.2f} Å")

    nvt = Langevin(atoms, timestep * fs, temperature_K=temperature, friction=0.01 / fs, fixcm=False, rng=rng)
    phases = (("NVT", nvt, nvt_time), ("NVE", VelocityVerlet(atoms, timestep * fs), nve_time))
    start = 0.0
    try:
        for phase, dynamics, phase_time in phases:
            dynamics.attach(observe, 1, dynamics, phase, start, phase_time)
            dynamics.run(round(phase_time * 1000 / timestep))
            start += phase_time
    except (_Unstable, CalculationFailed) as error:
        return MDResult(False, str(error), len(atoms), min(samples["min_distance"], default=None))
    drift = 1000 * np.polyfit(samples["time"], samples["total"], 1)[0]
    rdf, r = get_rdf(snapshots, rmax=0.49 * repeat * a0, nbins=RDF_BINS)
    return MDResult(True, "", len(atoms), float(min(samples["min_distance"])), float(drift),
                    float(np.mean(samples["temperature"])), r, rdf)


def plot_rdf(result, path, title):
    """Plot the radial distribution function of an MDResult to `path` (PNG/SVG/PDF)."""
    from ..plotting import pyplot
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4), layout="constrained")
    axis.plot(result.r, result.rdf, color="C0")
    axis.axhline(1.0, color="0.6", linewidth=0.8)
    axis.set_xlabel("r (Å)")
    axis.set_ylabel("g(r)")
    axis.set_title(title, fontsize=9)
    figure.savefig(path, dpi=150)
    plt.close(figure)
