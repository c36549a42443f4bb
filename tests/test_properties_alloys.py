"""0 K properties of alloys (symbolicpot.properties.alloys): ordered phases, random solid solutions, per-element
tables. ASE's EMT (Ni, Al, Cu) is the fast real calculator; formulas through FormulaCalculator set up alloys whose
answers are known."""
import json
import re

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.lattice.compounds import B2, L1_0, L1_2

from symbolicpot.cli import main
from symbolicpot.evaluate import Cutoff
from symbolicpot.evaluate.calculator import FormulaCalculator
from symbolicpot.expr import parse_expression
from symbolicpot.properties import Property, read_reference
from symbolicpot.properties.alloys import (PROTOTYPES, Phase, alloy_properties, element_properties, ordered_structure,
                                           parse_phase, plot_alloy, solid_solution)
from symbolicpot.properties.crystal import FMAX, energy_per_atom, relaxed_crystal

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
UNLIKE = ("Ni: sum(644.52*r^-9) - sum(527.62*r^-6)^0.5 - sum[Al](10*r^-6); "
          "Al: sum(700*r^-9) - sum(500*r^-6)^0.5 - sum[Ni](10*r^-6)")
"""Sutton–Chen-like Ni and Al (different numbers) with an extra attraction between unlike neighbours only."""
PHASES = ("L12:Ni3Al", "B2:NiAl", "L10:NiAl", "L12:Al3Ni")
SIZE = 2
"""Solid solutions of 32 atoms keep the tests at seconds (the default, 256 atoms, takes a minute with EMT)."""


def formula(text):
    return FormulaCalculator(parse_expression(text), Cutoff(3.0, 5.0))


def swapped(text):
    """The text with the names Ni and Al exchanged."""
    return text.replace("Ni", "@").replace("Al", "Ni").replace("@", "Al")


@pytest.fixture(scope="module")
def nial():
    return alloy_properties(EMT(), ("Ni", "Al"), PHASES, (0.25, 0.5, 0.75), size=SIZE)


@pytest.fixture(scope="module")
def cuni():
    return alloy_properties(EMT(), ("Cu", "Ni"), ("L12:Cu3Ni", "L10:CuNi", "B2:CuNi"), (0.5,), size=SIZE)


@pytest.fixture(scope="module", params=["nial", "cuni"])
def emt_table(request):
    return request.getfixturevalue(request.param)


def values(table):
    return {row.name: row.value for row in table.rows}


def textbook(name, table):
    """ASE's own structure (ase.lattice.compounds) of the ordered phase `name` ("L12_Ni3Al") of `table` at the
    table's lattice constants."""
    prototype, formula = name.split("_")
    phase, value = parse_phase(f"{prototype}:{formula}", table.elements), values(table)
    a = value[f"a_{name}"]
    if prototype == "L12":
        return L1_2(symbol=(phase.b, phase.a), latticeconstant=a)
    if prototype == "B2":
        return B2(symbol=(phase.a, phase.b), latticeconstant=a)
    return L1_0(symbol=(phase.a, phase.b), latticeconstant={"a": a, "c": value[f"c_{name}"]})


def phase_names(table):
    return [row.name.removeprefix("dE_f_") for row in table.rows if row.name.startswith("dE_f_")]


def test_ordered_structures_are_the_textbook_prototypes():
    """Same symbols at the same fractional positions as ASE's own L1_2, B2 and L1_0 (ase.lattice.compounds), and every
    site an inversion centre (why only the cell relaxes)."""
    textbook = {"L12": L1_2(symbol=("Al", "Ni"), latticeconstant=1), "B2": B2(symbol=("Ni", "Al"), latticeconstant=1),
                "L10": L1_0(symbol=("Ni", "Al"), latticeconstant={"a": 1, "c": 1})}
    for prototype, expected in textbook.items():
        atoms = ordered_structure(Phase(prototype, "Ni", "Al"), 3.6)
        assert len(atoms) == {"L12": 4, "B2": 2, "L10": 4}[prototype]
        assert atoms.get_chemical_symbols() == expected.get_chemical_symbols()
        assert atoms.get_scaled_positions() == pytest.approx(expected.get_scaled_positions(), abs=1e-12)
        assert np.allclose(atoms.cell, np.diag(atoms.cell.diagonal())) and len(set(atoms.cell.diagonal())) == 1
        ratio = PROTOTYPES[prototype].ratio
        assert atoms.symbols.count("Ni") * ratio[1] == atoms.symbols.count("Al") * ratio[0]
        assert atoms.get_volume() / len(atoms) == pytest.approx(3.6 ** 3 / 4, rel=1e-12)  # fcc's volume per atom
        scaled = atoms.get_scaled_positions()
        for centre in scaled:
            inverted = (2 * centre - scaled) % 1
            for symbol, site in zip(atoms.get_chemical_symbols(), inverted):
                matches = np.all(np.isclose(site, scaled) | np.isclose(abs(site - scaled), 1), axis=1)
                assert [atoms[i].symbol for i in np.flatnonzero(matches)] == [symbol]


