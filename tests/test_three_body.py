"""Three-body sums `sum3(h(r, s, c))`: text, typing, energies, analytic forces, virials and constant gradients, and the
eam/fs export that refuses them (the LAMMPS plugin's: test_export_three_body) (README "Three-body sums")."""
import re

import ase
import ase.build
import numpy as np
import pytest
import sympy
from ase.neighborlist import neighbor_list
from hypothesis import HealthCheck, given, settings, strategies as st

from strategies import any_finite_float, three_body_trees, triplet_trees
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.export.eam_fs import tabulate
from symbolicpot.export.potential import Potential
from symbolicpot.expr import (C, R, S, ExpressionError, Node, call, check_typed, const, constants, format_expression,
                              node_count, parse_expression)
from symbolicpot.expr.strings import ParseError
from symbolicpot.expr.symbolic import COSINE, DISTANCE, SECOND_DISTANCE, Sum_jk, from_sympy, latex, simplify, to_sympy
from test_alloys import mixed_cell
from test_evaluator import (FINITE_DIFFERENCE_CONSTANTS, SMALL_CUTOFF, check_constant_gradients_by_differences,
                            check_forces_and_stress_by_differences, rattled_copper, translated, unlabelled)

# Stillinger–Weber silicon (Phys. Rev. B 31, 5262): ε = 2.1683 eV, σ = 2.0951 Å, a = 1.80, λ = 21.0, γ = 1.20. Its
# three-body energy Σ_i Σ_{j<k} λε (cos θ_jik + 1/3)² e^{γσ/(r_ij − aσ)} e^{γσ/(r_ik − aσ)} is exactly this sum3 with a
# cutoff that ends at aσ = 3.77118 Å (SW's own, where the exponentials vanish) and is 1 over the bonds.
SW_LAMBDA_EPSILON, SW_GAMMA_SIGMA, SW_A_SIGMA = 21.0 * 2.1683, 1.2 * 2.0951, 1.8 * 2.0951
SW_THREE_BODY = (f"{SW_LAMBDA_EPSILON!r}*sum3((c + {1 / 3!r})^2*exp({SW_GAMMA_SIGMA!r}/(r - {SW_A_SIGMA!r}))"
                 f"*exp({SW_GAMMA_SIGMA!r}/(s - {SW_A_SIGMA!r})))")
SW_CUTOFF = Cutoff(3.0, SW_A_SIGMA)


def rattled_silicon():
    """Diamond Si, 8 atoms, displaced by ~0.05 Å: 4 bonds per atom near 2.35 Å, second neighbours beyond SW_CUTOFF."""
    atoms = ase.build.bulk("Si", "diamond", a=5.431, cubic=True)
    atoms.rattle(0.05, seed=1)
    return atoms


def simple_cubic_with_one_atom_moved():
    """A 3×3×3 simple cubic cell (a = 2.5 Å, inside SMALL_CUTOFF's r_in 2.8 Å) with one atom displaced: the atoms
    away from it keep neighbours at equal distances, at right angles (c = 0) and in line (c = −1), while the moved
    atom gives them forces and the cell a shear stress to check."""
    atoms = ase.Atoms("Cu27", cell=np.eye(3) * 7.5, pbc=True,
                      positions=2.5 * np.array([[x, y, z] for x in range(3) for y in range(3) for z in range(3)]))
    atoms.positions[13] += (0.11, -0.07, 0.05)
    return atoms


CELLS = {"rattled fcc": rattled_copper(seed=3, cell=(1, 1, 1)), "simple cubic": simple_cubic_with_one_atom_moved()}


# ---------------------------------------------------------------------------------------------------------- text

@pytest.mark.parametrize("text", [
    SW_THREE_BODY,
    "sum(r^-9) - sum(r^-6)^0.5 + 2*sum3(c^2*r*s)",
    "sum3(r)",
    "Ni: sum3(c + 1) - sum(r); Al: sum(r)",
])
def test_text_round_trips(text):
    tree = parse_expression(text)
    assert format_expression(tree) == text
    assert parse_expression(format_expression(tree)) == tree


