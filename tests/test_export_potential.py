"""The potential as data: JSON that round-trips to the last bit, clear errors for bad files, models from a run."""
import json

import pytest
from hypothesis import given, settings

from strategies import any_finite_float, atom_trees
from symbolicpot.expr import constants, format_expression, parse_expression
from symbolicpot.metrics import ERRORS
from symbolicpot.export.potential import Potential, PotentialError
from symbolicpot.run import front
from symbolicpot.run.front import front_potential
from symbolicpot.search.engine import FrontModel

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
NI_AL = "Ni: sum[Al](2*r^-8) + sum(r^-9) - sum[Ni](r^-6)^0.5; Al: sum(r^-7) - sum(r^-6)^0.5"
VERSION_1 = {  # a file as version 1 wrote it: one element and its mass
    "format": "symbolicpot-potential", "version": 1,
    "convention": "E = sum_i T_i (eV); in T_i, sum(g) = sum over all neighbours j != i (no 1/2) of g(r_ij) f(r_ij), "
                  "r in Å, f the smooth cutoff: 1 up to r_in, 0 from r_out",
    "formula": SUTTON_CHEN, "constants": [644.52, -9.0, 527.62, -6.0, 0.5], "r_in": 2.5, "r_out": 5.5,
    "element": "Ag", "mass": 107.8682, "provenance": {"source": "formula"}}


def metrics(energy_rmse):
    """error_metrics of a model with the given energy RMSE (meV/atom), unlabelled forces and stresses."""
    return {**dict.fromkeys(ERRORS), "energy_rmse_mev_per_atom": energy_rmse, "n_configs": 4, "n_atoms": 128}