def test_solid_solutions_have_the_asked_composition_and_are_seeded():
    atoms = solid_solution(("Cu", "Ni"), 0.25, 3.6, size=2, seed=7)
    assert len(atoms) == 32 and atoms.symbols.count("Ni") == 8 and atoms.symbols.count("Cu") == 24
    assert atoms.cell.lengths() == pytest.approx([7.2] * 3)
    assert np.array_equal(atoms.numbers, solid_solution(("Cu", "Ni"), 0.25, 3.6, size=2, seed=7).numbers)
    assert not np.array_equal(atoms.numbers, solid_solution(("Cu", "Ni"), 0.25, 3.6, size=2, seed=8).numbers)
    richer = solid_solution(("Cu", "Ni"), 0.5, 3.6, size=2, seed=7)
    assert set(np.flatnonzero(atoms.symbols == "Ni")) < set(np.flatnonzero(richer.symbols == "Ni"))  # nested
    assert solid_solution(("Cu", "Ni"), 0.3, 3.6, size=4).symbols.count("Ni") == 77  # round(0.3 × 256)


def test_rows_have_the_documented_names_units_and_compositions(nial):
    assert [row.name for row in nial.rows] == [
        "a0_fcc_Ni", "a0_fcc_Al", "dE_f_L12_Ni3Al", "a_L12_Ni3Al", "dE_f_B2_NiAl", "a_B2_NiAl", "dE_f_L10_NiAl",
        "a_L10_NiAl", "c_L10_NiAl", "dE_f_L12_Al3Ni", "a_L12_Al3Ni", "dE_mix_fcc_x0.25", "a_fcc_x0.25",
        "dE_mix_fcc_x0.50", "a_fcc_x0.50", "dE_mix_fcc_x0.75", "a_fcc_x0.75"]
    assert all(row.unit == ("eV/atom" if row.name.startswith("dE") else "Å") for row in nial.rows)
    assert all(row.value is not None and row.reference is None for row in nial.rows)
    assert nial.fractions["dE_f_L12_Ni3Al"] == 0.25 and nial.fractions["dE_f_L12_Al3Ni"] == 0.75
    assert nial.fractions["a_fcc_x0.50"] == 0.5 and nial.fractions["a0_fcc_Al"] == 1.0
    assert any(re.fullmatch(r"fcc x0\.50: 16 Al of 32 sites \(seed 0\), volume and positions relaxed; a = 3\.\d{4} Å, "
                            r"Vegard's law 3\.\d{4} Å \([+-]\d\.\d\d %\)", note) for note in nial.notes)


def test_formation_energies_equal_the_energy_differences_of_the_textbook_structures(emt_table):
    """ΔE_f = E/N − Σ x_s e_s recomputed with EMT on ASE's own structures at the table's lattice constants.
    Tolerance 1e-12 eV/atom: the rebuilt cells equal the relaxed ones up to round-off of the cell vectors (1e-16
    relative; the energy is stationary there, so it moves at second order), which leaves the round-off of EMT's sums
    (energies of ~5 eV per atom summed over ~100 neighbours at 1e-16: ~1e-13; seen: ≤ 6e-15)."""
    value = values(emt_table)
    e_pure = {}
    for element in emt_table.elements:
        atoms = bulk(element, "fcc", a=value[f"a0_fcc_{element}"], cubic=True)
        atoms.calc = EMT()
        e_pure[element] = energy_per_atom(atoms)
    for name in phase_names(emt_table):
        atoms = textbook(name, emt_table)
        atoms.calc = EMT()
        direct = energy_per_atom(atoms) - np.mean([e_pure[symbol] for symbol in atoms.get_chemical_symbols()])
        assert value[f"dE_f_{name}"] == pytest.approx(direct, abs=1e-12)


