"""Physical properties (symbolicpot.properties) and the `symbolicpot properties` command."""
import json
import math
import re

import numpy as np
import pytest
from ase.units import GPa
from scipy.optimize import minimize_scalar

from symbolicpot.calculator import SymbolicCalculator
from symbolicpot.cli import main
from symbolicpot.export.lammps_runtime import lammps_available
from symbolicpot.export.potential import Potential
from symbolicpot.properties import (DFT_COPPER, UNITS, Property, compute_properties, format_table, md_check,
                                    read_reference, summary_line)
from symbolicpot.properties.crystal import energy_per_atom, relaxed_crystal
from symbolicpot.properties.defects import dumbbell, formation_energy, vacancy
from symbolicpot.properties.elastic import cubic_constants, elastic_tensor, hill_bulk_modulus
from symbolicpot.properties.reference import SURFACES
from symbolicpot.properties.surfaces import THICKNESS, VACUUM, fcc_slab, surface_energy

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
COLLAPSING = SUTTON_CHEN + " - sum(406000000*r^-30)"  # past a barrier at 2.0 Å: a bottomless well
needs_lammps = pytest.mark.skipif(not lammps_available(), reason="needs the lammps[mpi] wheels")


@pytest.fixture(scope="module")
def sutton_chen():
    return SymbolicCalculator(Potential.from_formula(SUTTON_CHEN))


@pytest.fixture(scope="module")
def sutton_chen_fcc(sutton_chen):
    return relaxed_crystal(sutton_chen, "Cu", "fcc", 3.5)


def sutton_chen_energy_per_atom(a):
    """POET's Sutton–Chen energy per atom (eV) of fcc copper with lattice constant a (Å), summed directly over the
    lattice vectors with POET's smooth cutoff (3 to 5 Å): independent of symbolicpot's evaluator."""
    n = np.arange(-4, 5)
    integers = np.stack(np.meshgrid(n, n, n), axis=-1).reshape(-1, 3)
    r = np.linalg.norm(integers @ (a / 2 * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])), axis=1)
    r = r[(r > 0) & (r < 5)]
    cutoff = np.where(r <= 3, 1.0, (2 * r ** 2 - 3 * 9 + 25) * (25 - r ** 2) ** 2 / (25 - 9) ** 3)
    return 644.52 * np.sum(r ** -9 * cutoff) - math.sqrt(527.62 * np.sum(r ** -6 * cutoff))


def test_sutton_chen_lattice_constant_equals_a_direct_energy_volume_scan(sutton_chen_fcc):
    scan = minimize_scalar(sutton_chen_energy_per_atom, bounds=(3.4, 3.8), method="bounded", options={"xatol": 1e-9})
    assert scan.x == pytest.approx(3.6069, abs=1e-4)
    assert sutton_chen_fcc.cell[0, 0] == pytest.approx(scan.x, abs=1e-6)
    assert energy_per_atom(sutton_chen_fcc) == pytest.approx(scan.fun, abs=1e-9)


def test_sutton_chen_bulk_modulus_equals_the_curvature_of_the_scan(sutton_chen_fcc):
    a, h = sutton_chen_fcc.cell[0, 0], 1e-3
    curvature = (sutton_chen_energy_per_atom(a + h) - 2 * sutton_chen_energy_per_atom(a)
                 + sutton_chen_energy_per_atom(a - h)) / h ** 2  # d²E/da² per atom, eV/Å²
    bulk_modulus = 4 * curvature / (9 * a) / GPa  # B = V d²E/dV² with V = a³/4 at the minimum
    assert hill_bulk_modulus(elastic_tensor(sutton_chen_fcc)) == pytest.approx(bulk_modulus, rel=1e-4)


