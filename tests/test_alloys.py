"""Alloy formulas: species-filtered sums and per-species terms, from text to energies, forces, virials and
constant gradients (README "Alloys")."""
import re

import ase
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from strategies import alloy_trees
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.expr import (constants, format_expression, node_count, parse_expression,
                              species_named)
from symbolicpot.expr.strings import ParseError
from test_evaluator import (FINITE_DIFFERENCE_CONSTANTS, SMALL_CUTOFF, check_batched_equals_single,
                            check_constant_gradients_by_differences, check_forces_and_stress_by_differences,
                            rattled_copper, unlabelled)

FINNIS_SINCLAIR_NIAL = ("Ni: sum[Ni](2*r^-9) + sum[Al](1.5*r^-8) - (sum[Ni](3*r^-6) + sum[Al](2*r^-5))^0.5; "
                        "Al: sum[Ni](1.5*r^-8) + sum[Al](r^-7) - (sum[Ni](2.5*r^-6) + sum[Al](1.2*r^-5))^0.5")


def mixed_cell(seed=3, species=("Ni", "Al")):
    """A rattled, sheared 4-atom fcc cell of two species (every other atom), as the evaluator tests' SMALL_CELL."""
    atoms = rattled_copper(seed=seed, cell=(1, 1, 1))
    atoms.symbols[:] = [species[i % 2] for i in range(len(atoms))]
    return atoms


MIXED_CELL = mixed_cell()


def swapped(text):
    """The text with the names Ni and Al exchanged."""
    return text.replace("Ni", "@").replace("Al", "Ni").replace("@", "Al")


def test_text_round_trips_and_counts_what_a_reader_reads():
    tree = parse_expression(FINNIS_SINCLAIR_NIAL)
    assert format_expression(tree) == FINNIS_SINCLAIR_NIAL
    assert species_named(tree) == ["Al", "Ni"]
    # the two terms' nodes, not the structure that holds them
    terms = [part.split(": ", 1)[1] for part in FINNIS_SINCLAIR_NIAL.split("; ")]
    assert node_count(tree) == sum(node_count(parse_expression(term)) for term in terms)
    assert format_expression(parse_expression("sum[Al](r) - sum(r)^0.5")) == "sum[Al](r) - sum(r)^0.5"


@pytest.mark.parametrize("text, message, position", [
    ("Ni: sum(r); Ni: sum(r)", "species Ni has two expressions", 12),
    ("Xx: sum(r)", "unknown species 'Xx'", 0),
    ("sum[Qq](r)", "unknown species 'Qq'", 4),
    ("Ni: sum(r);", "expected a species", 11),
    ("exp[Al](sum(r))", "expected '('", 3),
    ("Ni: sum(r); 3", "expected a species", 12),
])
def test_bad_alloy_text_is_an_error_at_its_position(text, message, position):
    with pytest.raises(ParseError, match=re.escape(message)) as error:
        parse_expression(text)
    assert error.value.position == position


def test_per_species_terms_and_filtered_sums_compute_what_they_say():
    """A Ni–Al dimer 2.5 Å apart (inside r_in = 3 Å, f = 1): Ni's term sees one Al neighbour, Al's one Ni."""
    dimer = ase.Atoms("NiAl", positions=[[0, 0, 0], [2.5, 0, 0]])
    for text, expected in [("Ni: sum[Al](r); Al: 2*sum[Ni](r^2)", 2.5 + 2 * 2.5 ** 2),
                           ("Ni: sum[Ni](r) + 1; Al: sum(r)", 1 + 2.5),
                           ("sum[Ni](r) + sum[Al](r^2)", 2.5 + 2.5 ** 2)]:
        ok, energy, atom_energy, _, _ = evaluate_structure(parse_expression(text), dimer, Cutoff(3.0, 4.0))
        assert ok and energy == pytest.approx(expected, rel=1e-15)


