"""`symbolicpot export`: a run's model or a formula as a potential for ASE or LAMMPS, as JSON or as LaTeX."""
import os
import re
from pathlib import Path

from ..cutoff import DEFAULT
from . import add_cutoff, cutoff_of

FORMATS = ("ase", "lammps", "eam-fs", "json", "latex")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
ASE_EXAMPLE = '''"""The potential {name} as an ASE calculator: a rattled {crystal} crystal relaxed, then 100 fs of NVE MD."""
from pathlib import Path

from ase.build import bulk
from ase.md.velocitydistribution import thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.optimize import FIRE
from ase.units import fs

from symbolicpot.calculator import SymbolicCalculator

atoms = bulk({element!r}, "fcc", a={a!r}, cubic=True).repeat(3)
{mixing}atoms.rattle(0.05, seed=0)
atoms.calc = SymbolicCalculator(Path(__file__).with_name({json_name!r}))
print(f"energy {{atoms.get_potential_energy() / len(atoms):.6f}} eV/atom, "
      f"largest force {{abs(atoms.get_forces()).max():.4f}} eV/Å, stress {{atoms.get_stress()}} eV/Å³")
FIRE(atoms, logfile=None).run(fmax=1e-3)
print(f"relaxed: {{atoms.get_potential_energy() / len(atoms):.6f}} eV/atom")
thermalize_momenta(atoms, temperature_K=600)
start = atoms.get_total_energy()
VelocityVerlet(atoms, timestep=1 * fs).run(100)
print(f"NVE: {{atoms.get_temperature():.0f}} K, total energy changed by "
      f"{{(atoms.get_total_energy() - start) / len(atoms):.1e}} eV/atom")
'''


def add_parser(commands):
    p = commands.add_parser(
        "export", help="write a potential for ASE or LAMMPS (compiled plugin or eam/fs tables), as JSON or LaTeX",
        description="Export a model of a run's Pareto front, a potential JSON file or a formula. Formats: json (the "
                    "potential as data), ase (the JSON and an example script for symbolicpot.calculator), lammps "
                    "(a compiled pair style plugin and an input script), eam-fs (a setfl file for pair_style eam/fs; "
                    "formulas of EAM shape only), latex (the simplified formula).")
    p.add_argument("source", metavar="SOURCE",
                   help='a run directory (with --pick), a potential JSON file, or a formula such as '
                        '"sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"')
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into (created if needed)")
    p.add_argument("--pick", type=int, metavar="N", help="the index of the model on the run's front")
    p.add_argument("--name", help="stem of the file names: a letter, then letters, digits or _ "
                                  "(default: model<N> for a run, the JSON's stem, or 'potential')")
    add_cutoff(p, of_formula=True)
    p.add_argument("--elements", "--element", type=_elements, metavar="SYMBOLS",
                   help="chemical symbols, comma-separated (Ni,Al), for a formula or a run (default: the species the "
                        "formula names, else Cu)")
    p.add_argument("--exact", action="store_true",
                   help="lammps: compute the pair functions from the formula instead of reading them from tables "
                        "(tables: within 1e-9 eV/atom and 1e-7 eV/Å, faster)")
    p.set_defaults(run=run)


def run(args):
    potential, name = _potential(args)
    name = args.name or name
    if not NAME.fullmatch(name):
        raise ValueError(f"--name {name!r}: use a letter, then letters, digits or _ (at most 64)")
    if args.exact and args.format != "lammps":
        raise ValueError("--exact applies to --format lammps only")
    args.out.mkdir(parents=True, exist_ok=True)
    writer = WRITERS[args.format]
    for line in writer(potential, args.out, name, exact=True) if args.exact else writer(potential, args.out, name):
        print(line)
    return 0


def _potential(args):
    """The Potential that SOURCE names, and the default file stem."""
    from ..export.potential import Potential
    source = Path(args.source)
    cutoff = cutoff_of(args)
    if os.path.isdir(source):  # False, not OSError, for a formula too long to be a file name
        if args.pick is None:
            raise ValueError(f"{source} is a run directory: choose a model of its front with --pick N "
                             f"(the front lists them: symbolicpot front {source})")
        if cutoff is not None:
            raise ValueError("--r-in/--r-out apply to formulas; a run's models keep the run's cutoff")
        from ..run.front import front_potential
        return front_potential(source, args.pick, args.elements), f"model{args.pick}"
    if args.pick is not None:
        raise ValueError(f"--pick needs a run directory, and {source} is none")
    if os.path.isfile(source):
        if cutoff is not None or args.elements:
            raise ValueError(f"{source} fixes the cutoff and the elements; --r-in, --r-out and --elements apply to "
                             f"formulas")
        return Potential.from_json(source), re.sub(r"\W", "_", source.stem)
    cutoff = cutoff or DEFAULT
    return Potential.from_formula(args.source, cutoff.r_in, cutoff.r_out, args.elements), "potential"


def _elements(text):
    """The list of chemical symbols of --elements (comma-separated)."""
    return [symbol.strip() for symbol in text.split(",")]


def _write_json(potential, out, name):
    return [potential.to_json(out / f"{name}.json")]


def _write_ase(potential, out, name):
    from ..export.eam_fs import mixed_fcc_lattice_constant
    script = out / f"{name}_ase.py"
    elements = potential.elements
    mixing = f"atoms.symbols = [{elements!r}[k % {len(elements)}] for k in range(len(atoms))]\n" \
        if len(elements) > 1 else ""
    script.write_text(ASE_EXAMPLE.format(name=name, crystal=", ".join(elements), element=elements[0], mixing=mixing,
                                         a=round(mixed_fcc_lattice_constant(elements), 4), json_name=f"{name}.json"),
                      encoding="utf-8")
    return _write_json(potential, out, name) + [script]


def _write_latex(potential, out, name):
    from ..expr.symbolic import latex
    path = out / f"{name}.tex"
    path.write_text(
        f"% symbolicpot potential {name}: E = \\sum_i T_i (eV); \\sum_j runs over all neighbours j \\neq i, each term\n"
        f"% times the smooth cutoff f(r_{{ij}}) between r_in = {potential.r_in!r} and r_out = {potential.r_out!r} "
        f"(Å). Simplified, constants to 6 digits; exact: {potential.formula}\n"
        f"\\begin{{equation}}\n  T_i = {latex(potential.tree)}\n\\end{{equation}}\n", encoding="utf-8")
    return [path]


def _write_eam_fs(potential, out, name):
    from ..export.eam_fs import write_setfl
    path = out / f"{name}.eam.fs"
    tables = write_setfl(potential, path)
    f, rho = tables.embedding[0], tables.density[0][0]
    return [path, f"  pair_style eam/fs; pair_coeff * * {path.name} {' '.join(potential.elements)}",
            f"  F: {len(f.values)} points up to rho = {(len(f.values) - 1) * f.delta:.6g}; rho(r), r*phi(r): "
            f"{len(rho.values)} points up to {potential.r_out!r} Å; estimated tabulation error "
            f"{tables.error_estimate:.1e} eV/atom"]


def _write_lammps(potential, out, name, exact=False):
    from ..export.lammps import LammpsBuildError, export_lammps, summary
    try:
        return export_lammps(potential, out, name, exact=exact) + summary(potential, exact)
    except LammpsBuildError as error:
        raise OSError(str(error)) from None


WRITERS = {"json": _write_json, "ase": _write_ase, "latex": _write_latex, "eam-fs": _write_eam_fs,
           "lammps": _write_lammps}
