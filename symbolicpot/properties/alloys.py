"""0 K properties of a binary alloy A–B with any ASE calculator: ordered phases (L1₂, B2, L1₀) relaxed, with their
lattice constants and formation energies; random fcc solid solutions, with their mixing energies and lattice
constants beside Vegard's law; the property table of each pure element.

Formation energy per atom ΔE_f = E/N − Σ_s x_s e_s, e_s the energy per atom of element s in its relaxed reference
crystal (fcc unless `lattices` says otherwise); the mixing energy is the same difference against the relaxed fcc
crystals of both elements. Every crystal relaxes to crystal.FMAX (stress below 1e-4 GPa).
"""
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
from ase.data import atomic_numbers
from ase.formula import Formula

from .crystal import energy_per_atom, fcc_guess, random_solid_solution, relax_crystal, relaxed_crystal, start_crystal
from .table import Property, PropertyTable, attempt_computation, compute_properties


class Prototype(NamedTuple):
    """An ordered phase: species A on the sites of the `parent` crystal's cubic cell (crystal.start_crystal), B on
    `b_sites`; `ratio` (A, B) its formula; `cell` the cell relaxation its symmetry allows (relax.relax)."""
    parent: str
    b_sites: tuple[int, ...]
    ratio: tuple[int, int]
    cell: str


PROTOTYPES = {
    "L12": Prototype("fcc", (0,), (3, 1), "hydrostatic"),  # A3B (Cu3Au): B on the cube corners, A on the faces
    "B2": Prototype("bcc", (1,), (1, 1), "hydrostatic"),  # AB (CsCl): B at the body centre
    "L10": Prototype("fcc", (1, 2), (1, 1), "full"),  # AB (CuAu): (001) planes of A at z = 0, of B at z = c/2
}
"""The ordered phases by name. Every site is an inversion centre, so the atoms feel no force in any cell of the
phase's symmetry: the cell relaxes (L1₀: a and c), the atoms stay put."""

LATTICES = ("fcc", "bcc", "hcp")
"""The reference crystals a pure element may have (crystal.start_crystal)."""

SIZE = 4
"""Conventional fcc cells per edge of a solid solution's supercell (4 × 4³ = 256 sites)."""


class Phase(NamedTuple):
    """An ordered phase of species `a` and `b` (A and B of its prototype): Phase("L12", "Ni", "Al") is L1₂ Ni3Al."""
    prototype: str
    a: str
    b: str

    @property
    def name(self):
        """E.g. "L12_Ni3Al", "B2_NiAl": the prototype and the formula, A first."""
        return f"{self.prototype}_{_formula((self.a, self.b), PROTOTYPES[self.prototype].ratio)}"


@dataclass(frozen=True)
class AlloyTable(PropertyTable):
    """The rows and notes of an alloy (PropertyTable), its `elements` (A, B) and the atom fraction of B each row
    describes (`fractions`: {row name: x})."""
    elements: tuple[str, str]
    fractions: dict[str, float]