@settings(max_examples=200, deadline=None)
@given(formula=three_body_trees(constants=any_finite_float()))
def test_random_three_body_formulas_round_trip_to_the_last_bit(formula):
    assert parse_expression(format_expression(formula)) == formula


def test_size_counts_a_three_body_sum_as_a_pair_sum():
    assert node_count(parse_expression("sum3(c*(r + s))")) == node_count(parse_expression("sum(r*(r + r))")) == 6


@pytest.mark.parametrize("text, message, position", [
    ("sum(s)", "'s' must stand inside sum3(...)", 4),
    ("c*sum3(r)", "'c' must stand inside sum3(...)", 0),
    ("sum3(r) + s", "'s' must stand inside sum3(...)", 10),
    ("r + sum3(c)", "'r' must stand inside sum(...) or sum3(...)", 0),
    ("sum3(sum(r))", "sum(...) cannot stand inside sum3(...): sums do not nest", 5),
    ("sum(r*sum3(c))", "sum3(...) cannot stand inside sum(...): sums do not nest", 6),
    ("sum3(c*sum3(c))", "sum3(...) cannot stand inside sum3(...): sums do not nest", 7),
    ("sum3[Ni](c)", "sum3 takes no species (yet)", 4),
    ("sum3(r, s)", "sum3 takes 1 argument, got 2", 0),
    ("sum3(x)", "unknown name 'x' (known: r, s, c, sum, sum3", 5),
])
def test_bad_three_body_text_is_an_error_at_its_position(text, message, position):
    with pytest.raises(ParseError, match=re.escape(message)) as error:
        parse_expression(text)
    assert error.value.position == position


