"""Tests of symbolicpot.data: the Dataset, the POET and ASE readers, load, the shipped examples, validation."""
import re
import shutil
from dataclasses import replace
from pathlib import Path

import ase
import ase.io
import ase.units
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.units import GPa

from symbolicpot.data import Dataset, DataError, example_path, load, poet_stress_to_gpa, read_ase, read_poet

ASE_OUTCAR = Path(ase.__file__).parent / "test" / "testdata" / "vasp" / "OUTCAR_example_1"


def small_dataset(n_atoms=(2, 4, 1, 3), groups=(0, 0, 1, 1), group_names=("a", "b")) -> Dataset:
    """The first atoms of a cubic fcc Cu cell, one configuration per size, with distinct labels."""
    atoms = [bulk("Cu", "fcc", a=3.6, cubic=True)[:n] for n in n_atoms]
    n_total = sum(n_atoms)
    return Dataset(atoms=atoms, energy=-np.arange(len(atoms), dtype=float),
                   forces=np.arange(3 * n_total, dtype=float).reshape(-1, 3),
                   stress=np.arange(6 * len(atoms), dtype=float).reshape(-1, 6), group=groups,
                   group_names=group_names, source=[f"cfg{c}" for c in range(len(atoms))])


def copy_example(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(example_path(name), tmp_path / name))


def replace_line(path: Path, line_number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line_number - 1] = text
    path.write_text("\n".join(lines) + "\n")


def drop_last_line(path: Path) -> None:
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")


# --- stress units ---------------------------------------------------------------------------------------------

def test_poet_stress_to_gpa_on_a_known_row():
    # DFT_Cu/NVT_FCC_300K/F_Cell.data row 1: XX YY ZZ XY YZ ZX, kB, positive = compressive
    row = [[-17.91036, -17.53099, -17.54240, -1.29994, -1.91324, -0.41480]]
    expected = [1.791036, 1.753099, 1.754240, 0.191324, 0.041480, 0.129994]  # GPa, xx yy zz yz xz xy, + = tensile
    np.testing.assert_allclose(poet_stress_to_gpa(row), [expected], rtol=1e-12)


def test_poet_stress_matches_an_independent_lennard_jones_evaluation(poet_data):
    """Sign and component order, checked against ASE on hot compressed argon (stresses of several GPa)."""
    dataset = read_poet(poet_data / "LJ_Ar" / "NVT20kK")
    stress, forces = [], []
    for atoms in dataset.atoms:
        atoms = atoms.copy()
        atoms.calc = LennardJones(sigma=3.405, epsilon=1.0, rc=10.0)
        stress.append(atoms.get_stress() / GPa)
        forces.append(atoms.get_forces())
    forces = np.concatenate(forces)
    epsilon = np.sum(forces * dataset.forces) / np.sum(forces * forces)  # eV, fitted to the stored forces
    np.testing.assert_allclose(dataset.stress, epsilon * np.array(stress), atol=0.5)  # components reach 20 GPa


# --- the real POET folders --------------------------------------------------------------------------------------

REAL_FOLDERS = [  # folder, configurations, atoms in all, has stress
    *[(f"EAM_Cu/NVT_FCC_{t}", 100, 3200, False) for t in ("300K", "1600K", "3800K", "20kK")],
    *[(f"LJ_Ar/{s}", 15, 480, True) for s in ("FCC", "NVT20kK", "liquid", "liquidNPT100K", "liquidNVT100K")],
    *[(f"DFT_Cu/{s}", 50, 1600, True) for s in ("NVT_FCC_300K", "NVT_FCC_1400K", "NPT_FCC_1400K")],
    ("DFT_Cu/lowIndexSurfaces", 13, 251, True),
]


@pytest.mark.parametrize("folder, n_configs, n_atoms_total, has_stress", REAL_FOLDERS)
def test_read_every_real_poet_folder(poet_data, folder, n_configs, n_atoms_total, has_stress):
    dataset = read_poet(poet_data / folder)
    assert dataset.group_names == (folder,)
    assert (dataset.n_configs, dataset.n_atoms_total) == (n_configs, n_atoms_total)
    assert [Path(source).name for source in dataset.source] == [f"{k}.vasp" for k in range(1, n_configs + 1)]
    energy_rows = (poet_data / folder / "E0.data").read_text().split()
    np.testing.assert_array_equal(dataset.energy, np.array(energy_rows, dtype=float))
    assert np.isfinite(dataset.forces).all()
    assert np.isfinite(dataset.stress).all() if has_stress else np.isnan(dataset.stress).all()
    if folder != "DFT_Cu/lowIndexSurfaces":
        assert (dataset.n_atoms == 32).all()


