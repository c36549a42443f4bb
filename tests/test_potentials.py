"""Any potential as an ASE calculator (symbolicpot.potentials): loading by spec, LAMMPS through LAMMPSlib, predictions
on a Dataset in the Dataset's units, and the per-atom energy shift of literature potentials."""
import numpy as np
import pytest
from ase.build import bulk

from symbolicpot.calculator import SymbolicCalculator
from symbolicpot.cutoff import Cutoff
from symbolicpot.data import example_path, load
from symbolicpot.evaluate import Evaluator
from symbolicpot.export.lammps_runtime import lammps_results
from symbolicpot.export.potential import Potential
from symbolicpot.loaded import lammps_calculator
from symbolicpot.potentials import (energy_shifts, lammps_pair_commands, lammps_potentials_dir, literature_names,
                                    load_potential, predict, shifted)

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"


@pytest.fixture(scope="module")
def sc_data():
    return load(example_path("sutton_chen") / "300K")


def test_every_literature_potential_loads_and_holds_fcc_copper_together():
    names = literature_names()
    assert names == ["eam:Cu_mishin1", "eam:Cu_u3", "eam:Cu_zhou", "eam:AlCu", "eam:CuNi", "eam:CuZr_mm",
                     "eam:NiAlH_jea", "sw:Si", "tersoff:Si", "tersoff:Ge", "snap:Cu_Zuo_JPCA2020",
                     "snap:Cu_Zuo_JPCA2020.quadratic", "snap:Si_Zuo_JPCA2020", "snap:Ge_Zuo_JPCA2020",
                     "snap:Mo_Zuo_JPCA2020"]
    for name in names:
        loaded = load_potential(name)
        assert loaded.name == name and loaded.pair_commands
        if "Cu" not in loaded.lammps_types:
            continue
        atoms = bulk("Cu", "fcc", a=3.615, cubic=True)
        atoms.calc = loaded.calculator
        cohesive = -atoms.get_potential_energy() / len(atoms)
        assert 3.0 < cohesive < 4.0 if name.startswith("eam") else np.isfinite(cohesive), name
        assert np.abs(atoms.get_forces()).max() < 1e-8  # a perfect crystal: no forces
    assert load_potential("snap:Cu_Zuo_JPCA2020").parameters == 56
    atoms = bulk("Cu", "fcc", a=3.615)
    atoms.calc = load_potential("eam:Cu_mishin1").calculator
    assert atoms.get_potential_energy() == pytest.approx(-3.54, abs=0.005)  # Mishin et al. 2001: E_coh 3.54 eV


@pytest.mark.parametrize("name, cohesive", [("sw:Si", 2 * 2.1683),  # Stillinger & Weber 1985: E_coh = 2ε
                                             ("tersoff:Si", 4.63)])  # Tersoff 1988: 4.63 eV
def test_three_body_literature_potentials_give_their_papers_diamond_silicon(name, cohesive):
    loaded = load_potential(name)
    assert loaded.lammps_types == ("Si",) and loaded.pair_commands[0] == f"pair_style {name.split(':')[0]}"
    atoms = bulk("Si", "diamond", a=5.431, cubic=True)  # both papers' lattice constant
    atoms.calc = loaded.calculator
    # The papers state E_coh to 4-5 digits at 5.431 Å; the files reproduce them to that rounding (< 5e-3 eV)
    assert -atoms.get_potential_energy() / len(atoms) == pytest.approx(cohesive, abs=5e-3)
    assert np.abs(atoms.get_forces()).max() < 1e-8  # a perfect crystal: no forces


def test_a_malformed_three_body_file_is_named(tmp_path):
    path = tmp_path / "Bad.sw"
    path.write_text("# element triplet and 11 numbers\nSi Si Si 2.1683 2.0951 1.80\n")
    with pytest.raises(ValueError, match=r"Bad.sw: not a readable .sw potential file \(6 numbers and names, not "
                                         r"entries of 14\)"):
        load_potential(path)


def test_alloy_files_map_atoms_to_their_elements_by_name():
    path = lammps_potentials_dir() / "CuNi.eam.alloy"
    loaded = load_potential("eam:CuNi")
    assert loaded.lammps_types == ("Ni", "Cu")  # the file's order: pair_coeff * * CuNi.eam.alloy Ni Cu
    nickel = bulk("Ni", "fcc", a=3.52)
    nickel.calc = loaded.calculator
    # Onat & Durukanoglu 2014: E_coh(Ni) = 4.45 eV at 3.52 Å, to the file's tabulation (a few 1e-9 eV)
    assert nickel.get_potential_energy() == pytest.approx(-4.45, abs=1e-6)
    mixed = bulk("Cu", "fcc", a=3.57, cubic=True).repeat(2)
    mixed.symbols[::3] = "Ni"
    mixed.rattle(0.05, seed=1)
    mixed.calc = loaded.calculator
    commands, elements = lammps_pair_commands(path, ["Cu", "Ni"])
    assert elements == ("Cu", "Ni") and commands[-1].endswith("CuNi.eam.alloy Cu Ni")
    swapped = mixed.copy()
    swapped.calc = lammps_calculator(commands, elements)  # LAMMPS types in the other order: the same physics
    # The same tables and pairs: equal up to the rounding of sums of ~100 eV (1e-13), far inside 1e-9
    assert swapped.get_potential_energy() == pytest.approx(mixed.get_potential_energy(), abs=1e-9)
    np.testing.assert_allclose(swapped.get_forces(), mixed.get_forces(), atol=1e-9)
    with pytest.raises(ValueError, match="CuNi.eam.alloy: holds Ni, Cu, not Al"):
        lammps_pair_commands(path, ["Cu", "Al"])