@pytest.mark.parametrize("tree, message", [
    (call("sum", S), "'s' must stand inside sum3(...)"),
    (call("sum3", call("sum", R)), "sum(...) cannot stand inside sum3(...)"),
    (Node("sum3", (C,), species="Ni"), "'sum3' takes no species"),
    (call("+", C, call("sum3", R)), "'c' must stand inside sum3(...)"),
])
def test_mistyped_trees_are_errors(tree, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        check_typed(tree)


TRIPLETS = ((2.3, 2.55, -0.2), (2.55, 3.1, 0.4), (3.1, 2.3, -1.0))  # (r_ij, r_ik, cos θ_jik) of one atom


def value(expr):
    """The number a SymPy form stands for at one atom whose pairs of neighbours are TRIPLETS (no cutoff)."""
    def three_body_total(total):
        return sympy.Add(*(total.args[0].subs({DISTANCE: r, SECOND_DISTANCE: s, COSINE: c})
                           + total.args[0].subs({DISTANCE: s, SECOND_DISTANCE: r, COSINE: c}) for r, s, c in TRIPLETS))
    return float(expr.replace(lambda e: isinstance(e, Sum_jk), three_body_total))


@pytest.mark.parametrize("text", ["2*sum3((c + 0.5)^2*r*s) - sum3((c + 2)*r^-2)^0.5", SW_THREE_BODY])
def test_sympy_forms_keep_the_value(text):
    tree = parse_expression(text)
    expr = to_sympy(tree)
    assert value(to_sympy(from_sympy(expr))) == pytest.approx(value(expr), rel=1e-12)
    assert value(simplify(tree, snap=0)) == pytest.approx(value(expr), rel=1e-9)
    assert value(to_sympy(from_sympy(simplify(tree)))) == pytest.approx(value(expr), rel=1e-9)


def test_sympy_and_latex_forms_name_the_three_body_sum():
    tree = parse_expression("sum(r^-6) + sum3((c + 0.5)^2*r*s)")
    assert str(simplify(tree)) == "sum(r**(-6)) + sum3(r*s*(c + 0.5)**2)"
    assert latex(tree) == (r"\sum_{j} \left(\frac{1}{r_{ij}^{6}}\right) + \frac{1}{2} \sum_{j \neq k} "
                           r"\left(r_{ij} r_{ik} \left(\cos\theta_{jik} + 0.5\right)^{2}\right)")


# ---------------------------------------------------------------------------------------------------- energies

def numpy_three_body(atoms, h, cutoff):
    """Σ_i Σ_{j<k} h(r_ij, r_ik, cos θ_jik) f(r_ij) f(r_ik) (eV) by a direct loop over ase's neighbour list, for a
    symmetric h."""
    centre, bond = neighbor_list("iD", atoms, cutoff.r_out)
    total = 0.0
    for i in range(len(atoms)):
        vectors = bond[centre == i]
        r = np.linalg.norm(vectors, axis=1)
        f, _ = cutoff(r)
        for p in range(len(r)):
            for q in range(p + 1, len(r)):
                total += h(r[p], r[q], vectors[p] @ vectors[q] / (r[p] * r[q])) * f[p] * f[q]
    return total


def test_stillinger_weber_three_body_term_matches_a_direct_loop():
    """Diamond Si (8 atoms, strained and rattled): the evaluator against NumPy to 1e-12 relative (both add a few
    hundred positive terms in another order: ~1e-15 each)."""
    atoms = rattled_silicon()
    atoms.set_cell(atoms.cell[:] @ np.array([[1.01, 0.02, 0.0], [0.0, 0.99, 0.0], [0.0, 0.01, 1.0]]), scale_atoms=True)

    def h(r, s, c):
        return (SW_LAMBDA_EPSILON * (c + 1 / 3) ** 2 * np.exp(SW_GAMMA_SIGMA / (r - SW_A_SIGMA))
                * np.exp(SW_GAMMA_SIGMA / (s - SW_A_SIGMA)))
    ok, energy, _, _, _ = evaluate_structure(parse_expression(SW_THREE_BODY), atoms, SW_CUTOFF)
    expected = numpy_three_body(atoms, h, SW_CUTOFF)
    assert ok and expected > 0.1
    assert energy == pytest.approx(expected, rel=1e-12)


def test_a_three_body_sum_counts_each_pair_of_neighbours_once_and_only_at_its_centres_species():
    """sum3(1) is the number of pairs j < k of neighbours inside r_in (f = 1): on a Ni–Al dimer plus a third atom
    every atom has 2 neighbours, so 1 pair; per species, only the Ni atoms' term holds it."""
    trimer = ase.Atoms("NiAlNi", positions=[[0, 0, 0], [2.5, 0, 0], [0, 2.5, 0]])
    cutoff = Cutoff(4.0, 4.5)
    ok, energy, atom_energy, _, _ = evaluate_structure(parse_expression("sum3(1)"), trimer, cutoff)
    assert ok and list(atom_energy) == [1.0, 1.0, 1.0]
    text = "Ni: sum3(c) + sum(0*r); Al: sum(0*r)"  # cos θ at each Ni atom
    ok, energy, atom_energy, _, _ = evaluate_structure(parse_expression(text), trimer, cutoff)
    cos_at_2 = (np.array([0, -2.5, 0]) @ np.array([2.5, -2.5, 0])) / (2.5 * np.hypot(2.5, 2.5))
    assert ok and atom_energy == pytest.approx([0.0, 0.0, cos_at_2], abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(h=triplet_trees(), cell=st.sampled_from(sorted(CELLS)))
def test_swapping_r_and_s_changes_nothing(h, cell):
    """sum3 symmetrises h: h(r, s, c) and h(s, r, c) give the same energies and forces, up to the rounding of adding
    the same terms in another order, bounded by how far the values move when the cell is translated (the same
    distances rounded differently), plus 1e-12 of the values for values too small to move."""
    swapped = _swap_r_and_s(h)
    evaluator, moved = (Evaluator(unlabelled([c]), SMALL_CUTOFF) for c in (CELLS[cell], translated(CELLS[cell])))
    original, mirrored, elsewhere = evaluator(call("sum3", h)), evaluator(call("sum3", swapped)), moved(call("sum3", h))
    assert original.ok == mirrored.ok
    if original.ok and elsewhere.ok:
        for name in ("energy", "forces", "stress"):
            expected, value = getattr(original, name), getattr(mirrored, name)
            noise = np.abs(getattr(elsewhere, name) - expected).max()
            assert np.abs(value - expected).max() <= 100 * noise + 1e-12 * max(np.abs(expected).max(), 1.0)


def _swap_r_and_s(node):
    leaf = {"r": S, "s": R}.get(node.op)
    return leaf if leaf is not None else Node(node.op, tuple(map(_swap_r_and_s, node.children)), node.value)


# ------------------------------------------------------------------------------ derivatives against differences

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=three_body_trees(max_depth=2, n_sums=(1, 3), pair_depth=2, triplet_depth=2,
                                constants=FINITE_DIFFERENCE_CONSTANTS), cell=st.sampled_from(sorted(CELLS)))
def test_random_three_body_formulas_forces_and_stress_match_finite_differences(formula, cell):
    check_forces_and_stress_by_differences(formula, CELLS[cell])


# Hand-picked formulas: SW's three-body term in its own cutoff, and three-body sums in the terms of a Ni–Al alloy
# (powers of non-negative bases only, so that moving an exponent keeps them finite).
FIXED_CASES = {
    "stillinger-weber": (SW_THREE_BODY, rattled_silicon(), SW_CUTOFF),
    "per species": ("Ni: sum(r^-6)^0.5 + sum3((c + 0.3)*(c + 0.3)*r^-2*s^-2); Al: 2*sum3(c*r) - sum(r^-5)",
                    mixed_cell(seed=5), SMALL_CUTOFF),
}


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from(sorted(FIXED_CASES)))
def test_hand_picked_formulas_forces_stress_and_gradients_match_finite_differences(case):
    text, cell, cutoff = FIXED_CASES[case]
    check_forces_and_stress_by_differences(parse_expression(text), cell, cutoff)
    if cutoff == SMALL_CUTOFF:  # the helper's cutoff
        check_constant_gradients_by_differences(parse_expression(text), [cell])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=three_body_trees(max_depth=2, n_sums=(1, 3), pair_depth=2, triplet_depth=2,
                                constants=FINITE_DIFFERENCE_CONSTANTS))
