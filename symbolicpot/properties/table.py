"""The property table of a potential: every property of reference.UNITS computed, compared with reference values."""
from dataclasses import asdict, dataclass
from functools import partial

from ase.calculators.calculator import CalculationFailed

from .crystal import energy_per_atom, fcc_guess, relaxed_crystal
from .defects import SUPERCELLS, dumbbell, formation_energy, migration_barrier, vacancy
from .elastic import cubic_constants, elastic_tensor, hill_bulk_modulus
from .reference import SURFACES, UNITS
from .stacking import stacking_fault_energy
from .surfaces import surface_energy

FORMATS = {"Å": ".4f", "GPa": ".1f", "eV/atom": ".4f", "eV": ".3f", "meV/Å²": ".1f", "mJ/m²": ".1f"}
"""Number format of each unit in the text table."""


@dataclass(frozen=True)
class Property:
    """One row: `value` computed (None if its computation failed), `reference` (None without one), in `unit`."""
    name: str
    value: float | None
    reference: float | None
    unit: str

    @property
    def percent(self):
        """The error in % of |reference| (None without a value or a reference)."""
        if self.value is None or self.reference is None:
            return None
        return 100 * (self.value - self.reference) / abs(self.reference)

    def as_dict(self):
        """{"name", "value", "reference", "unit"}: one object of `symbolicpot properties --json`."""
        return asdict(self)


@dataclass(frozen=True)
class PropertyTable:
    """The rows in UNITS order and notes (str): defect energies by supercell size, hcp c/a, failures."""
    rows: list[Property]
    notes: list[str]

    def value(self, name):
        """The value of property `name` (None if it failed)."""
        return next(row.value for row in self.rows if row.name == name)

    def __str__(self):
        return "\n".join([format_table(self.rows), *self.notes])


def attempt_computation(what, compute, notes, progress):
    """`compute()` after `progress(what)`; if it fails (CalculationFailed: a relaxation that does not converge,
    non-finite energies), None and a note "<what>: failed: <why>" appended to `notes`."""
    progress(what)
    try:
        return compute()
    except CalculationFailed as error:
        notes.append(f"{what}: failed: {error}")


def compute_properties(calculator, element="Cu", reference=None, progress=lambda message: None):
    """Compute every property of `element` with the ASE `calculator` (see the README's "Physical properties" and
    the docstrings of crystal, elastic, defects, surfaces, stacking) and pair it with `reference` ({name: value}).
    `progress(message)` announces each computation. A computation that fails (a relaxation that does not converge,
    non-finite energies) leaves its properties None and adds a note; without a relaxed fcc crystal nothing else is
    computed."""
    values, notes = {}, []
    attempt = partial(attempt_computation, notes=notes, progress=progress)
    fcc = attempt("fcc lattice constant", lambda: relaxed_crystal(calculator, element, "fcc", fcc_guess(element)))
    if fcc is not None:
        a0, e_fcc = float(fcc.cell[0, 0]), energy_per_atom(fcc)
        values["a0_fcc"] = a0
        for structure in ("bcc", "hcp"):
            crystal = attempt(f"{structure} crystal", lambda: relaxed_crystal(calculator, element, structure, a0))
            if crystal is not None:
                values[f"dE_{structure}_fcc"] = energy_per_atom(crystal) - e_fcc
                if structure == "bcc":
                    values["a0_bcc"] = float(crystal.cell[0, 0])
                else:
                    a, _, c = crystal.cell.cellpar()[:3]
                    notes.append(f"hcp: a = {a:.4f} Å, c/a = {c / a:.4f} (ideal 1.6330)")
        tensor = attempt("elastic constants", lambda: elastic_tensor(fcc))
        if tensor is not None:
            values["C11"], values["C12"], values["C44"] = cubic_constants(tensor)
            values["B_vrh"] = hill_bulk_modulus(tensor)
        for name, build in (("E_vac", vacancy), ("E_dumbbell", dumbbell)):
            by_size = {4 * n ** 3: attempt(f"{name} in a {4 * n ** 3}-site supercell",
                                           lambda: formation_energy(build(element, a0, n), calculator, e_fcc))
                       for n in SUPERCELLS}
            values[name] = by_size[4 * SUPERCELLS[-1] ** 3]
            notes.append(f"{name} by supercell size (eV): "
                         + ", ".join(f"{sites} sites {_cell(energy, '.3f')}" for sites, energy in by_size.items()))
        for hkl in SURFACES:
            values[f"E_surf_{hkl}"] = attempt(f"({hkl}) surface", lambda: surface_energy(
                calculator, element, a0, e_fcc, tuple(int(digit) for digit in hkl)))
        values["gamma_isf"] = attempt("stacking fault", lambda: stacking_fault_energy(calculator, element, a0, e_fcc))
        values["E_mig"] = attempt("vacancy migration (NEB)", lambda: migration_barrier(calculator, element, a0))
    reference = reference or {}
    return PropertyTable([Property(name, values.get(name), reference.get(name), unit) for name, unit in UNITS.items()],
                         notes)


def format_table(rows):
    """A text table: property, value, reference, error (absolute and %), unit."""
    width = max([12, *(len(row.name) for row in rows)])
    lines = [f"{'property':<{width}} {'potential':>10} {'reference':>10} {'error':>9} {'error %':>8}  unit"]
    for row in rows:
        fmt = FORMATS[row.unit]
        cells = [_cell(row.value, fmt), _cell(row.reference, fmt), "-", "-"]
        if row.value is not None and row.reference is not None:
            cells[2:] = [format(row.value - row.reference, "+" + fmt), f"{row.percent:+.1f}"]
        lines.append(f"{row.name:<{width}} {cells[0]:>10} {cells[1]:>10} {cells[2]:>9} {cells[3]:>8}  {row.unit}")
    return "\n".join(lines)


def summary_line(rows):
    """E.g. "within 5 % of the reference: 9 of 23 properties; within 10 %: 15 of 23", over the rows with a reference
    (|value − reference| ≤ 5 % of |reference|; a property that failed counts as outside)."""
    compared = [row for row in rows if row.reference is not None]
    within = [sum(row.value is not None and abs(row.percent) <= bound for row in compared) for bound in (5, 10)]
    return (f"within 5 % of the reference: {within[0]} of {len(compared)} properties; "
            f"within 10 %: {within[1]} of {len(compared)}")


def _cell(number, fmt):
    return "-" if number is None else format(number, fmt)
