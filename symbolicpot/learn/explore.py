"""Explore: short Langevin MD of every [learn] condition with a model as the force field, a snapshot every n steps.

A condition is a starting structure (an ASE bulk crystal, or a configuration of a file) at one temperature, one
isotropic strain and, when [learn] pressures are given, one pressure: then the cell's volume follows it (hydrostatic
barostat), else the (strained) cell stays fixed. Cells of fewer than [learn] lammps_atoms atoms run in ASE (Langevin;
under pressure ASE's Langevin BAOAB with a Langevin-Hoover barostat), larger ones in LAMMPS through the model's
compiled plugin (fix langevin with fix nve, or fix nph iso under pressure). A trajectory ends early when its model
fails (non-finite values) or two atoms come closer than TOO_CLOSE times the starting structure's shortest distance:
MD that gets there has left anything a label could fix.
"""
from contextlib import closing
from dataclasses import dataclass
import hashlib
import itertools
import math
from pathlib import Path
import warnings

from ase import Atoms, units
from ase.build import bulk
from ase.calculators.calculator import CalculationFailed
from ase.md.langevin import Langevin
from ase.md.langevinbaoab import LangevinBAOAB
from ase.md.velocitydistribution import thermalize_momenta
import numpy as np

from ..calculator import SymbolicCalculator
from ..data.ase_io import ase_read
from ..data.neighbours import structure_neighbours
from ..export.lammps import plugin_file_name, unregistered_plugin
from ..export.lammps_runtime import create_structure, new_lammps

TOO_CLOSE = 0.6
BAR_PER_GPA = 1e4
BAROSTAT_STEPS = 100  # the barostat's time constant in MD steps: short, as exploration runs are


@dataclass(frozen=True)
class Condition:
    """A starting structure (`name`: a bulk name or FILE@k), temperature (K), linear strain and pressure (GPa; None:
    the cell stays fixed)."""
    name: str
    atoms: Atoms
    temperature: float
    strain: float
    pressure: float | None = None

    @property
    def label(self):
        return (f"{self.name} {self.temperature:g} K strain {self.strain:+g}"
                + ("" if self.pressure is None else f" {self.pressure:g} GPa"))


@dataclass(frozen=True)
class Snapshot:
    """A configuration visited by MD: its atoms (no calculator), condition label, trajectory number and MD step."""
    atoms: Atoms
    condition: str
    trajectory: int
    step: int


@dataclass(frozen=True)
class Plugin:
    """A model's LAMMPS pair style: the compiled plugin file and the style's name."""
    path: Path
    style: str


def conditions(learn, where="config"):
    """Every (structure, temperature, strain, pressure) of a resolved [learn] table: structures in config order, then
    files."""
    starts = []
    for name in learn["structures"]:
        try:
            crystal = bulk(name, learn["lattice"], a=learn["lattice_constant"], cubic=True)
        except Exception as error:  # ASE raises ValueError, KeyError or RuntimeError for names and lattices
            raise ValueError(f"{where}: [learn] structures: ASE builds no cubic {learn['lattice'] or ''} cell of "
                             f"{name!r} ({type(error).__name__}: {error}); give it in structure_files") from None
        starts.append((name, crystal.repeat(learn["supercell"])))
    for path in learn["structure_files"]:
        starts += [(f"{Path(path).name}@{k}", atoms) for k, atoms in enumerate(ase_read(Path(path)))]
    if not starts:
        raise ValueError(f"{where}: [learn]: no starting structures: give structures or structure_files")
    if learn["pressures"]:
        for name, atoms in starts:
            if not atoms.pbc.all():
                raise ValueError(f"{where}: [learn] pressures: the starting structure {name} is not periodic in 3D, "
                                 f"so no pressure acts on its cell (give a cell periodic in x, y and z)")
    return [Condition(name, atoms, temperature, strain, pressure) for (name, atoms), temperature, strain, pressure
            in itertools.product(starts, learn["temperatures"], learn["strains"], learn["pressures"] or [None])]


def lammps_plugin(potential, folder):
    """The LAMMPS plugin of `potential` (an export.Potential; export.lammps.unregistered_plugin: tabulated, or exact
    where no table is accurate enough), built in `folder` unless there. Its style name is a
    digest of the model: LAMMPS keeps a plugin loaded for the life of the process, so another model must have
    another name."""
    model = f"{potential.formula} {potential.r_in!r} {potential.r_out!r} {potential.elements} {potential.masses}"
    style = "learn_" + hashlib.sha256(model.encode()).hexdigest()[:16]
    path = Path(folder) / plugin_file_name(style)
    if not path.exists():
        unregistered_plugin(potential, folder, style)
    return Plugin(path, style)


