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
    assert potential.formula == SUTTON_CHEN
    assert potential.mass == pytest.approx(63.546) and isinstance(potential.r_in, float)


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
    (lambda d: d.update(element="Kryptonite"), "element 'Kryptonite' is not a chemical symbol"),
    (lambda d: d.update(mass=-1), "mass must be a positive number"),
    (lambda d: d.update(provenance=[]), "key 'provenance' must be dict"),
    (lambda d: d.update(r_cut=5.0), "unknown key 'r_cut'"),
    (lambda d: d.update(version=2), "version 1"),
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
    optional = ("mass", "constants", "provenance", "convention")
    data = {key: value for key, value in valid().items() if key not in optional}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert Potential.from_json(path) == Potential.from_formula(SUTTON_CHEN)


def test_front_potential_picks_a_model_of_the_front_with_its_provenance(tmp_path):
    run = write_front(tmp_path / "run", ["sum(r^-6)", SUTTON_CHEN], r_in=2.5, r_out=5.5)
    potential = front_potential(run, 1, element="Ag")
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