def alloy_properties(calculator, elements, phases=(), compositions=(0.25, 0.5, 0.75), lattices=None, size=SIZE,
                     seed=0, reference=None, progress=lambda message: None):
    """The 0 K properties of the alloy of `elements` (A, B: two chemical symbols) with the ASE `calculator`, as an
    AlloyTable whose rows pair each value with `reference` ({name: value}, optional):

    - `a0_fcc_A`, `a0_fcc_B` (Å): the relaxed fcc crystals of the pure elements;
    - per phase of `phases` ("L12:Ni3Al", "B2:NiAl", "L10:NiAl"; see parse_phase), relaxed: `dE_f_L12_Ni3Al`
      (eV/atom) against the pure elements' reference crystals (`lattices`, e.g. {"Al": "bcc"}; fcc by default),
      `a_L12_Ni3Al` (Å, the cubic cell's edge; L1₀: of its 4-atom face-centred tetragonal cell) and for L1₀
      `c_L10_NiAl` (Å);
    - per atom fraction x of B in `compositions`: a random fcc solid solution (solid_solution with `size` and
      `seed`), its volume (hydrostatically) and positions relaxed: `dE_mix_fcc_x0.50` (eV/atom, against fcc A and
      B) and `a_fcc_x0.50` (Å; Vegard's law in the notes).

    A computation that fails (CalculationFailed) leaves its rows None and adds a note, as in compute_properties;
    bad input raises ValueError before anything is computed. `progress(message)` announces each relaxation.
    """
    elements = _check_elements(elements)
    lattices = {element: "fcc" for element in elements} | _check_lattices(lattices or {}, elements)
    phases = [(phase, _at_guessed_volume(ordered_structure(phase, 1.0)))
              for phase in (parse_phase(spec, elements) for spec in phases)]
    solutions = [(f"x{x:.2f}", _at_guessed_volume(solid_solution(elements, x, 1.0, size, seed))) for x in compositions]
    names = [phase.name for phase, _ in phases] + [label for label, _ in solutions]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"given twice: {', '.join(twice)}")
    reference = reference or {}
    rows, fractions = [], {}
    notes = ["formation energies against " + ", ".join(f"{element} {lattices[element]}" for element in elements)
             + "; mixing energies against fcc"]
    attempt = partial(attempt_computation, notes=notes, progress=progress)

    def add(name, unit, x, value):
        rows.append(Property(name, value, reference.get(name), unit))
        fractions[name] = x

    crystals = {(element, lattice): attempt(f"{element} {lattice} crystal", lambda: relaxed_crystal(
        calculator, element, lattice, fcc_guess(element))) for element in elements for lattice in
        dict.fromkeys(("fcc", lattices[element]))}
    a0 = {element: _length(crystals[element, "fcc"], 0) for element in elements}
    for x, element in enumerate(elements):
        add(f"a0_fcc_{element}", "Å", float(x), a0[element])
    e_reference = _energies(crystals, lattices)
    e_fcc = _energies(crystals, dict.fromkeys(elements, "fcc"))

    for phase, atoms in phases:
        x = _fraction(atoms, elements)
        relaxed = attempt(f"{phase.name} phase", lambda: relax_crystal(
            atoms, calculator, PROTOTYPES[phase.prototype].cell, phase.name))
        add(f"dE_f_{phase.name}", "eV/atom", x, _excess_energy(relaxed, e_reference))
        add(f"a_{phase.name}", "Å", x, _length(relaxed, 0))
        if phase.prototype == "L10":
            add(f"c_{phase.name}", "Å", x, _length(relaxed, 2))
            if relaxed is not None:
                notes.append(f"{phase.name}: c/a = {_length(relaxed, 2) / _length(relaxed, 0):.4f}")

    for label, atoms in solutions:
        x, n_b = _fraction(atoms, elements), atoms.symbols.count(elements[1])
        relaxed = attempt(f"fcc solid solution {label} ({len(atoms)} atoms)", lambda: relax_crystal(
            atoms, calculator, "hydrostatic", f"fcc {label} solid solution"))
        a = None if relaxed is None else _length(relaxed, 0) / size
        add(f"dE_mix_fcc_{label}", "eV/atom", x, _excess_energy(relaxed, e_fcc))
        add(f"a_fcc_{label}", "Å", x, a)
        note = f"fcc {label}: {n_b} {elements[1]} of {len(atoms)} sites (seed {seed}), volume and positions relaxed"
        if a is not None and None not in a0.values():
            vegard = (1 - x) * a0[elements[0]] + x * a0[elements[1]]
            note += f"; a = {a:.4f} Å, Vegard's law {vegard:.4f} Å ({100 * (a / vegard - 1):+.2f} %)"
        notes.append(note)
    return AlloyTable(rows, notes, elements, fractions)