def test_elastic_tensor_of_a_cubic_crystal_has_cubic_symmetry(sutton_chen_fcc):
    tensor = elastic_tensor(sutton_chen_fcc)
    c11, c12, c44 = cubic_constants(tensor)
    assert np.diag(tensor)[:3] == pytest.approx([c11] * 3, rel=1e-9)  # C11 from xx, yy and zz strains
    assert tensor[:3, :3][~np.eye(3, dtype=bool)] == pytest.approx([c12] * 6, rel=1e-9)  # C12 = C21 = C13 = ...
    assert np.diag(tensor)[3:] == pytest.approx([c44] * 3, rel=1e-9)
    others = tensor.copy()
    others[:3, :3] = 0
    others[3:, 3:] -= np.diag(np.diag(tensor)[3:])
    assert np.abs(others).max() < 1e-6
    assert (c11, c12, c44) == pytest.approx((167.30, 130.18, 54.56), abs=0.01)
    assert c11 > c12 > 0 and c44 > 0  # mechanically stable


@needs_lammps
def test_mishin_eam_reproduces_its_published_values():
    """Mishin et al., Phys. Rev. B 63, 224106 (2001), Cu1: a0 3.615 Å, C11 169.9, C12 122.6, C44 76.2 GPa, vacancy
    1.27 eV, surfaces (100) 1345, (110) 1475, (111) 1239 mJ/m² (83.9, 92.1, 77.3 meV/Å²). Tolerances: the last digit
    given (a0 ±0.0005 Å, ±0.3 GPa, ±0.01 eV, ±0.2 meV/Å²)."""
    from symbolicpot.potentials import load_potential
    calculator = load_potential("eam:Cu_mishin1").calculator
    fcc = relaxed_crystal(calculator, "Cu", "fcc", 3.6)
    a0, e_fcc = fcc.cell[0, 0], energy_per_atom(fcc)
    assert a0 == pytest.approx(3.615, abs=5e-4)
    assert cubic_constants(elastic_tensor(fcc)) == pytest.approx((169.9, 122.6, 76.2), abs=0.3)
    assert formation_energy(vacancy("Cu", a0, 4), calculator, e_fcc) == pytest.approx(1.27, abs=0.01)
    published = {(1, 0, 0): 1345, (1, 1, 0): 1475, (1, 1, 1): 1239}
    for miller, mj_per_m2 in published.items():
        assert surface_energy(calculator, "Cu", a0, e_fcc, miller) == pytest.approx(mj_per_m2 * 0.0624151, abs=0.2)


def test_dumbbell_relaxes_to_a_symmetric_100_dumbbell(sutton_chen, sutton_chen_fcc):
    a0 = sutton_chen_fcc.cell[0, 0]
    cell = dumbbell("Cu", a0, 3)
    assert len(cell) == 109
    energy = formation_energy(cell, sutton_chen, energy_per_atom(sutton_chen_fcc))
    pair = cell.get_distance(-2, -1, mic=True, vector=True)
    assert abs(pair[1]) < 1e-6 and abs(pair[2]) < 1e-6 and 1.8 < abs(pair[0]) < 2.6  # still along x
    assert energy > formation_energy(vacancy("Cu", a0, 3), sutton_chen, energy_per_atom(sutton_chen_fcc)) > 0


@pytest.mark.parametrize("surface", SURFACES)
def test_slabs_have_the_smallest_surface_cell_and_the_stated_thickness(surface):
    h, k, l = (int(digit) for digit in surface)
    a0 = 3.6
    slab = fcc_slab("Cu", a0, (h, k, l))
    area = np.linalg.norm(np.cross(slab.cell[0], slab.cell[1]))
    mixed = 2 if (h % 2, k % 2, l % 2).count(1) < 3 else 1  # fcc planes: a/√(h²+k²+l²) apart if all odd, else half
    assert area == pytest.approx(mixed * a0 ** 2 * math.sqrt(h * h + k * k + l * l) / 4, rel=1e-12)
    assert slab.cell[:2, 2] == pytest.approx([0, 0], abs=1e-12) and slab.cell[2, :2] == pytest.approx([0, 0])
    spacing = a0 ** 3 / 4 / area  # one atom per plane
    z = np.sort(slab.positions[:, 2])
    assert np.diff(z) == pytest.approx(spacing, rel=1e-9)
    assert len(slab) * spacing > THICKNESS - 1e-9 > (len(slab) - 1) * spacing
    assert slab.cell[2, 2] - (z[-1] - z[0]) == pytest.approx(2 * VACUUM)