def test_lammpslib_matches_the_direct_lammps_path_with_ase_stress_sign():
    loaded = load_potential("eam:Cu_mishin1")
    atoms = bulk("Cu", "fcc", a=3.58, cubic=True).repeat(2)  # compressed: the stress is compressive (negative)
    atoms.rattle(0.05, seed=3)
    atoms.calc = loaded.calculator
    energy, forces, stress = lammps_results(atoms, loaded.pair_commands)
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-9)
    np.testing.assert_allclose(atoms.get_forces(), forces, atol=1e-9)
    np.testing.assert_allclose(atoms.get_stress(), stress, atol=1e-9)
    assert atoms.get_stress()[:3].max() < 0


def test_predict_gives_the_evaluators_numbers_in_dataset_units(sc_data):
    potential = Potential.from_formula(SUTTON_CHEN)
    by_calculator = predict(SymbolicCalculator(potential), sc_data)
    direct = Evaluator(sc_data, potential.cutoff)(potential.tree)
    assert by_calculator.ok
    np.testing.assert_allclose(by_calculator.energy, direct.energy, rtol=1e-12)
    np.testing.assert_allclose(by_calculator.forces, direct.forces, atol=1e-10)
    np.testing.assert_allclose(by_calculator.stress, direct.stress, rtol=1e-9, atol=1e-9)  # GPa, both


def test_energy_shift_undoes_a_constant_per_atom_offset(sc_data):
    potential = Potential.from_formula(SUTTON_CHEN)
    prediction = predict(SymbolicCalculator(potential), sc_data)
    offset = shifted(prediction, sc_data, {"Cu": 0.37})
    assert energy_shifts(offset, sc_data)["Cu"] == pytest.approx(energy_shifts(prediction, sc_data)["Cu"] - 0.37)
    fixed = shifted(offset, sc_data, energy_shifts(offset, sc_data))
    assert np.mean((fixed.energy - sc_data.energy) / sc_data.n_atoms) == pytest.approx(0, abs=1e-12)


def test_json_files_load_as_symbolic_calculators_counting_every_constant(tmp_path):
    path = Potential.from_formula(SUTTON_CHEN).to_json(tmp_path / "sc.json")
    loaded = load_potential(path)
    assert isinstance(loaded.calculator, SymbolicCalculator)
    assert loaded.name == "sc" and loaded.parameters == 5 and loaded.pair_commands is None


def test_a_formula_is_a_potential_with_the_default_cutoff():
    loaded = load_potential(SUTTON_CHEN)
    assert loaded.calculator.potential == Potential.from_formula(SUTTON_CHEN)
    with pytest.raises(ValueError, match="not a formula"):
        load_potential("sum(r^-9")


def test_a_formula_takes_the_cutoff_given_and_other_potentials_refuse_one(tmp_path):
    cutoff = Cutoff(2.5, 4.5)
    assert load_potential(SUTTON_CHEN, cutoff=cutoff).calculator.potential == Potential.from_formula(SUTTON_CHEN,
                                                                                                       2.5, 4.5)
    path = Potential.from_formula(SUTTON_CHEN).to_json(tmp_path / "sc.json")
    for spec in (path, "eam:Cu_mishin1"):
        with pytest.raises(ValueError, match="apply to formulas; this potential carries its own cutoff"):
            load_potential(spec, cutoff=cutoff)


@pytest.mark.parametrize("spec, message", [
    ("no/such/file.json", "no such file or directory"),
    ("eam:Cu_nothing", "not a shipped literature potential"),
])
def test_bad_specs_name_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        load_potential(spec)


def test_unknown_file_types_and_unreadable_eam_files_are_clear_errors(tmp_path):
    (tmp_path / "pot.txt").write_text("1 2 3")
    with pytest.raises(ValueError, match="unknown potential file type '.txt'"):
        load_potential(tmp_path / "pot.txt")
    (tmp_path / "bad.eam.alloy").write_text("too short\n")
    with pytest.raises(ValueError, match="bad.eam.alloy: not a readable"):
        load_potential(tmp_path / "bad.eam.alloy")
    with pytest.raises(ValueError, match="not a baseline directory"):
        load_potential(tmp_path)