def explore(condition, potential, plugin, learn, seed, trajectory):
    """Snapshots of MD (`learn`: md_steps, timestep fs, friction 1/fs, snapshot_interval, lammps_atoms) of
    `condition` driven by `potential` (an export.Potential; in LAMMPS by its `plugin` for cells of at least
    lammps_atoms atoms), velocities and noise drawn from `seed`; numbered `trajectory`."""
    atoms = condition.atoms.copy()
    atoms.set_cell(atoms.cell * (1 + condition.strain), scale_atoms=True)
    closest = TOO_CLOSE * shortest_distance(atoms)
    if len(atoms) >= learn["lammps_atoms"]:
        frames = lammps_frames(atoms, condition, potential, plugin, learn, seed)
    else:
        frames = ase_frames(atoms, condition, potential, learn, seed)
    snapshots = []
    with closing(frames):
        for step, frame in zip(range(learn["snapshot_interval"], learn["md_steps"] + 1, learn["snapshot_interval"]),
                               frames):
            if shortest_distance(frame) < closest:
                break
            snapshots.append(Snapshot(frame, condition.label, trajectory, step))
    return snapshots


def ase_frames(atoms, condition, potential, learn, seed):
    """The configurations (no calculator) of ASE MD of `atoms` every snapshot_interval steps, until the model fails."""
    atoms.calc = SymbolicCalculator(potential)
    rng = np.random.default_rng(seed)
    thermalize_momenta(atoms, condition.temperature, rng=rng)
    timestep, friction = learn["timestep"] * units.fs, learn["friction"] / units.fs
    if condition.pressure is None:
        dynamics = Langevin(atoms, timestep, temperature_K=condition.temperature, friction=friction, fixcm=False,
                            rng=rng)
    else:  # stress is minus pressure; without friction, no thermostat (NPH)
        with warnings.catch_warnings():  # the barostat's mass from its time constant is the heuristic we mean
            warnings.filterwarnings("ignore", "Using heuristic P_mass", UserWarning)
            dynamics = LangevinBAOAB(atoms, timestep, temperature_K=condition.temperature if friction else None,
                                     externalstress=-condition.pressure * units.GPa, hydrostatic=True,
                                     T_tau=1 / friction if friction else None, P_tau=BAROSTAT_STEPS * timestep,
                                     rng=rng)
    while True:
        try:
            dynamics.run(learn["snapshot_interval"])
        except CalculationFailed:
            return
        yield Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)


def lammps_frames(atoms, condition, potential, plugin, learn, seed):
    """As ase_frames, in LAMMPS (`units metal`) through the model's `plugin`: the configurations rotated back from
    LAMMPS's lower-triangular cell to the frame of `atoms`."""
    lmp = new_lammps()
    try:
        rotation = create_structure(lmp, atoms, list(potential.elements))
        # LAMMPS's random generators take seeds in 1..900000000
        velocity_seed, noise_seed = (int(s) for s in np.random.default_rng(seed).integers(1, 900_000_000, size=2))
        timestep, friction = learn["timestep"] / 1000, learn["friction"]  # ps, 1/fs
        temperature, pressure = condition.temperature, condition.pressure
        commands = [f"plugin load {plugin.path}", f"pair_style {plugin.style}",
                    f"pair_coeff * * {' '.join(potential.elements)}", f"timestep {timestep!r}",
                    "thermo_style custom step pe", "thermo_modify lost error"]
        if temperature > 0:
            commands.append(f"velocity all create {temperature!r} {velocity_seed} dist gaussian mom yes")
        if pressure is None:
            commands.append("fix md all nve")
        else:
            bar = pressure * BAR_PER_GPA
            commands.append(f"fix md all nph iso {bar!r} {bar!r} {BAROSTAT_STEPS * timestep!r}")
        if friction > 0:
            commands.append(f"fix thermostat all langevin {temperature!r} {temperature!r} {1e-3 / friction!r} "
                            f"{noise_seed}")
        lmp.commands_list(commands)
        while True:
            try:
                lmp.command(f"run {learn['snapshot_interval']}")
            except Exception:  # LAMMPS raises plain Exceptions (lost atoms, a collapsing box)
                return
            if not math.isfinite(lmp.get_thermo("pe")):
                return
            (xlo, ylo, zlo), (xhi, yhi, zhi), xy, yz, xz, *_ = lmp.extract_box()
            cell = np.array([[xhi - xlo, 0, 0], [xy, yhi - ylo, 0], [xz, yz, zhi - zlo]])
            positions = np.ctypeslib.as_array(lmp.gather_atoms("x", 1, 3)).reshape(len(atoms), 3) - [xlo, ylo, zlo]
            yield Atoms(atoms.numbers, positions @ rotation, cell=cell @ rotation, pbc=atoms.pbc)
    finally:
        lmp.close()


def shortest_distance(atoms, within=6.0):
    """The shortest distance between two atoms (periodic images included), Å; inf when none is `within` Å."""
    distances = structure_neighbours(atoms, within)[2]
    return float(distances.min()) if len(distances) else np.inf