def parse_phase(spec, elements):
    """The Phase of `spec`, "PROTOTYPE:FORMULA" such as "L12:Ni3Al", "B2:NiAl" or "L10:NiAl" (PROTOTYPES), made of
    `elements`. In a 1:1 phase A and B are alike (a translation exchanges them): A is the first of `elements`, so
    "B2:AlNi" is "B2:NiAl". ValueError for an unknown prototype, a formula that is not two chemical symbols of
    `elements` in the prototype's ratio."""
    prototype, colon, formula = spec.partition(":")
    if not colon:
        raise ValueError(f"phase {spec!r}: expected PHASE:FORMULA such as L12:Ni3Al")
    if prototype not in PROTOTYPES:
        raise ValueError(f"phase {spec!r}: unknown phase {prototype!r} (known: {', '.join(PROTOTYPES)})")
    try:
        counts = Formula(formula).count()
    except ValueError:
        raise ValueError(f"phase {spec!r}: {formula!r} is not a chemical formula") from None
    for symbol in counts:
        _check_symbol(symbol)
    ratio = PROTOTYPES[prototype].ratio
    if len(counts) != 2:
        raise ValueError(f"phase {spec!r}: {prototype} needs two elements ({_formula('AB', ratio)}), "
                         f"got {formula!r}")
    first, second = counts
    a, b = (first, second) if counts[first] * ratio[1] == counts[second] * ratio[0] else (second, first)
    if counts[a] * ratio[1] != counts[b] * ratio[0]:
        raise ValueError(f"phase {spec!r}: {prototype} is {_formula('AB', ratio)}, {formula} is not")
    for symbol in (a, b):
        if symbol not in elements:
            raise ValueError(f"phase {spec!r}: {symbol} is not one of the elements {' '.join(elements)}")
    return Phase(prototype, *(elements if ratio[0] == ratio[1] else (a, b)))


def ordered_structure(phase, a_fcc):
    """The unrelaxed `phase` (ase.Atoms, cubic cell: 4 atoms for L12 and L10, 2 for B2) at the volume per atom of
    fcc with lattice constant `a_fcc` (Å)."""
    prototype = PROTOTYPES[phase.prototype]
    atoms = start_crystal(phase.a, prototype.parent, a_fcc)
    atoms.symbols[list(prototype.b_sites)] = phase.b
    return atoms


def solid_solution(elements, x, a_fcc, size=SIZE, seed=0):
    """A random fcc solid solution (ase.Atoms, unrelaxed): the conventional cell with lattice constant `a_fcc` (Å)
    repeated size × size × size, round(x · 4 size³) of its sites, drawn by `seed`, of elements[1] and the others of
    elements[0]. One permutation per seed: the B sites at a lower x are among those at a higher x. ValueError unless
    both elements get a site."""
    atoms = start_crystal(elements[0], "fcc", a_fcc).repeat(size)
    solution = random_solid_solution(atoms, {elements[0]: 1 - x, elements[1]: x}, np.random.default_rng(seed))
    if len(set(solution.symbols)) < 2:
        raise ValueError(f"x = {x:g} of {elements[1]} leaves all {len(atoms)} sites (size {size}) to one element: a "
                         f"solid solution needs at least one site of each")
    return solution


def element_properties(calculator, references, progress=lambda message: None):
    """compute_properties of each element of `references` ({element: {name: value}}, e.g. read_reference(file) per
    element; {} for none) with the ASE `calculator`: {element: PropertyTable}. Progress messages start with the
    element."""
    for element in references:
        _check_symbol(element)
    return {element: compute_properties(calculator, element, reference,
                                        lambda message: progress(f"{element}: {message}"))
            for element, reference in references.items()}


