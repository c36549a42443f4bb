"""`symbolicpot properties`: physical properties of a potential against reference values, and an MD check."""
import json
import sys
import time
from pathlib import Path

from . import add_cutoff, cutoff_of


def add_parser(commands):
    p = commands.add_parser(
        "properties", help="lattice, elastic, defect and surface properties vs a reference (DFT copper), MD check",
        description="Compute fcc and bcc lattice constants, C11, C12, C44, the VRH bulk modulus, bcc-fcc and hcp-fcc "
                    "energy differences, vacancy and <100> dumbbell formation energies and 13 surface energies "
                    "(all relaxed), compare them with the reference, then run an MD stability check (NVT at "
                    "1400 K, then NVE). Progress goes to stderr. Exit status: 0; 1 if the MD check finds the "
                    "potential unstable or a property could not be computed; 2 for bad input.")
    p.add_argument("potential", metavar="POTENTIAL",
                   help="a formula, a potential JSON file (symbolicpot export --format json), RUN_DIR:N, an EAM (.eam, "
                        ".eam.alloy, .eam.fs) or SNAP file, a literature name such as eam:Cu_mishin1, or a "
                        "baseline directory")
    p.add_argument("--reference", type=Path, metavar="FILE",
                   help="reference values in POET's TargetProperties_0K.data format (default: the shipped DFT (PBE) "
                        "values for copper)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {name, value, reference, unit} instead of the table (notes, the "
                        "summary line and the MD check's outcome go to stderr)")
    p.add_argument("--plot-dir", type=Path, metavar="DIR", help="write the MD check's radial distribution "
                                                                "function to DIR/rdf.png")
    p.add_argument("--element", default="Cu", help="chemical symbol of the crystals, the potential's (default Cu)")
    add_cutoff(p, of_formula=True)
    p.add_argument("--md-time", type=float, default=10.0, metavar="PS",
                   help="NVT time of the MD check in ps (default 10; 2 ps of NVE follow)")
    p.add_argument("--no-md", action="store_true", help="skip the MD check (its 12 ps take a minute or more)")
    p.set_defaults(run=run)


def run(args):
    from ..potentials import load_potential
    from ..properties import Property, compute_properties, format_table, read_reference, summary_line
    from ..properties.crystal import fcc_guess
    from ..properties.md import NVE_TIME, TEMPERATURE, md_check, plot_rdf

    if not args.md_time > 0:
        raise ValueError(f"--md-time must be a positive number of ps, got {args.md_time}")
    reference = read_reference(args.reference)
    potential = load_potential(args.potential, args.element, cutoff_of(args))
    started = time.perf_counter()

    def progress(message):
        print(f"properties [{time.perf_counter() - started:4.0f} s] {message}", file=sys.stderr, flush=True)

    table = compute_properties(potential.calculator, args.element, reference, progress)
    rows, lines, md = list(table.rows), [], None
    if not args.no_md:
        md = md_check(potential.calculator, args.element, table.value("a0_fcc") or fcc_guess(args.element),
                      nvt_time=args.md_time, progress=progress)
        rows += [Property("md_min_distance", md.min_distance, None, "Å"),
                 Property("md_energy_drift", md.drift, None, "meV/atom/ps")]
        outcome = (f"stable; min distance {md.min_distance:.2f} Å, NVE energy drift {md.drift:+.2g} meV/atom/ps "
                   f"at {md.temperature:.0f} K" if md.stable else f"UNSTABLE: {md.reason}")
        lines.append(f"MD check ({md.n_atoms} atoms, NVT {TEMPERATURE:g} K {args.md_time:g} ps, then NVE "
                     f"{NVE_TIME:g} ps): {outcome}")
        if not md.stable:
            print(f"symbolicpot properties: error: the MD check failed: {md.reason}", file=sys.stderr)
        elif args.plot_dir:
            args.plot_dir.mkdir(parents=True, exist_ok=True)
            plot_rdf(md, args.plot_dir / "rdf.png", f"{potential.name}: {md.n_atoms} atoms, NVE at "
                                                    f"{md.temperature:.0f} K after {args.md_time:g} ps NVT")
            print(f"wrote {args.plot_dir / 'rdf.png'}", file=sys.stderr)
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
        print("\n".join([*table.notes, summary_line(table.rows), *lines]), file=sys.stderr)
    else:
        print(f"{potential.name} against {args.reference or 'DFT (PBE) copper, POET'}")
        print("\n".join([format_table(table.rows), *table.notes, summary_line(table.rows), *lines]))
    failed = any(row.value is None for row in table.rows)
    return 1 if failed or (md is not None and not md.stable) else 0