def test_a_finnis_sinclair_alloy_matches_a_direct_computation():
    """T_i = Σ_j φ_{s_i s_j}(r) − (Σ_j ρ_{s_i s_j}(r))^0.5 with the smooth cutoff, summed with NumPy over every
    neighbour of a random mixed cell; bound 1e-12 relative (the evaluator and NumPy add in another order)."""
    cell = mixed_cell(seed=5) * (2, 1, 1)
    cutoff = Cutoff(3.0, 4.0)
    tree = parse_expression(FINNIS_SINCLAIR_NIAL)
    phi = {("Ni", "Ni"): lambda r: 2 * r ** -9, ("Ni", "Al"): lambda r: 1.5 * r ** -8,
           ("Al", "Ni"): lambda r: 1.5 * r ** -8, ("Al", "Al"): lambda r: r ** -7}
    rho = {("Ni", "Ni"): lambda r: 3 * r ** -6, ("Ni", "Al"): lambda r: 2 * r ** -5,
           ("Al", "Ni"): lambda r: 2.5 * r ** -6, ("Al", "Al"): lambda r: 1.2 * r ** -5}
    from symbolicpot.data.neighbours import structure_neighbours
    centre, neighbour, distance, _ = structure_neighbours(cell, cutoff.r_out)
    fc, _ = cutoff(distance)
    symbols = cell.get_chemical_symbols()
    expected = 0.0
    for i in range(len(cell)):
        mine = centre == i
        pair, density = 0.0, 0.0
        for j, r, f in zip(neighbour[mine], distance[mine], fc[mine]):
            pair += phi[symbols[i], symbols[j]](r) * f
            density += rho[symbols[i], symbols[j]](r) * f
        expected += pair - density ** 0.5
    ok, energy, *_ = evaluate_structure(tree, cell, cutoff)
    assert ok and energy == pytest.approx(expected, rel=1e-12)


def test_renaming_the_species_changes_nothing_but_names():
    """The formula with Ni and Al exchanged, on the cell with them exchanged: the same numbers, bit for bit."""
    text = FINNIS_SINCLAIR_NIAL.replace("Al: sum[Ni](1.5", "Al: sum[Ni](1.7")  # not symmetric under the swap
    one = Evaluator(unlabelled([MIXED_CELL]), SMALL_CUTOFF)(parse_expression(text))
    other = Evaluator(unlabelled([mixed_cell(species=("Al", "Ni"))]), SMALL_CUTOFF)(parse_expression(swapped(text)))
    assert one.ok and other.ok
    for name in ("energy", "forces", "stress", "atom_energy"):
        np.testing.assert_array_equal(getattr(one, name), getattr(other, name))


def test_a_species_the_data_lack_selects_nothing_and_one_without_a_term_is_an_error():
    """The search tunes on subsets that may lack a species: sum[Cu] over no Cu neighbour is 0. Atoms of a species the
    formula has no term for are an error naming it."""
    evaluator = Evaluator(unlabelled([MIXED_CELL]), SMALL_CUTOFF)
    assert evaluator(parse_expression("sum[Cu](r) + 1")).energy[0] == len(MIXED_CELL)
    assert evaluator(parse_expression("Ni: 2; Al: sum[Cu](r) + 3; Cu: sum(r)")).energy[0] == 2 * 2 + 2 * 3
    with pytest.raises(ValueError, match=r"species Al, for which the formula has no term \(its terms: Ni, Cu\)"):
        evaluator(parse_expression("Ni: 2; Cu: sum(r)"))


def test_a_species_block_is_each_species_own_part_of_the_term():
    """`T + {Ni: a; Al: b}` is `Ni: T + a; Al: T + b` bit for bit (the kernels run the same programs), reads and
    prints back, and counts T once: what a reader reads."""
    inner = parse_expression("sum[Al](2*r^-8) - sum(r^-6)^0.5 + {Ni: -4.25; Al: -3.5*sum[Ni](r^-5)}")
    spelled = parse_expression("Ni: sum[Al](2*r^-8) - sum(r^-6)^0.5 + -4.25; "
                               "Al: sum[Al](2*r^-8) - sum(r^-6)^0.5 + -3.5*sum[Ni](r^-5)")
    assert parse_expression(format_expression(inner)) == inner
    term, branch = parse_expression("sum[Al](2*r^-8) - sum(r^-6)^0.5"), parse_expression("-3.5*sum[Ni](r^-5)")
    assert node_count(inner) == node_count(term) + 1 + 1 + node_count(branch)  # T, its "+", -4.25, Al's branch
    evaluator = Evaluator(unlabelled([MIXED_CELL, mixed_cell(seed=4)]), SMALL_CUTOFF)
    one, other = evaluator(inner, gradients=True), evaluator(spelled)
    assert one.ok and other.ok
    for name in ("energy", "forces", "stress", "atom_energy"):
        np.testing.assert_array_equal(getattr(one, name), getattr(other, name))
    # the constant -4.25 of the Ni branch moves only the Ni atoms' energy: 2 Ni atoms per cell
    np.testing.assert_array_equal(one.d_energy[:, constants(inner).index(-4.25)], [2.0, 2.0])