def write_front(run_dir, formulas, r_in=3.0, r_out=5.0):
    """A run's front.json as `symbolicpot evolve` writes it, model k with error 0.1 / (k + 1)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    models = [FrontModel(text, constants(parse_expression(text)), 0.1 / (k + 1), 10.0 * (k + 1), 5 * (k + 1),
                         metrics(1.0 + k), metrics(1.5 + k)) for k, text in enumerate(formulas)]
    front.write_front(run_dir, front.front_document(models, r_in, r_out, generation=40))
    return run_dir


@settings(max_examples=60, deadline=None)
@given(atom_trees(constants=any_finite_float()))
def test_json_round_trips_every_formula_to_the_last_bit(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("json") / "p.json"
    potential = Potential(format_expression(tree), 2.5, 6.0, "Al", provenance={"run": "x", "index": 3})
    loaded = Potential.from_json(potential.to_json(path))
    assert loaded == potential and loaded.tree == tree and loaded.provenance == potential.provenance


def test_formula_text_is_stored_canonically_with_mass_from_ase():
    potential = Potential.from_formula("sum( 644.52 * r^-9 )-sum(527.62*r^-6)^0.5", r_in=3, r_out=5)
    assert potential.formula == SUTTON_CHEN and potential.elements == ("Cu",)
    assert potential.masses == (pytest.approx(63.546),) and isinstance(potential.r_in, float)
    assert Potential.from_formula(SUTTON_CHEN, element="Ag") == Potential(SUTTON_CHEN, elements=["Ag"])


def test_an_alloy_potential_round_trips_with_its_elements_and_masses(tmp_path):
    """The elements default to the species the formula names (its blocks' order first); masses follow them."""
    potential = Potential.from_formula(NI_AL)
    assert potential.elements == ("Ni", "Al") and potential.masses == pytest.approx((58.6934, 26.98154))
    three = Potential(NI_AL.replace("; Al:", "; Cu: sum(r^-8); Al:"), 3.0, 5.0, ["Al", "Cu", "Ni"], [27.0, 63.5, 58.7],
                      provenance={"run": "x"})
    data = json.loads(three.to_json(tmp_path / "p.json").read_text())
    assert data["version"] == 2 and data["elements"] == ["Al", "Cu", "Ni"] and data["masses"] == [27.0, 63.5, 58.7]
    assert Potential.from_json(tmp_path / "p.json") == three


def test_a_version_1_file_reads_as_one_element(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(VERSION_1, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    potential = Potential.from_json(path)
    assert potential == Potential(SUTTON_CHEN, 2.5, 5.5, "Ag") and potential.masses == (107.8682,)
    assert potential.provenance == {"source": "formula"}
    path.write_text(json.dumps({**VERSION_1, "element": "Kryptonite"}))
    with pytest.raises(PotentialError, match="element 'Kryptonite' is not a chemical symbol"):
        Potential.from_json(path)


def valid():
    return Potential.from_formula(SUTTON_CHEN).to_dict()


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("r_in"), "key 'r_in' is missing"),
    (lambda d: d.update(r_out="5"), "key 'r_out' must be a number"),
    (lambda d: d.update(r_out=float("inf")), "key 'r_out' must be a finite number"),
    (lambda d: d.update(r_in=6.0), "keys 'r_in', 'r_out'"),
    (lambda d: d.update(formula="sum(r)^"), "key 'formula': unexpected end of text at position 7"),
    (lambda d: d.update(formula="__import__('os')"), "key 'formula'"),
    (lambda d: d.update(constants=[1.0]), "key 'formula': its constants differ"),
    (lambda d: d.update(elements=["Kryptonite"]), "element 'Kryptonite' is not a chemical symbol"),
    (lambda d: d.update(elements="Cu"), "key 'elements' must be a list of chemical symbols"),
    (lambda d: d.update(elements=[]), "key 'elements' must be a list of chemical symbols"),
    (lambda d: d.update(elements=["Cu", "Cu"], masses=[1, 1]), "elements must list each chemical symbol once"),
    (lambda d: d.update(masses=[-1]), "masses must be one positive number (u) per element (Cu), got [-1]"),
    (lambda d: d.update(masses=[63.5, 58.7]), "masses must be one positive number (u) per element (Cu)"),
    (lambda d: d.update(masses=[True]), "key 'masses' must be a list of numbers"),
    (lambda d: d.update(formula=NI_AL, constants=constants(parse_expression(NI_AL)), elements=["Ni", "Cu"],
                        masses=[1, 1]), "the formula names Al, not among the elements Ni, Cu (key 'elements')"),
    (lambda d: d.update(formula=NI_AL, constants=constants(parse_expression(NI_AL)), elements=["Ni", "Al", "Cu"],
                        masses=[1, 1, 1]), "the formula has no term for Cu (its species blocks name Ni, Al; "
                                           "key 'elements')"),
    (lambda d: d.update(provenance=[]), "key 'provenance' must be dict"),
    (lambda d: d.update(r_cut=5.0), "unknown key 'r_cut'"),
    (lambda d: d.update(element="Cu"), "unknown key 'element'"),
    (lambda d: d.update(version=3), "version 1 or 2"),
    (lambda d: d.update(version=1), "unknown key 'elements' (known in version 1: "),
])
def test_bad_files_name_the_file_and_the_key(tmp_path, change, message):
    data = valid()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PotentialError) as raised:
        Potential.from_json(path)
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_a_file_that_is_not_json_says_so(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("formula: sum(r)")
    with pytest.raises(PotentialError, match="not JSON"):
        Potential.from_json(path)


def test_optional_keys_take_their_defaults(tmp_path):
    optional = ("masses", "constants", "provenance", "convention")
    data = {key: value for key, value in valid().items() if key not in optional}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert Potential.from_json(path) == Potential.from_formula(SUTTON_CHEN)


def test_front_potential_picks_a_model_of_the_front_with_its_provenance(tmp_path):
    run = write_front(tmp_path / "run", ["sum(r^-6)", SUTTON_CHEN], r_in=2.5, r_out=5.5)
    potential = front_potential(run, 1, elements="Ag")
    assert potential == Potential(SUTTON_CHEN, 2.5, 5.5, "Ag")
    assert potential.provenance == {"source": "run", "run": str(run.resolve()), "index": 1, "generation": 40,
                                    "error": 0.05, "cost": 20.0, "complexity": 10,
                                    "train": metrics(2.0), "test": metrics(2.5), "property_error": None}


def test_front_potential_lists_the_front_when_the_pick_is_not_on_it(tmp_path):
    run = write_front(tmp_path / "run", ["sum(r^-6)", SUTTON_CHEN])
    with pytest.raises(ValueError) as raised:
        front_potential(run, 7)
    assert "no model with index 7" in str(raised.value) and f"1: error 0.05, complexity 10: {SUTTON_CHEN}" in str(
        raised.value)


def test_front_potential_without_a_front_names_the_file(tmp_path):
    with pytest.raises(ValueError, match="front.json"):
        front_potential(tmp_path, 0)