def test_eam_force_layouts_agree(poet_data):
    folder = poet_data / "EAM_Cu" / "NVT_FCC_300K"
    forces = read_poet(folder).forces
    np.testing.assert_array_equal(forces, np.loadtxt(folder / "F.data").reshape(-1, 3))
    np.testing.assert_array_equal(forces, np.loadtxt(folder / "F_coord.data")[:, 3:6])


def test_numbering_from_zero_leaves_the_unlabelled_0_vasp_out(poet_data):
    """LJ_Ar/liquidNPT100K holds 0.vasp ... 15.vasp and 15 rows: 1..15.vasp are the labelled ones."""
    dataset = read_poet(poet_data / "LJ_Ar" / "liquidNPT100K")
    assert dataset.n_configs == 15 and not any(source.endswith("/0.vasp") for source in dataset.source)
    atoms = dataset.atoms[0].copy()
    atoms.calc = LennardJones(sigma=3.405, epsilon=1.0, rc=10.0)
    lj, stored = atoms.get_forces().ravel(), dataset.forces[:32].ravel()
    assert lj @ stored / np.linalg.norm(lj) / np.linalg.norm(stored) > 0.99


def test_unlabelled_0K_folder_is_rejected(poet_data):
    with pytest.raises(DataError, match=re.escape(f"{poet_data / 'DFT_Cu' / '0K'}: no E0.data")):
        read_poet(poet_data / "DFT_Cu" / "0K")


def test_load_combines_all_real_data_into_groups_and_splits_reproducibly(poet_data):
    dft = ("NVT_FCC_300K", "NVT_FCC_1400K", "NPT_FCC_1400K", "lowIndexSurfaces")
    folders = [poet_data / "EAM_Cu", poet_data / "LJ_Ar", *(poet_data / "DFT_Cu" / name for name in dft)]
    dataset = load(folders)
    expected = {folder: (n_configs, n_atoms_total) for folder, n_configs, n_atoms_total, _ in REAL_FOLDERS}
    assert set(dataset.group_names) == set(expected)
    for index, name in enumerate(dataset.group_names):
        members = dataset.subset(dataset.group == index)
        assert (members.n_configs, members.n_atoms_total) == expected[name]
        np.testing.assert_array_equal(members.forces, read_poet(poet_data / name).forces)

    train, test = dataset.split(0.2, seed=7)
    again_train, again_test = dataset.split(0.2, seed=7)
    assert train.source == again_train.source and test.source == again_test.source
    assert dataset.split(0.2, seed=8)[1].source != test.source
    assert sorted(train.source + test.source) == sorted(dataset.source)
    for index, name in enumerate(dataset.group_names):
        assert np.sum(test.group == index) == round(0.2 * expected[name][0])


@pytest.mark.parametrize("example, origin, n_kept", [("sutton_chen/300K", "EAM_Cu/NVT_FCC_300K", 10),
                                                     ("lennard_jones/liquidNPT100K", "LJ_Ar/liquidNPT100K", 8)])
def test_examples_are_the_first_snapshots_of_the_real_data(poet_data, example, origin, n_kept):
    shipped, real = read_poet(example_path(example)), read_poet(poet_data / origin).subset(slice(0, n_kept))
    for name in ("energy", "forces", "stress", "positions"):
        np.testing.assert_array_equal(getattr(shipped, name), getattr(real, name))


# --- shipped examples and load ----------------------------------------------------------------------------------

def test_examples_load_as_one_group_per_subfolder_and_stay_small():
    dataset = load([example_path("sutton_chen"), example_path("lennard_jones")])
    assert dataset.group_names == ("sutton_chen/1600K", "sutton_chen/20kK", "sutton_chen/300K", "sutton_chen/3800K",
                                   "lennard_jones/FCC", "lennard_jones/NVT20kK", "lennard_jones/liquid",
                                   "lennard_jones/liquidNPT100K", "lennard_jones/liquidNVT100K")
    np.testing.assert_array_equal(np.bincount(dataset.group), [10] * 4 + [8] * 5)
    examples = example_path("sutton_chen").parent
    assert (examples / "NOTICE.md").is_file()
    assert sum(path.stat().st_size for path in examples.rglob("*") if path.is_file()) < 1_000_000


def test_example_path_names_the_available_examples():
    with pytest.raises(ValueError, match="lennard_jones, sutton_chen"):
        example_path("nope")