def test_random_three_body_formulas_constant_gradients_match_finite_differences(formula):
    check_constant_gradients_by_differences(formula, list(CELLS.values()))


def test_batched_constants_are_single_calls():
    """Evaluator.batch takes a three-body formula one constant vector at a time: the same values and validity."""
    formula = parse_expression("sum(r^-6)^0.5 + sum3((c + 0.3)^2*r^-2*s^-2)")
    evaluator = Evaluator(unlabelled([CELLS["rattled fcc"]]), SMALL_CUTOFF)
    thetas = np.array([constants(formula), constants(formula)]) * [[1.0], [1.1]]
    thetas[1, 0] = 1e9  # r^1e9 overflows: invalid
    ok, energy, forces, stress = evaluator.batch(formula, thetas)
    single = evaluator(formula, thetas[0])
    assert list(ok) == [True, False]
    np.testing.assert_array_equal(energy[0], single.energy)
    np.testing.assert_array_equal(forces[0], single.forces)


# ------------------------------------------------------------------------------------------------------ exports

def test_eam_fs_refuses_three_body_sums():
    potential = Potential.from_formula("sum(r^-9) - sum(r^-6)^0.5 + sum3(c^2)", element="Si")
    with pytest.raises(ExpressionError, match=re.escape("does not take three-body sums (sum3)")):
        tabulate(potential)


def test_leaves_inside_sum3_are_names():
    """The leaves s and c are names inside sum3; constants and unary functions around them keep their meaning."""
    assert parse_expression("sum3(exp(c) - 2*s)") == call("sum3", call("-", call("exp", C), call("*", const(2.0), S)))