def test_relaxed_lattice_constants_leave_no_stress(emt_table):
    """The relaxation stops when every cell force (FrechetCellFilter: the virial over the number of atoms, exactly,
    for the diagonal strains of these cells) is below crystal.FMAX: so |σ_ij| ≤ FMAX·N/V, 1e-4 GPa here. The pure
    crystals and each ordered phase, rebuilt at the table's lattice constants (L1₀: a and c)."""
    value = values(emt_table)
    crystals = [bulk(element, "fcc", a=value[f"a0_fcc_{element}"], cubic=True) for element in emt_table.elements]
    for atoms in crystals + [textbook(name, emt_table) for name in phase_names(emt_table)]:
        atoms.calc = EMT()
        assert np.abs(atoms.get_stress()).max() <= FMAX * len(atoms) / atoms.get_volume()
        assert np.abs(atoms.get_forces()).max() < 1e-10  # every site an inversion centre


def test_solid_solutions_relax_below_the_unrelaxed_cell_at_vegards_law(nial):
    """The relaxation (volume and positions) can only lower the energy: the mixing energy lies below that of the same
    occupation unrelaxed at Vegard's lattice constant."""
    value = values(nial)
    for x in (0.25, 0.5, 0.75):
        vegard = (1 - x) * value["a0_fcc_Ni"] + x * value["a0_fcc_Al"]
        atoms = solid_solution(("Ni", "Al"), x, vegard, size=SIZE)
        atoms.calc = EMT()
        e_pure = {element: energy_per_atom(relaxed_crystal(EMT(), element, "fcc", value[f"a0_fcc_{element}"]))
                  for element in ("Ni", "Al")}
        unrelaxed = energy_per_atom(atoms) - (1 - x) * e_pure["Ni"] - x * e_pure["Al"]
        assert value[f"dE_mix_fcc_x{x:.2f}"] < unrelaxed
        assert value["a0_fcc_Ni"] < value[f"a_fcc_x{x:.2f}"] < value["a0_fcc_Al"]


def test_species_that_do_not_differ_mix_ideally():
    """Sutton–Chen for every atom, whatever its name: the alloy is fcc copper with two names. So ΔE_f of L1₂ and
    L1₀ and the mixing energy vanish, every fcc-based lattice constant is copper's and L1₀ keeps c = a, and B2 is
    bcc copper: ΔE_f = E_bcc − E_fcc (README: 0.0271 eV/atom). Tolerances: each relaxation stops within about 1e-6 Å
    of the minimum (crystal.FMAX), so lattice constants agree to 2e-6 Å and energies to ½ E''(a) (2e-6 Å)² = 2e-11
    eV/atom, E''(a) = 9aB/4 ≈ 7 eV/Å² per atom for B = 142 GPa."""
    calculator = formula(SUTTON_CHEN)
    table = alloy_properties(calculator, ("Ni", "Al"), ("L12:Ni3Al", "L10:NiAl", "B2:NiAl"), (0.5,), size=SIZE)
    value = values(table)
    fcc, bcc = (relaxed_crystal(calculator, "Cu", structure, 3.6) for structure in ("fcc", "bcc"))
    for name in ("dE_f_L12_Ni3Al", "dE_f_L10_NiAl", "dE_mix_fcc_x0.50"):
        assert value[name] == pytest.approx(0, abs=2e-11)
    for name in ("a0_fcc_Ni", "a0_fcc_Al", "a_L12_Ni3Al", "a_L10_NiAl", "c_L10_NiAl", "a_fcc_x0.50"):
        assert value[name] == pytest.approx(fcc.cell[0, 0], abs=2e-6)
    assert value["a_B2_NiAl"] == pytest.approx(bcc.cell[0, 0], abs=2e-6)
    assert value["dE_f_B2_NiAl"] == pytest.approx(energy_per_atom(bcc) - energy_per_atom(fcc), abs=2e-11)
    assert value["dE_f_B2_NiAl"] == pytest.approx(0.0271, abs=5e-5)


def test_a_potential_favouring_unlike_neighbours_orders():
    table = alloy_properties(formula(UNLIKE), ("Ni", "Al"), ("B2:NiAl", "L12:Ni3Al"), (0.5,), size=SIZE)
    value = values(table)
    assert value["dE_f_B2_NiAl"] < -0.1 and value["dE_f_L12_Ni3Al"] < -0.1
    assert value["dE_mix_fcc_x0.50"] < 0