def test_load_group_names(tmp_path):
    first = copy_example(tmp_path / "run1", "lennard_jones/FCC")
    second = copy_example(tmp_path / "run2", "lennard_jones/FCC")
    assert load([first, second]).group_names == ("run1/lennard_jones/FCC", "run2/lennard_jones/FCC")
    assert load(first).group_names == ("lennard_jones/FCC",)
    assert load([first, second], groups=["x", "x"]).group_names == ("x",)
    assert load([example_path("sutton_chen")], groups=["sc"]).group_names[:2] == ("sc/1600K", "sc/20kK")


def test_load_mixes_poet_folders_and_ase_files(tmp_path):
    xyz = tmp_path / "extra.xyz"
    xyz.write_text(XYZ_FORCES)
    dataset = load([example_path("lennard_jones") / "FCC", xyz])
    assert dataset.group_names == ("lennard_jones/FCC", f"{tmp_path.name}/extra.xyz")
    assert dataset.n_configs == 8 + 2


def test_load_rejects_missing_and_empty_paths(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        load([tmp_path / "missing"])
    with pytest.raises(DataError, match="neither a POET folder"):
        load([tmp_path])


# --- Dataset ----------------------------------------------------------------------------------------------------

def test_dataset_shapes_and_offsets():
    dataset = small_dataset()
    assert dataset.n_configs == 4 and dataset.n_atoms_total == 10
    np.testing.assert_array_equal(dataset.n_atoms, [2, 4, 1, 3])
    np.testing.assert_array_equal(dataset.atom_offsets, [0, 2, 6, 7, 10])
    np.testing.assert_array_equal(dataset.positions[2:6], dataset.atoms[1].positions)
    with pytest.raises(ValueError):
        dataset.energy[0] = 1.0


def test_subset_keeps_each_configuration_with_its_own_atoms():
    dataset = small_dataset()
    picked = dataset.subset([3, 1])
    np.testing.assert_array_equal(picked.forces, np.concatenate([dataset.forces[7:10], dataset.forces[2:6]]))
    np.testing.assert_array_equal(picked.energy, [-3.0, -1.0])
    assert picked.source == ("cfg3", "cfg1") and picked.group_names == dataset.group_names
    assert dataset.subset([-1]).source == ("cfg3",)
    assert dataset.subset(np.array([True, False, False, True])).source == ("cfg0", "cfg3")


def test_concatenate_merges_groups_by_name():
    first = small_dataset()
    second = small_dataset(n_atoms=(1, 2), groups=(0, 1), group_names=("b", "c"))
    joined = Dataset.concatenate([first, second])
    assert joined.group_names == ("a", "b", "c")
    np.testing.assert_array_equal(joined.group, [0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(joined.forces, np.concatenate([first.forces, second.forces]))
    assert joined.n_atoms_total == 13


def test_split_is_per_group_and_independent_of_other_groups():
    dataset = load([example_path("sutton_chen")])
    train, test = dataset.split(0.3, seed=1)
    np.testing.assert_array_equal(np.bincount(test.group), [3, 3, 3, 3])
    np.testing.assert_array_equal(np.bincount(train.group), [7, 7, 7, 7])
    alone = dataset.subset(dataset.group == 2).split(0.3, seed=1)[1]
    assert alone.source == test.subset(test.group == 2).source


def test_split_keeps_a_single_configuration_group_in_train():
    dataset = small_dataset(groups=(0, 0, 0, 1))
    train, test = dataset.split(0.5, seed=0)
    assert "cfg3" in train.source and test.n_configs == 2
    with pytest.raises(ValueError, match="test_fraction"):
        dataset.split(1.0, seed=0)


# --- validation -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("file_name, line_number, text, message", [
    ("E0.data", 3, "nan", "line 3: non-finite number"),
    ("E0.data", 3, "-102.1 -3.0", "line 3: expected 1 numbers, got 2"),
    ("F.data", 7, "0.1x", "line 7: could not convert string to float: '0.1x'"),
    ("F_coord.data", 45, "0.1 0.2 0.3 0.4 0.5", "line 45: expected 6 or 7 numbers, got 5"),
    ("F_coord.data", 45, "0.1 0.2 0.3 0.4 0.5 0.6", "line 45: 6 numbers, but line 1 has 7"),
])
def test_malformed_poet_tables_are_named_by_file_and_line(tmp_path, file_name, line_number, text, message):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    replace_line(folder / file_name, line_number, text)
    with pytest.raises(DataError, match=re.escape(f"{folder / file_name} {message}")):
        read_poet(folder)


@pytest.mark.parametrize("file_name, message", [
    ("E0.data", "E0.data: 9 energies for 10 structures"),
    ("F_coord.data", "F_coord.data: 319 rows for 320 atoms"),
    ("F.data", "F.data: 959 rows for 960 force components"),
])
def test_poet_tables_with_a_missing_row_are_rejected(tmp_path, file_name, message):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    drop_last_line(folder / file_name)
    with pytest.raises(DataError, match=re.escape(f"{folder}/{message}")):
        read_poet(folder)


def test_missing_stress_row_is_rejected(tmp_path):
    folder = copy_example(tmp_path, "lennard_jones/FCC")
    drop_last_line(folder / "F_Cell.data")
    with pytest.raises(DataError, match=re.escape(f"{folder}/F_Cell.data: 7 rows for 8 structures")):
        read_poet(folder)


def test_force_files_that_disagree_are_rejected(tmp_path):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    replace_line(folder / "F.data", 134, "99.0")
    with pytest.raises(DataError, match=re.escape(f"{folder}/F_coord.data line 45 and {folder}/F.data lines "
                                                  "133-135 disagree")):
        read_poet(folder)


def test_each_force_file_alone_gives_the_same_forces(tmp_path):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    both = read_poet(folder).forces
    (folder / "F.data").rename(tmp_path / "F.data")
    np.testing.assert_array_equal(read_poet(folder).forces, both)
    (folder / "F_coord.data").unlink()
    assert np.isnan(read_poet(folder).forces).all()
    (tmp_path / "F.data").rename(folder / "F.data")
    np.testing.assert_array_equal(read_poet(folder).forces, both)


def test_coordinates_that_match_no_atom_are_rejected(tmp_path):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    values = (folder / "F_coord.data").read_text().splitlines()[44].split()
    replace_line(folder / "F_coord.data", 45, " ".join([str(float(values[0]) + 0.1), *values[1:]]))
    with pytest.raises(DataError, match=re.escape(f"{folder}/F_coord.data line 45: ") + ".* atom 12 of "
                       + re.escape(f"{folder}/2.vasp")):
        read_poet(folder)


def test_close_atoms_are_rejected(tmp_path):
    folder = copy_example(tmp_path, "sutton_chen/300K")
    atoms = ase.io.read(folder / "7.vasp", format="vasp")
    atoms.positions[17] = atoms.positions[3] + [0.31, 0, 0]
    ase.io.write(folder / "7.vasp", atoms, format="vasp")
    with pytest.raises(DataError, match=re.escape(f"{folder}/7.vasp: atoms 3 and 17 are 0.31 Å apart (< 0.5 Å)")):
        read_poet(folder)


def test_badly_numbered_or_unreadable_structures_are_rejected(tmp_path):
    folder = copy_example(tmp_path, "lennard_jones/FCC")
    (folder / "4.vasp").rename(folder / "9.vasp")
    with pytest.raises(DataError, match=re.escape(f"{folder}: 4.vasp is missing")):
        read_poet(folder)
    (folder / "9.vasp").rename(folder / "four.vasp")
    with pytest.raises(DataError, match=re.escape(f"{folder}/four.vasp: POET structures are named N.vasp")):
        read_poet(folder)
    (folder / "4.vasp").write_text("not a POSCAR\n")
    (folder / "four.vasp").unlink()
    with pytest.raises(DataError, match=re.escape(f"{folder}/4.vasp: cannot read it")):
        read_poet(folder)


def test_dataset_validation_names_the_configuration():
    dataset = small_dataset()
    with pytest.raises(DataError, match="cfg1: infinite energy"):
        replace(dataset, energy=[0.0, np.inf, 0.0, 0.0]).validate()
    forces = dataset.forces.copy()
    forces[3, 1] = np.nan
    with pytest.raises(DataError, match="cfg1: forces of atom 1 are partly NaN"):
        replace(dataset, forces=forces).validate()
    with pytest.raises(DataError, match=r"forces has shape \(9, 3\), expected \(10, 3\)"):
        replace(dataset, forces=forces[:9]).validate()
    no_cell = [Atoms("Cu2", positions=[[0, 0, 0], [2, 0, 0]], pbc=True), *dataset.atoms[1:]]
    with pytest.raises(DataError, match="cfg0: periodic along cell vectors abc, but they are zero or linearly dependent"):
        replace(dataset, atoms=no_cell).validate()
    small_dataset().validate()


# --- ASE files --------------------------------------------------------------------------------------------------

XYZ_FORCES = """2
Lattice="3.6 0 0 0 3.6 0 0 0 3.6" Properties=species:S:1:pos:R:3:forces:R:3 energy=-7.5 stress="0.01 0 0 0 0.02 0 0 0 0.03" pbc="T T T"
Cu 0.0 0.0 0.0 0.1 0.2 0.3
Cu 1.8 1.8 0.0 -0.1 -0.2 -0.3
2
Lattice="3.6 0 0 0 3.6 0 0 0 3.6" Properties=species:S:1:pos:R:3:force:R:3 energy=-7.25 pbc="T T T"
Cu 0.0 0.0 0.0 0.5 0.0 0.0
Cu 1.8 1.8 0.1 -0.5 0.0 0.0
"""
XYZ_NO_FORCES = """2
Lattice="3.6 0 0 0 3.6 0 0 0 3.6" Properties=species:S:1:pos:R:3 energy=-7.0 pbc="T T T"
Cu 0.0 0.0 0.0
Cu 1.8 1.8 0.0
"""


def test_read_ase_takes_forces_or_force_columns(tmp_path):
    path = tmp_path / "train.xyz"
    path.write_text(XYZ_FORCES)
    dataset = read_ase(path)
    assert dataset.group_names == (f"{tmp_path.name}/train.xyz",)
    assert dataset.source == (f"{path}@0", f"{path}@1")
    np.testing.assert_array_equal(dataset.energy, [-7.5, -7.25])
    np.testing.assert_array_equal(dataset.forces, [[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3], [0.5, 0, 0], [-0.5, 0, 0]])
    np.testing.assert_allclose(dataset.stress[0], np.array([0.01, 0.02, 0.03, 0, 0, 0]) / GPa)
    assert np.isnan(dataset.stress[1]).all()
    assert read_ase(path, index="1:").source == (f"{path}@1",)
    assert read_ase(path, index=-1, group="last").group_names == ("last",)


def test_read_ase_marks_missing_labels_as_nan(tmp_path):
    path = tmp_path / "unlabelled.xyz"
    path.write_text(XYZ_NO_FORCES)
    dataset = read_ase(path)
    assert dataset.energy[0] == -7.0 and np.isnan(dataset.forces).all() and np.isnan(dataset.stress).all()


@pytest.mark.parametrize("text, message", [
    ("2\nProperties=species:S:1:pos:R:3\nCu 0 0 0\nCu 1.8 1.8\n", "cannot read it"),
    ("garbage\n", "cannot read it"),
    (XYZ_NO_FORCES.replace("energy=-7.0", "energy=nan"), "@0: energy holds non-finite values"),
])
def test_read_ase_rejects_malformed_files_by_name(tmp_path, text, message):
    path = tmp_path / "bad.xyz"
    path.write_text(text)
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*" + re.escape(message)):
        read_ase(path)


@pytest.mark.skipif(not ASE_OUTCAR.is_file(), reason="ASE's test data is not installed")
def test_read_ase_on_a_vasp_outcar_agrees_with_the_poet_stress_conversion(tmp_path):
    outcar = shutil.copy(ASE_OUTCAR, tmp_path / "OUTCAR")  # ASE tells the format by the name
    dataset = read_ase(outcar)
    assert dataset.energy[0] == -68.23102426  # energy(sigma->0)
    in_kilobar = [[-4.29429, -4.58894, -4.50342, 0.50047, -0.94049, 0.36481]]  # the OUTCAR's "in kB" line, as F_Cell
    np.testing.assert_allclose(dataset.stress, poet_stress_to_gpa(in_kilobar), rtol=0, atol=1e-9)


def test_read_ase_rejects_missing_files_and_empty_selections(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_ase(tmp_path / "missing.xyz")
    path = tmp_path / "one.xyz"
    path.write_text(XYZ_NO_FORCES)
    with pytest.raises(DataError, match="no configuration at index 5"):
        read_ase(path, index=5)


def test_labelled_atoms_carry_the_labels_in_ase_units_and_leave_absent_ones_out():
    """What the baselines hand to motep, mace and uf3: energy eV, forces eV/Å, stress eV/Å³ (the Dataset's GPa)."""
    lennard_jones = load(example_path("lennard_jones") / "FCC")  # energies, forces and stresses
    atoms = lennard_jones.labelled_atoms(2)
    rows = slice(lennard_jones.atom_offsets[2], lennard_jones.atom_offsets[3])
    assert atoms.get_potential_energy() == lennard_jones.energy[2]
    assert np.array_equal(atoms.get_forces(), lennard_jones.forces[rows])
    assert np.array_equal(atoms.get_stress(), lennard_jones.stress[2] * ase.units.GPa)
    sutton_chen = load(example_path("sutton_chen") / "300K")  # no stresses
    assert sorted(sutton_chen.ase_labels(0)) == ["energy", "forces"]
