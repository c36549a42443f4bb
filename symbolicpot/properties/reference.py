"""The property catalogue (names and units of the table) and reference values in POET's `TargetProperties_0K.data`
format; a copy of POET's DFT (PBE) file for copper ships with symbolicpot (see symbolicpot/data/examples/NOTICE.md).

The format: a title line, then one row per property, `NAME PHASE VALUE UNIT` separated by blanks or tabs, e.g.
`a0 FCC 3.632 Å`, `delta_E0 BCC_FCC 0.036 eV/atom`, `Esurf_100 FCC 91.98 meV/(Å^2)`; beyond POET's names,
`SFE_isf FCC 41.0 mJ/(m^2)` and `Ev_m FCC 0.70 eV` (shown in the table, never fitted).
"""
from pathlib import Path

SURFACES = ("100", "110", "111", "210", "211", "221", "310", "311", "320", "321", "322", "331", "332")

UNITS = {"a0_fcc": "Å", "a0_bcc": "Å", "C11": "GPa", "C12": "GPa", "C44": "GPa", "B_vrh": "GPa",
         "dE_bcc_fcc": "eV/atom", "dE_hcp_fcc": "eV/atom", "E_vac": "eV", "E_dumbbell": "eV",
         **{f"E_surf_{hkl}": "meV/Å²" for hkl in SURFACES}, "gamma_isf": "mJ/m²", "E_mig": "eV"}
"""Every property of the table, in table order, with its unit. The last two have no POET reference (its file holds
none): the intrinsic stacking-fault energy and the vacancy migration barrier are shown, never fitted."""

POET_NAMES = {("a0", "FCC"): "a0_fcc", ("a0", "BCC"): "a0_bcc", ("C11", "FCC"): "C11", ("C12", "FCC"): "C12",
              ("C44", "FCC"): "C44", ("BVRH", "FCC"): "B_vrh", ("delta_E0", "BCC_FCC"): "dE_bcc_fcc",
              ("delta_E0", "HCP_FCC"): "dE_hcp_fcc", ("Ev_f", "FCC"): "E_vac", ("Edumbbell_f", "FCC"): "E_dumbbell",
              **{(f"Esurf_{hkl}", "FCC"): f"E_surf_{hkl}" for hkl in SURFACES},
              ("SFE_isf", "FCC"): "gamma_isf", ("Ev_m", "FCC"): "E_mig"}
"""(NAME, PHASE) of a POET row → property name (the last two are ours: POET's files hold no such rows)."""

DFT_COPPER = Path(__file__).resolve().parents[1] / "data" / "examples" / "dft_copper_0K" / "TargetProperties_0K.data"


def read_reference(path=None):
    """The reference values in a TargetProperties file (default: the shipped DFT copper file) as {property name:
    value} in the units of UNITS. ValueError names the file and line of an unknown property, a unit that differs
    from the catalogue's, a value that is not a number or a property given twice."""
    path = Path(DFT_COPPER if path is None else path)
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], start=2):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        fields = line.split()
        if len(fields) != 4:
            raise ValueError(f"{where}: expected NAME PHASE VALUE UNIT, got {line.strip()!r}")
        name = POET_NAMES.get((fields[0], fields[1]))
        if name is None:
            known = ", ".join(f"{poet} {phase}" for poet, phase in POET_NAMES)
            raise ValueError(f"{where}: unknown property {fields[0]} {fields[1]} (known: {known})")
        unit = fields[3].replace("(", "").replace(")", "").replace("^2", "²")
        if unit != UNITS[name]:
            raise ValueError(f"{where}: {fields[0]} {fields[1]} must be in {UNITS[name]}, got {fields[3]}")
        if name in values:
            raise ValueError(f"{where}: {fields[0]} {fields[1]} is given twice")
        try:
            values[name] = float(fields[2])
        except ValueError:
            raise ValueError(f"{where}: {fields[2]!r} is not a number") from None
    return values
