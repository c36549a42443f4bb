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
    alloy = p.add_argument_group(
        "alloys", "with --elements A B: the binary alloy's table (ordered phases relaxed, their lattice constants "
                  "and formation energies; random fcc solid solutions and their mixing energies), then each "
                  "pure element's table against its --element-reference; no MD check")
    alloy.add_argument("--elements", nargs=2, metavar=("A", "B"), help="the alloy's two chemical symbols")
    alloy.add_argument("--phases", nargs="*", default=["L12", "B2", "L10"], metavar="PHASE",
                       help="ordered phases, PROTOTYPE:FORMULA such as L12:Ni3Al, B2:NiAl, L10:NiAl, or a prototype "
                            "alone for A3B / AB (default: L12 B2 L10)")
    alloy.add_argument("--compositions", nargs="*", type=float, default=[0.25, 0.5, 0.75], metavar="X",
                       help="atom fractions of B of the random fcc solid solutions (default 0.25 0.5 0.75)")
    alloy.add_argument("--lattice", action="append", default=[], metavar="EL=LATTICE",
                       help="an element's reference crystal for formation energies (fcc, bcc or hcp; default fcc)")
    alloy.add_argument("--supercell", type=int, default=4, metavar="N",
                       help="conventional fcc cells per edge of a solid solution (default 4: 256 sites)")
    alloy.add_argument("--seed", type=int, default=0, help="seed of the solid solutions' random sites (default 0)")
    alloy.add_argument("--element-reference", action="append", default=[], metavar="EL=FILE",
                       help="reference values of a pure element (POET's TargetProperties_0K.data format): its whole "
                            "property table is computed against them")
    p.set_defaults(run=run)


def run(args):
    from ..potentials import load_potential
    from ..properties import Property, compute_properties, format_table, read_reference, summary_line
    from ..properties.crystal import fcc_guess
    from ..properties.md import NVE_TIME, TEMPERATURE, md_check, plot_rdf

    if not args.md_time > 0:
        raise ValueError(f"--md-time must be a positive number of ps, got {args.md_time}")
    if args.elements:
        return run_alloy(args)
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


def run_alloy(args):
    """`properties --elements A B`: the alloy table, then each pure element's against its reference."""
    from ..potentials import load_potential
    from ..properties import alloy_properties, element_properties, plot_alloy, read_reference

    elements = tuple(args.elements)
    phases = [phase if ":" in phase else _default_phase(phase, elements) for phase in args.phases]
    lattices, references = _assignments(args.lattice, "--lattice"), _assignments(args.element_reference,
                                                                                  "--element-reference")
    references = {element: read_reference(Path(path)) for element, path in references.items()}
    potential = load_potential(args.potential, list(elements), cutoff_of(args))
    started = time.perf_counter()

    def progress(message):
        print(f"properties [{time.perf_counter() - started:4.0f} s] {message}", file=sys.stderr, flush=True)

    table = alloy_properties(potential.calculator, elements, phases, args.compositions, lattices, args.supercell,
                             args.seed, progress=progress)
    tables = {"alloy": table, **element_properties(potential.calculator, references, progress)}
    if args.plot_dir:
        args.plot_dir.mkdir(parents=True, exist_ok=True)
        plot_alloy(table, args.plot_dir / "alloy.png", f"{potential.name}: {'-'.join(elements)}")
        print(f"wrote {args.plot_dir / 'alloy.png'}", file=sys.stderr)
    if args.json:
        print(json.dumps({name: [row.as_dict() for row in t.rows] for name, t in tables.items()}, indent=2))
    else:
        print(f"{potential.name}: {'-'.join(elements)} alloy")
        print("\n\n".join(f"{name}:\n{t}" if name != "alloy" else str(t) for name, t in tables.items()))
    return 1 if any(row.value is None for t in tables.values() for row in t.rows) else 0


def _default_phase(prototype, elements):
    """A prototype alone: L12 is A3B, B2 and L10 are AB."""
    a, b = elements
    return f"{prototype}:{a}3{b}" if prototype == "L12" else f"{prototype}:{a}{b}"


def _assignments(items, flag):
    """{element: value} of EL=VALUE items; ValueError naming the flag for another form."""
    pairs = [item.partition("=") for item in items]
    bad = [item for item, (key, sep, value) in zip(items, pairs) if not (key and sep and value)]
    if bad:
        raise ValueError(f"{flag} {bad[0]!r}: expected ELEMENT=VALUE")
    return {key: value for key, _, value in pairs}