def test_reference_parser_reads_the_shipped_file():
    reference = read_reference()
    assert set(reference) == set(UNITS) - {"gamma_isf", "E_mig"}  # POET publishes no row for these two
    assert reference["a0_fcc"] == 3.63244675155019 and reference["E_dumbbell"] == 3.54885070499999
    assert reference["E_surf_332"] == 89.476072582533 and reference["dE_hcp_fcc"] == 0.0046109425
    assert reference["B_vrh"] == pytest.approx((reference["C11"] + 2 * reference["C12"]) / 3, abs=1e-9)


def test_the_shipped_reference_is_poets_file(poet_data):
    assert DFT_COPPER.read_bytes() == (poet_data / "DFT_Cu" / "0K" / "TargetProperties_0K.data").read_bytes()


@pytest.mark.parametrize("row, message", [
    ("a0 FCC 3.6 Å", "given twice"),
    ("E0 FCC 3.6 eV", "unknown property E0 FCC"),
    ("Esurf_100 FCC 1.4 J/m^2", "must be in meV/Å²"),
    ("C44 FCC seventy GPa", "'seventy' is not a number"),
    ("C44 FCC 70", "expected NAME PHASE VALUE UNIT"),
])
def test_reference_parser_names_the_bad_line(tmp_path, row, message):
    path = tmp_path / "reference.data"
    path.write_text(f"title\na0 FCC 3.61 Å\n{row}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{path}:3: ") + ".*" + re.escape(message)):
        read_reference(path)


def test_table_rows_errors_and_summary():
    rows = [Property("a0_fcc", 3.7, 3.6, "Å"), Property("C11", 160.0, 176.0, "GPa"), Property("E_vac", None, 1.0, "eV"),
            Property("C44", 80.0, None, "GPa")]
    assert format_table(rows).splitlines() == [
        "property      potential  reference     error  error %  unit",
        "a0_fcc           3.7000     3.6000   +0.1000     +2.8  Å",
        "C11               160.0      176.0     -16.0     -9.1  GPa",
        "E_vac                 -      1.000         -        -  eV",
        "C44                80.0          -         -        -  GPa"]
    assert summary_line(rows) == "within 5 % of the reference: 1 of 3 properties; within 10 %: 2 of 3"