@pytest.mark.parametrize("text, message", [
    ("Ni: {Ni: 1; Al: 2} + sum(r)", "species blocks do not nest"),
    ("sum({Ni: 1; Al: 2}*r)", "a species block cannot stand inside sum(...)"),
    ("sum(r) + {Ni: 1; Al: 2} + {Ni: 3}", "every species block of a formula names the same species"),
])
def test_species_blocks_are_typed(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_expression(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=alloy_trees(max_depth=3, pair_depth=3, constants=FINITE_DIFFERENCE_CONSTANTS))
def test_random_alloy_formulas_forces_and_stress_match_finite_differences(formula):
    """As the single-element test in test_evaluator (the same tolerances, derived there)."""
    check_forces_and_stress_by_differences(formula, MIXED_CELL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=alloy_trees(max_depth=3, pair_depth=3, constants=FINITE_DIFFERENCE_CONSTANTS))
def test_random_alloy_formulas_constant_gradients_match_finite_differences(formula):
    """As the single-element test in test_evaluator, on two mixed cells."""
    check_constant_gradients_by_differences(formula, [MIXED_CELL, mixed_cell(seed=4)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=alloy_trees(max_depth=3, pair_depth=3), n_vectors=st.sampled_from([1, 16, 17]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_alloy_formulas_batched_equal_single_calls(formula, n_vectors, seed):
    """The batched path gathers each filtered sum's pairs and each species' atoms: as the single-element test in
    test_evaluator (the same tolerances, derived there), on two mixed cells, one with a species absent."""
    pure_nickel = mixed_cell(seed=4, species=("Ni", "Ni"))
    check_batched_equals_single(formula, [MIXED_CELL, pure_nickel], n_vectors, seed)


def test_a_plain_formula_on_alloy_data_is_blind_to_species():
    """sum(g) over every neighbour: the same energy whatever the species are called."""
    tree = parse_expression("sum(2*r^-9) - sum(3*r^-6)^0.5")
    one = Evaluator(unlabelled([MIXED_CELL]), SMALL_CUTOFF)(tree)
    copper = Evaluator(unlabelled([rattled_copper(seed=3, cell=(1, 1, 1))]), SMALL_CUTOFF)(tree)
    np.testing.assert_array_equal(one.energy, copper.energy)
    np.testing.assert_array_equal(one.forces, copper.forces)


@pytest.mark.parametrize("text", [FINNIS_SINCLAIR_NIAL, "sum[Al](2*r^-8) - sum(r^-6)^0.5 + {Ni: -4.25; Al: -3.5}"])
def test_sympy_forms_of_alloy_formulas_keep_species_and_values(text):
    """The SymPy form reads back to a formula of the same values (simplification regroups, never changes them):
    energies within 1e-12 relative on a mixed cell (rounding of the regrouped sums)."""
    from symbolicpot.expr.symbolic import from_sympy, latex, simplify
    tree = parse_expression(text)
    again = from_sympy(simplify(tree))
    assert species_named(again) == species_named(tree)
    one, other = (evaluate_structure(t, MIXED_CELL, SMALL_CUTOFF)[1] for t in (tree, again))
    assert other == pytest.approx(one, rel=1e-12)
    assert r"\mathrm{Al}" in latex(tree)


def test_the_ase_calculator_takes_alloy_formulas():
    """Forces and stress of a per-species formula through FormulaCalculator are its energy's derivatives (the
    baselines' check, tolerances derived in energy_derivatives.py), on 32 atoms of two species."""
    from energy_derivatives import check_forces_and_stress, rattled_copper as rattled_32
    from symbolicpot.evaluate.calculator import FormulaCalculator
    atoms = rattled_32(seed=2)
    atoms.symbols[::3] = "Al"
    atoms.symbols[1::3] = "Ni"
    tree = parse_expression("Ni: sum[Al](3*r^-8) - sum(r^-6)^0.5; Al: sum[Ni](2*r^-7) - sum[Al](r^-6)^0.5; "
                            "Cu: sum(r^-9) - sum(r^-6)^0.5")
    check_forces_and_stress(FormulaCalculator(tree, Cutoff(3.0, 5.0)), atoms)
    atoms.calc = FormulaCalculator(parse_expression("Ni: sum(r^-6); Al: sum(r^-5)"), Cutoff(3.0, 5.0))
    with pytest.raises(ValueError, match="species Cu, for which the formula has no term"):
        atoms.get_potential_energy()