def test_swapping_the_species_names_swaps_the_results():
    """The same alloy with Ni and Al renamed everywhere (formula, elements, phases): each row of one is the row of
    the other with the names swapped. Tolerances: both relax the same structures from the same start and differ
    only in the order of summation (round-off), so each stops within crystal.FMAX of the same minimum: lattice
    constants within 1e-6 Å (crystal.FMAX), energies within ½ E''(a) (1e-6 Å)² ≈ 4e-12 eV/atom (E'' ≈ 7 eV/Å², see
    test_species_that_do_not_differ_mix_ideally) plus, for the positions, FMAX²/2k ≈ 5e-12 eV per degree of freedom
    (k ≳ 10 eV/Å²): 1e-10 eV/atom. Seen: 4e-7 Å, 2e-12 eV/atom."""
    both = [alloy_properties(formula(text), elements, phases, (0.25, 0.5), size=SIZE) for text, elements, phases in
            ((UNLIKE, ("Ni", "Al"), ("L12:Ni3Al", "B2:NiAl", "L10:NiAl")),
             (swapped(UNLIKE), ("Al", "Ni"), ("L12:Al3Ni", "B2:AlNi", "L10:AlNi")))]
    original, renamed = ({swapped(row.name) if i else row.name: row for row in table.rows}
                         for i, table in enumerate(both))
    assert list(original) == list(renamed)
    for name, row in original.items():
        assert renamed[name].unit == row.unit
        assert renamed[name].value == pytest.approx(row.value, abs=1e-10 if row.unit == "eV/atom" else 1e-6)


def test_a_failing_calculator_leaves_rows_empty_with_a_note():
    """An Al atom without Ni neighbours gives log(0): pure Al fails, and so do the alloys' binding checks (their
    atoms pulled apart); pure Ni still relaxes (Sutton–Chen's 3.6069 Å)."""
    failing = "Ni: sum(644.52*r^-9) - sum(527.62*r^-6)^0.5; Al: sum(644.52*r^-9) - log(sum[Ni](527.62*r^-6))"
    table = alloy_properties(formula(failing), ("Ni", "Al"), ("L12:Ni3Al",), (0.25,), size=1)
    assert values(table) == {"a0_fcc_Ni": pytest.approx(3.6069, abs=1e-4), "a0_fcc_Al": None,
                             "dE_f_L12_Ni3Al": None, "a_L12_Ni3Al": None, "dE_mix_fcc_x0.25": None, "a_fcc_x0.25": None}
    failures = [note.split(": failed: ") for note in table.notes if ": failed: " in note]
    assert [what for what, _ in failures] == ["Al fcc crystal", "L12_Ni3Al phase", "fcc solid solution x0.25 (4 atoms)"]
    assert all(why.endswith("gives non-finite values on this structure") for _, why in failures)


@pytest.mark.parametrize("arguments, message", [
    ({"phases": ["L13:Ni3Al"]}, "phase 'L13:Ni3Al': unknown phase 'L13' (known: L12, B2, L10)"),
    ({"phases": ["B2"]}, "phase 'B2': expected PHASE:FORMULA such as L12:Ni3Al"),
    ({"phases": ["B2:Ni"]}, "phase 'B2:Ni': B2 needs two elements (AB), got 'Ni'"),
    ({"phases": ["B2:Ni2"]}, "phase 'B2:Ni2': B2 needs two elements (AB), got 'Ni2'"),
    ({"phases": ["L12:NiAl"]}, "phase 'L12:NiAl': L12 is A3B, NiAl is not"),
    ({"phases": ["L12:Xx3Al"]}, "'Xx' is not a chemical symbol"),
    ({"phases": ["L12:ni3al"]}, "phase 'L12:ni3al': 'ni3al' is not a chemical formula"),
    ({"phases": ["B2:CuNi"]}, "phase 'B2:CuNi': Cu is not one of the elements Ni Al"),
    ({"phases": ["B2:NiAl", "B2:AlNi"]}, "given twice: B2_NiAl"),  # one phase: a translation swaps Ni and Al
    ({"elements": ("Ni",)}, "an alloy needs two different elements, got Ni"),
    ({"elements": ("Ni", "Ni")}, "an alloy needs two different elements, got Ni Ni"),
    ({"elements": ("Ni", "Aluminium")}, "'Aluminium' is not a chemical symbol"),
    ({"lattices": {"Al": "diamond"}}, "lattices: unknown lattice 'diamond' for Al (known: fcc, bcc, hcp)"),
    ({"lattices": {"Cu": "fcc"}}, "lattices: 'Cu' is not one of the elements Ni Al"),
    ({"compositions": (1.0,)}, "x = 1 of Al leaves all 256 sites (size 4) to one element"),
    ({"compositions": (0.1,), "size": 1}, "x = 0.1 of Al leaves all 4 sites (size 1) to one element"),
    ({"compositions": (0.5, 0.501)}, "given twice: x0.50"),
])
def test_bad_input_is_a_clear_error_before_any_computation(arguments, message):
    arguments = {"elements": ("Ni", "Al"), **arguments}
    with pytest.raises(ValueError, match=re.escape(message)):
        alloy_properties(None, **arguments)  # no calculator: an error must come before any energy