def run_cli(capsys, *argv):
    status = main(["properties", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_table_of_sutton_chen_with_errors_and_summary(capsys):
    status, out, err = run_cli(capsys, SUTTON_CHEN, "--r-in", 3, "--r-out", 5, "--no-md")  # a formula and its cutoff
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split() == ["property", "potential", "reference", "error", "error", "%", "unit"]
    rows = [line.split() for line in lines[2:2 + len(UNITS)]]
    assert [row[0] for row in rows] == list(UNITS) and [row[5] for row in rows] == list(UNITS.values())
    assert {row[0]: float(row[2]) for row in rows if row[2] != "-"} == pytest.approx(read_reference(), rel=1e-3,
                                                                                      abs=5e-5)
    values = {row[0]: float(row[1]) for row in rows}
    assert values["a0_fcc"] == 3.6069 and values["C11"] == 167.3 and values["C44"] == 54.6
    assert 0 < values["E_vac"] < values["E_dumbbell"] and values["dE_bcc_fcc"] > values["dE_hcp_fcc"] > 0
    assert all(40 < values[f"E_surf_{hkl}"] < 70 for hkl in SURFACES)
    # within 5 %: a0_fcc, a0_bcc, B_vrh; within 10 %: also C11 (-5.04 %) and C12 (+5.7 %)
    assert "within 5 % of the reference: 3 of 23 properties; within 10 %: 5 of 23" in lines
    assert re.search(r"^E_vac by supercell size \(eV\): 108 sites 0\.77\d, .*, 1372 sites 0\.77\d$", out, re.MULTILINE)
    assert "E_vac in a 1372-site supercell" in err and "(332) surface" in err  # progress


def test_cli_refuses_a_cutoff_for_a_potential_that_carries_its_own(capsys):
    status, out, err = run_cli(capsys, "eam:Cu_mishin1", "--r-out", 6, "--no-md")
    assert status == 2 and out == ""
    assert "eam" in err and "--r-in/--r-out apply to formulas" in err


def test_cli_json_of_a_potential_that_collapses_in_md_fails_loudly(tmp_path, capsys):
    Potential.from_formula(COLLAPSING).to_json(tmp_path / "collapsing.json")
    status, out, err = run_cli(capsys, tmp_path / "collapsing.json", "--json", "--plot-dir", tmp_path / "plots")
    assert status == 1
    rows = json.loads(out)
    assert [row["name"] for row in rows] == [*UNITS, "md_min_distance", "md_energy_drift"]
    assert all(set(row) == {"name", "value", "reference", "unit"} for row in rows)
    assert {row["name"]: row["unit"] for row in rows} == {**UNITS, "md_min_distance": "Å",
                                                           "md_energy_drift": "meV/atom/ps"}
    assert {row["name"]: row["reference"] for row in rows} == {**read_reference(), "gamma_isf": None, "E_mig": None,
                                                                "md_min_distance": None, "md_energy_drift": None}
    values = {row["name"]: row["value"] for row in rows}
    assert values["a0_fcc"] == pytest.approx(3.603, abs=1e-3)
    assert values["E_dumbbell"] is None and values["md_energy_drift"] is None  # both collapse
    assert "E_dumbbell in a 1372-site supercell: failed: Cu1373 collapsed: atoms closer than 1.5 Å" in err
    assert re.search(r"^within 5 % of the reference: \d+ of 23 properties; within 10 %: \d+ of 23$", err, re.MULTILINE)
    assert re.search(r"error: the MD check failed: .* at 0\.\d+ ps$", err, re.MULTILINE)
    assert not (tmp_path / "plots" / "rdf.png").exists()


def test_md_check_of_sutton_chen_is_stable_and_conserves_energy(sutton_chen, sutton_chen_fcc):
    result = md_check(sutton_chen, "Cu", sutton_chen_fcc.cell[0, 0], nvt_time=0.3, nve_time=0.3)
    assert result.stable and result.n_atoms == 256
    assert 1.5 < result.min_distance < 2.55  # hot atoms come closer than the 0 K neighbour distance
    assert abs(result.drift) < 0.05  # meV/atom/ps
    assert 900 < result.temperature < 1900
    assert result.r[np.argmax(result.rdf)] == pytest.approx(2.55, abs=0.2)  # first neighbour peak
    assert not result.rdf[result.r < 1.5].any()


def test_md_check_flags_a_purely_attractive_potential():
    attractive = SymbolicCalculator(Potential.from_formula("-sum(527.62*r^-6)^0.5"))
    result = md_check(attractive, "Cu", 3.6)
    assert not result.stable
    assert re.fullmatch(r"atoms \d\.\d\d Å apart at 0\.\d+ ps|potential energy .* ps", result.reason)
    assert result.drift is None and result.rdf is None



def test_a_crystal_that_does_not_bind_is_a_failed_property_not_a_number():
    attractive = SymbolicCalculator(Potential.from_formula("-sum(527.62*r^-6)^0.5"))
    table = compute_properties(attractive, "Cu", read_reference())
    assert all(row.value is None for row in table.rows)
    assert any("fcc crystal does not bind" in note for note in table.notes)


@needs_lammps
def test_mishins_stacking_fault_and_migration_barrier_match_the_published_values():
    """Mishin et al. (2001), Cu1: γ_isf 44.4 mJ/m², vacancy migration 0.69 eV. Tolerances: the last digit given
    (±0.1 mJ/m², ±0.01 eV)."""
    from symbolicpot.potentials import load_potential
    from symbolicpot.properties.defects import migration_barrier
    from symbolicpot.properties.stacking import stacking_fault_energy
    calculator = load_potential("eam:Cu_mishin1").calculator
    fcc = relaxed_crystal(calculator, "Cu", "fcc", 3.6)
    a0, e_fcc = fcc.cell[0, 0], energy_per_atom(fcc)
    assert stacking_fault_energy(calculator, "Cu", a0, e_fcc) == pytest.approx(44.4, abs=0.1)
    assert migration_barrier(calculator, "Cu", a0) == pytest.approx(0.69, abs=0.01)