def plot_alloy(table, path, title=""):
    """Plot an AlloyTable to `path` (PNG/SVG/PDF): left, the mixing energy of the solid solutions (eV/atom; 0 at the
    pure elements) and the ordered phases' formation energies against the atom fraction of B; right, the solid
    solutions' lattice constants (Å) and Vegard's law."""
    from ..plotting import pyplot
    plt = pyplot()

    def points(prefix):
        return sorted((table.fractions[row.name], row.value, row.name.removeprefix(prefix)) for row in table.rows
                      if row.name.startswith(prefix) and row.value is not None)

    figure, (energy, lattice) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    mixing = points("dE_mix_fcc_")
    if mixing:
        x, value, _ = zip(*[(0.0, 0.0, ""), *mixing, (1.0, 0.0, "")])
        energy.plot(x, value, "o-", color="C0", label="mixing: random fcc solid solutions")
    for n, (x, value, name) in enumerate(points("dE_f_")):
        energy.plot(x, value, "s", color="C1", label=None if n else "formation: ordered phases")
        energy.annotate(name, (x, value), textcoords="offset points", xytext=(5, 5), fontsize=8)
    energy.axhline(0.0, color="0.6", linewidth=0.8)
    energy.margins(y=0.15)
    energy.set_ylabel("ΔE (eV/atom)")
    pure, solutions = points("a0_fcc_"), points("a_fcc_")
    if len(pure) == 2:
        lattice.plot([x for x, _, _ in pure], [a for _, a, _ in pure], "--", color="0.5", label="Vegard's law")
    if solutions:
        lattice.plot(*zip(*[(x, a) for x, a, _ in sorted(pure + solutions)]), "o", color="C0",
                     label="fcc: pure elements and solid solutions")
    lattice.set_ylabel("fcc lattice constant (Å)")
    for axis in (energy, lattice):
        if axis.get_legend_handles_labels()[0]:  # nothing to label when every computation failed
            axis.legend(fontsize=8)
        axis.set_xlabel(f"atom fraction of {table.elements[1]} in {table.elements[0]}")
        axis.set_xlim(-0.05, 1.05)
    figure.suptitle(title, fontsize=9)
    figure.savefig(path, dpi=150)
    plt.close(figure)


def _check_symbol(symbol):
    if symbol not in atomic_numbers or symbol == "X":
        raise ValueError(f"{symbol!r} is not a chemical symbol")


def _check_elements(elements):
    elements = tuple(elements)
    for element in elements:
        _check_symbol(element)
    if len(elements) != 2 or elements[0] == elements[1]:
        raise ValueError(f"an alloy needs two different elements, got {' '.join(elements) or 'none'}")
    return elements


def _check_lattices(lattices, elements):
    for element, lattice in lattices.items():
        if element not in elements:
            raise ValueError(f"lattices: {element!r} is not one of the elements {' '.join(elements)}")
        if lattice not in LATTICES:
            raise ValueError(f"lattices: unknown lattice {lattice!r} for {element} (known: {', '.join(LATTICES)})")
    return lattices


def _formula(species, ratio):
    """E.g. "Ni3Al" of ("Ni", "Al") and (3, 1)."""
    return "".join(symbol + (str(n) if n > 1 else "") for symbol, n in zip(species, ratio))


def _fraction(atoms, elements):
    """The atom fraction of elements[1] in `atoms`."""
    return atoms.symbols.count(elements[1]) / len(atoms)


def _at_guessed_volume(atoms):
    """`atoms` scaled in place to the mean volume per atom of its atoms' fcc crystals at crystal.fcc_guess: the
    start of a relaxation."""
    volume = np.mean([fcc_guess(symbol) ** 3 / 4 for symbol in atoms.get_chemical_symbols()])
    atoms.set_cell(atoms.cell * (volume * len(atoms) / atoms.get_volume()) ** (1 / 3), scale_atoms=True)
    return atoms


def _length(atoms, axis):
    """The length (Å) of cell vector `axis` of `atoms`, or None without atoms (a failed relaxation)."""
    return None if atoms is None else float(atoms.cell.lengths()[axis])


def _energies(crystals, lattices):
    """{element: energy per atom (eV)} of the relaxed crystals[element, lattices[element]], or None if one failed."""
    chosen = {element: crystals[element, lattice] for element, lattice in lattices.items()}
    if any(atoms is None for atoms in chosen.values()):
        return None
    return {element: energy_per_atom(atoms) for element, atoms in chosen.items()}


def _excess_energy(atoms, e_pure):
    """E/N − Σ_s x_s e_s (eV/atom) of the relaxed `atoms` against `e_pure` ({element: eV/atom}), or None if either
    is None."""
    if atoms is None or e_pure is None:
        return None
    return float(energy_per_atom(atoms) - np.mean([e_pure[symbol] for symbol in atoms.get_chemical_symbols()]))