def test_element_properties_runs_the_table_per_element_with_its_reference(tmp_path):
    """Each element's table carries its own reference file's values; the calculator fails on both pure crystals
    (log(0)), which keeps the test fast: no property, a note each, progress prefixed by the element."""
    references = {}
    for element, a0 in (("Ni", 3.52), ("Al", 4.04)):
        path = tmp_path / f"{element}.data"
        path.write_text(f"{element} reference\na0 FCC {a0} Å\nC11 FCC {a0 * 50} GPa\n", encoding="utf-8")
        references[element] = read_reference(path)
    messages = []
    tables = element_properties(formula("Ni: log(sum[Al](r^-6)); Al: log(sum[Ni](r^-6))"), references,
                                messages.append)
    assert list(tables) == ["Ni", "Al"]
    for element, a0 in (("Ni", 3.52), ("Al", 4.04)):
        assert tables[element].rows[0] == Property("a0_fcc", None, a0, "Å")
        assert next(row for row in tables[element].rows if row.name == "C11").reference == a0 * 50
        assert all(row.value is None for row in tables[element].rows)
        assert any("fcc lattice constant: failed" in note for note in tables[element].notes)
    assert messages == ["Ni: fcc lattice constant", "Al: fcc lattice constant"]
    with pytest.raises(ValueError, match="'nickel' is not a chemical symbol"):
        element_properties(None, {"nickel": {}})


def test_the_table_prints_and_its_json_rows_round_trip(nial):
    rows = json.loads(json.dumps([row.as_dict() for row in nial.rows]))  # as `properties --json` prints them
    assert all(set(row) == {"name", "value", "reference", "unit"} for row in rows)
    assert [Property(**row) for row in rows] == nial.rows
    lines = str(nial).splitlines()
    assert lines[0].split() == ["property", "potential", "reference", "error", "error", "%", "unit"]
    assert [line.split()[0] for line in lines[1:1 + len(nial.rows)]] == [row.name for row in nial.rows]
    assert lines[1 + len(nial.rows):] == nial.notes


def test_plot_writes_an_image(nial, tmp_path):
    plot_alloy(nial, tmp_path / "alloy.png", "EMT Ni–Al")
    assert (tmp_path / "alloy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_properties_command_prints_the_alloy_table_and_names_bad_flags(tmp_path, capsys):
    """`properties --elements A B` on an alloy formula: the table's rows as JSON, a plot; bad flags exit 2 naming
    them. Small cells (2³ conventional, 32 sites) keep it fast; the values are the module's (tested above)."""
    formula = ("Ni: sum(644.52*r^-9) - sum(527.62*r^-6)^0.5; "
               "Al: sum(250*r^-8) - (sum[Ni](150*r^-5) + sum[Al](100*r^-5))^0.5")
    argv = ["properties", formula, "--elements", "Ni", "Al", "--phases", "B2", "--compositions", "0.5",
            "--supercell", "2", "--json", "--plot-dir", str(tmp_path)]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["alloy"]
    assert [row["name"] for row in rows] == ["a0_fcc_Ni", "a0_fcc_Al", "dE_f_B2_NiAl", "a_B2_NiAl", "dE_mix_fcc_x0.50",
                                             "a_fcc_x0.50"]
    assert all(row["value"] is not None for row in rows) and (tmp_path / "alloy.png").exists()
    for flags, message in ((["--phases", "X9"], "unknown phase 'X9'"), (["--lattice", "Al"], "expected ELEMENT=VALUE")):
        assert main(["properties", formula, "--elements", "Ni", "Al", *flags]) == 2
        assert message in capsys.readouterr().err
