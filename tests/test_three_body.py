"""Three-body sums `sum3(h(r, s, c))`: text, typing, energies, analytic forces, virials and constant gradients, and the
eam/fs export that refuses them (the LAMMPS plugin's: test_export_three_body) (README "Three-body sums"); sums without
the smooth cutoff (`nocut`) and the check that they vanish at r_out."""
from dataclasses import replace
import re

import ase
import ase.build
import numpy as np
import pytest
import sympy
from ase.neighborlist import neighbor_list
from hypothesis import HealthCheck, example, given, settings, strategies as st

from strategies import any_finite_float, three_body_trees, triplet_trees
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.evaluate.calculator import FormulaCalculator
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.evaluate.vanishing import SLOPE_BOUND, VALUE_BOUND, check_vanishing
from symbolicpot.export.eam_fs import tabulate
from symbolicpot.export.potential import Potential
from symbolicpot.expr import (C, R, S, ExpressionError, Node, call, check_typed, const, constants, format_expression,
                              node_count, parse_expression, structural_hash)
from symbolicpot.expr.compile import compile_formula
from symbolicpot.expr.strings import ParseError
from symbolicpot.expr.tree import swap_r_and_s, symmetric_in_r_and_s
from symbolicpot.expr.symbolic import COSINE, DISTANCE, SECOND_DISTANCE, Sum_jk, from_sympy, latex, simplify, to_sympy
from test_alloys import mixed_cell
from test_evaluator import (FINITE_DIFFERENCE_CONSTANTS, SMALL_CUTOFF, batched_and_single,
                            check_constant_gradients_by_differences, check_forces_and_stress_by_differences,
                            rattled_copper, translated, unlabelled)

# Stillinger–Weber silicon (Phys. Rev. B 31, 5262): ε = 2.1683 eV, σ = 2.0951 Å, a = 1.80, λ = 21.0, γ = 1.20. Its
# three-body energy Σ_i Σ_{j<k} λε (cos θ_jik + 1/3)² e^{γσ/(r_ij − aσ)} e^{γσ/(r_ik − aσ)} is exactly this sum3 with a
# cutoff that ends at aσ = 3.77118 Å (SW's own, where the exponentials vanish) and is 1 over the bonds.
SW_LAMBDA_EPSILON, SW_GAMMA_SIGMA, SW_A_SIGMA = 21.0 * 2.1683, 1.2 * 2.0951, 1.8 * 2.0951
SW_THREE_BODY = (f"{SW_LAMBDA_EPSILON!r}*sum3((c + {1 / 3!r})^2*exp({SW_GAMMA_SIGMA!r}/(r - {SW_A_SIGMA!r}))"
                 f"*exp({SW_GAMMA_SIGMA!r}/(s - {SW_A_SIGMA!r})))")
SW_CUTOFF = Cutoff(3.0, SW_A_SIGMA)
# The same term without the smooth cutoff: exact for any r_in, here one below every bond (f < 1 on all of them).
SW_NOCUT = SW_THREE_BODY.replace("sum3(", "sum3[nocut](")
SW_NOCUT_CUTOFF = Cutoff(1.0, SW_A_SIGMA)
# SW's two-body term in the full-list convention (½ φ per ordered pair): ½Aε (Bσ⁴ r⁻⁴ − 1) e^{σ/(r − aσ)},
# A = 7.049556277, B = 0.6022245584
SW_PAIR = f"sum[nocut](7.642776437709549*(11.6031922833963*r^-4 - 1)*exp(2.0951/(r - {SW_A_SIGMA!r})))"


def rattled_silicon():
    """Diamond Si, 8 atoms, displaced by ~0.05 Å: 4 bonds per atom near 2.35 Å, second neighbours beyond SW_CUTOFF."""
    atoms = ase.build.bulk("Si", "diamond", a=5.431, cubic=True)
    atoms.rattle(0.05, seed=1)
    return atoms


def simple_cubic_with_one_atom_moved():
    """A 2×2×2 simple cubic cell (a = 2.5 Å, inside SMALL_CUTOFF's r_in 2.8 Å) with one atom displaced: the atom
    opposite it, beyond r_out (4.33 Å), keeps its neighbours at equal distances, at right angles (c = 0) and in line
    (c = −1, two images of one atom), while the moved atom gives the others forces and the cell a shear stress to
    check. (8 atoms: the central differences move each one.)"""
    atoms = ase.Atoms("Cu8", cell=np.eye(3) * 5.0, pbc=True,
                      positions=2.5 * np.array([[x, y, z] for x in range(2) for y in range(2) for z in range(2)]))
    atoms.positions[0] += (0.11, -0.07, 0.05)
    return atoms


CELLS = {"rattled fcc": rattled_copper(seed=3, cell=(1, 1, 1)), "simple cubic": simple_cubic_with_one_atom_moved()}


# ---------------------------------------------------------------------------------------------------------- text

@pytest.mark.parametrize("text", [
    SW_THREE_BODY,
    "sum(r^-9) - sum(r^-6)^0.5 + 2*sum3(c^2*r*s)",
    "sum3(r)",
    "Ni: sum3(c + 1) - sum(r); Al: sum(r)",
    SW_NOCUT,
    "sum[nocut](r^-6) + sum[Al, nocut](r) - sum[Al](r)",
])
def test_text_round_trips(text):
    tree = parse_expression(text)
    assert format_expression(tree) == text
    assert parse_expression(format_expression(tree)) == tree


@settings(max_examples=200, deadline=None)
@given(formula=three_body_trees(constants=any_finite_float()))
def test_random_three_body_formulas_round_trip_to_the_last_bit(formula):
    assert parse_expression(format_expression(formula)) == formula


def test_nocut_is_part_of_a_sums_structure():
    """Trees differ, and so do their structural hashes (caches of tuned constants), by nocut alone."""
    for plain, nocut in (("sum(r^-6)", "sum[nocut](r^-6)"), ("sum[Al](r)", "sum[Al, nocut](r)"),
                         ("sum3(c)", "sum3[nocut](c)")):
        assert parse_expression(plain) != parse_expression(nocut)
        assert structural_hash(parse_expression(plain)) != structural_hash(parse_expression(nocut))


def test_the_cosine_leaf_and_a_constant_are_different_structures():
    # they shared a key of the tuning cache, and a formula took the other's tuned constants (misaligned: a crash)
    assert structural_hash(parse_expression("sum3(c + c)")) != structural_hash(parse_expression("sum3(0.2 + 1.3)"))


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
    ("sum3[Ni](c)", "sum3 takes no species (yet)", 5),
    ("sum3(r, s)", "sum3 takes 1 argument, got 2", 0),
    ("sum3(x)", "unknown name 'x' (known: r, s, c, sum, sum3", 5),
    ("sum[nocut, Al](r)", "the species comes first: sum[Al, nocut](...)", 11),
    ("sum[Al, Ni](r)", "expected 'nocut' or ']' after the species", 8),
    ("sum[Al nocut](r)", "expected ']', found 'nocut'", 7),
    ("sum3[nocut, nocut](c)", "sum3 takes [nocut] only", 12),
    ("sum3[Al, nocut](c)", "sum3 takes no species (yet)", 5),
    ("sum[cut](r)", "unknown species 'cut'", 4),
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
    (call("sum", call("exp", Node("r", cut=False))), "'r' takes no nocut (only sums do)"),
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


def test_sympy_and_latex_forms_of_nocut_sums_carry_it_and_show_no_f():
    """nocut survives SymPy both ways; LaTeX sums over the bonds within r_c with no f (plain sums imply f)."""
    tree = parse_expression("sum[Al, nocut](r^-6) + sum3[nocut](c*r*s)")
    assert from_sympy(to_sympy(tree)) == tree
    assert str(simplify(tree)) == "sum[Al, nocut](r**(-6)) + sum3[nocut](c*r*s)"
    assert latex(tree) == (r"\sum_{j \in \mathrm{Al},\, r_{ij} < r_c} \left(\frac{1}{r_{ij}^{6}}\right) + \frac{1}{2} "
                           r"\sum_{j \neq k,\, r_{ij}, r_{ik} < r_c} \left(\cos\theta_{jik} r_{ij} r_{ik}\right)")


def test_sympy_and_latex_forms_name_the_three_body_sum():
    tree = parse_expression("sum(r^-6) + sum3((c + 0.5)^2*r*s)")
    assert str(simplify(tree)) == "sum(r**(-6)) + sum3(r*s*(c + 0.5)**2)"
    assert latex(tree) == (r"\sum_{j} \left(\frac{1}{r_{ij}^{6}}\right) + \frac{1}{2} \sum_{j \neq k} "
                           r"\left(r_{ij} r_{ik} \left(\cos\theta_{jik} + 0.5\right)^{2}\right)")


# ---------------------------------------------------------------------------------------------------- energies

def numpy_three_body(atoms, h, cutoff, smooth=True):
    """Σ_i Σ_{j<k} h(r_ij, r_ik, cos θ_jik) f(r_ij) f(r_ik) (eV) by a direct loop over ase's neighbour list, for a
    symmetric h (f ≡ 1 below r_out unless `smooth`)."""
    centre, bond = neighbor_list("iD", atoms, cutoff.r_out)
    total = 0.0
    for i in range(len(atoms)):
        vectors = bond[centre == i]
        r = np.linalg.norm(vectors, axis=1)
        f = cutoff(r)[0] if smooth else np.ones_like(r)
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


def test_stillinger_weber_without_the_cutoff_matches_a_direct_loop_for_any_r_in():
    """SW's two- and three-body terms with nocut and r_out = aσ, r_in below every bond (f < 1 on all of them), against
    NumPy without f to 1e-12 relative (as above): only nocut makes them exact."""
    atoms = rattled_silicon()
    assert SW_NOCUT_CUTOFF(neighbor_list("d", atoms, SW_A_SIGMA))[0].max() < 1.0

    def h(r, s, c):
        return (SW_LAMBDA_EPSILON * (c + 1 / 3) ** 2 * np.exp(SW_GAMMA_SIGMA / (r - SW_A_SIGMA))
                * np.exp(SW_GAMMA_SIGMA / (s - SW_A_SIGMA)))
    r = neighbor_list("d", atoms, SW_A_SIGMA)
    pair = np.sum(7.642776437709549 * (11.6031922833963 * r ** -4 - 1) * np.exp(2.0951 / (r - SW_A_SIGMA)))
    ok, energy, _, _, _ = evaluate_structure(parse_expression(f"{SW_PAIR} + {SW_NOCUT}"), atoms, SW_NOCUT_CUTOFF)
    assert ok and energy == pytest.approx(pair + numpy_three_body(atoms, h, SW_NOCUT_CUTOFF, smooth=False), rel=1e-12)


# Terms that vanish at SMALL_CUTOFF's r_out = 4 Å within the bounds of evaluate.vanishing ((4 − r)⁶ and its slope are
# ~1e-90 one ulp below 4 Å).
NOCUT_CASES = {
    "pair and three-body": ("sum[nocut](2*(4 - r)^6*r^-2) - sum[nocut]((4 - r)^6*r^-6)^0.5 "
                            "+ sum3[nocut]((c + 0.3)*(c + 0.3)*(4 - r)^6*(4 - s)^6)",
                            rattled_copper(seed=3, cell=(1, 1, 1))),
    "with a smooth cutoff too": ("sum3[nocut](c*(4 - r)^6*(4 - s)^6*exp(-s)) + sum(r^-9)",
                                 simple_cubic_with_one_atom_moved()),
    "per species": ("Ni: sum[Al, nocut]((4 - r)^6)^0.5 + sum3[nocut]((4 - r)^6*(4 - s)^6*c); Al: sum[nocut]((4 - r)^6)",
                    mixed_cell(seed=5)),
}


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from(sorted(NOCUT_CASES)))
def test_nocut_forces_and_stress_match_finite_differences(case):
    text, cell = NOCUT_CASES[case]
    check_forces_and_stress_by_differences(check_vanishing(parse_expression(text), SMALL_CUTOFF.r_out), cell)


@pytest.mark.parametrize("case", ["pair and three-body", "per species"])  # every sum nocut
def test_nocut_sums_are_cut_sums_whose_f_is_1(case):
    """nocut takes f ≡ 1, df = 0: with r_in below every bond, a formula's values and constant gradients are those of
    the same formula with the smooth cutoff where f is 1 on every bond (r_in between the longest bond and r_out), to
    the last bit but for the order of additions (1e-13 of each array's scale). Central differences check the
    gradients of sums with the smooth cutoff (test_random_three_body_formulas_constant_gradients_match_...)."""
    text, cell = NOCUT_CASES[case]
    longest = neighbor_list("d", cell, SMALL_CUTOFF.r_out).max()
    evaluators = (Evaluator(unlabelled([cell]), Cutoff(1.0, SMALL_CUTOFF.r_out)),
                  Evaluator(unlabelled([cell]), Cutoff(longest, SMALL_CUTOFF.r_out)))
    texts = (text, text.replace(", nocut]", "]").replace("[nocut]", ""))
    nocut, cut = (evaluator(parse_expression(t), gradients=True) for evaluator, t in zip(evaluators, texts))
    assert nocut.ok and cut.ok
    for name in ("energy", "forces", "stress", "d_energy", "d_forces", "d_stress"):
        expected = getattr(cut, name)
        assert np.abs(getattr(nocut, name) - expected).max() <= 1e-13 * np.abs(expected).max()


def test_nocut_sums_take_f_as_1():
    """With nocut a sum is the plain sum of its terms over the bonds shorter than r_out, whatever r_in: on a
    right-angled trimer (bonds 2.5, 2.5 and 2.5√2 Å, each atom with 2 neighbours, f < 1 on all with r_in = 1) the atom terms are
    the values of g and h themselves (to rounding)."""
    trimer = ase.Atoms("Cu3", positions=[[0, 0, 0], [2.5, 0, 0], [0, 2.5, 0]])
    formula = parse_expression("sum[nocut]((4 - r)^6) + sum3[nocut]((4 - r)^2*(4 - s)^2*c)")
    ok, _, atom_energy, _, _ = evaluate_structure(formula, trimer, Cutoff(1.0, 4.0))
    short, long = (4 - 2.5) ** 6, (4 - 2.5 * np.sqrt(2)) ** 6
    corner = 2 * short + 0.0  # cos 90° = 0
    edge = short + long + (4 - 2.5) ** 2 * (4 - 2.5 * np.sqrt(2)) ** 2 * np.cos(np.pi / 4)
    assert ok and atom_energy == pytest.approx([corner, edge, edge], rel=1e-14)


@pytest.mark.parametrize("text, vanishes", [
    ("sum[nocut](exp(2.51412/(r - 3.77118)))", True),  # SW's factor: e^{-∞} at aσ
    (SW_PAIR, True),
    (SW_NOCUT, True),
    ("sum[nocut]((3.77118 - r)^2)", True),  # value and slope 0 at r_out
    ("sum[nocut](r^-6)", False),  # 3.5e-4 at r_out
    ("sum[nocut](3.77118 - r)", False),  # value 0, slope -1: the forces would jump
    ("sum3[nocut](c*exp(2.51412/(r - 3.77118)))", False),  # vanishes when r_ij reaches r_out, not when r_ik does
    ("sum[nocut](log(r - 3.9))", False),  # not finite at r_out
    ("sum(r^-6)", True),  # a plain sum has the smooth cutoff
])
def test_the_vanishing_check(text, vanishes):
    formula = parse_expression(text)
    if vanishes:
        assert check_vanishing(formula, SW_A_SIGMA) is formula
    else:
        with pytest.raises(ExpressionError, match=r"sum3?\[nocut\]\(.*\) does not vanish at r_out = 3.77118 Å"):
            check_vanishing(formula, SW_A_SIGMA)


def test_batched_nocut_sums_equal_single_calls():
    """The batched path takes f ≡ 1 for a nocut sum, and the vanishing check per constant vector: moving the 4 of
    (4 − r)⁶ to 4.5 leaves 0.5⁶ at r_out, invalid in both paths. Values to 1e-12 (the batched path's rounding)."""
    formula = parse_expression("sum[nocut](2*(4 - r)^6*r^-2) - sum(r^-6)^0.5")
    own = np.array(constants(formula))  # 2, 4, 6, -2, -6, 0.5
    thetas = np.array([own, own * [1.5, 1, 1, 1, 1, 1], own * [1, 1.125, 1, 1, 1, 1]])
    evaluator = Evaluator(unlabelled([CELLS["rattled fcc"]]), SMALL_CUTOFF)
    results = batched_and_single(evaluator, formula, thetas)
    assert [batched is not None for batched, _ in results] == [single.ok for _, single in results]
    assert [single.ok for _, single in results] == [True, True, False]
    for batched, single in results[:2]:
        for value, expected in zip(batched, (single.energy, single.forces, single.stress)):
            assert np.abs(value - expected).max() <= 1e-12 * np.abs(expected).max()


def test_a_term_that_does_not_vanish_is_invalid_in_the_evaluator_and_an_error_in_the_calculator():
    formula = parse_expression("sum(r^-9) - sum[nocut](1e-9*r^-6)^0.5")  # 1e-9 × 3.5e-4 at r_out: within VALUE_BOUND
    evaluator = Evaluator(unlabelled([rattled_silicon()]), SW_NOCUT_CUTOFF)
    assert evaluator(formula).ok and 1e-9 * SW_A_SIGMA ** -6 < VALUE_BOUND < SW_A_SIGMA ** -6
    larger = parse_expression("sum(r^-9) - sum[nocut](r^-6)^0.5")
    assert not evaluator(larger).ok and not evaluator(larger, gradients=True).ok
    assert list(evaluator.batch(formula, [[-9.0, 1e-9, -6.0, 0.5], [-9.0, 1.0, -6.0, 0.5]])[0]) == [True, False]
    with pytest.raises(ExpressionError, match=re.escape("sum[nocut](r^-6) does not vanish")):
        FormulaCalculator(larger, SW_NOCUT_CUTOFF)
    assert SLOPE_BOUND > VALUE_BOUND  # the derivation in evaluate.vanishing: a slope acts over ~0.01 Å per step


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
    swapped = swap_r_and_s(h)
    evaluator, moved = (Evaluator(unlabelled([c]), SMALL_CUTOFF) for c in (CELLS[cell], translated(CELLS[cell])))
    original, mirrored, elsewhere = evaluator(call("sum3", h)), evaluator(call("sum3", swapped)), moved(call("sum3", h))
    assert original.ok == mirrored.ok
    if original.ok and elsewhere.ok:
        for name in ("energy", "forces", "stress"):
            expected, value = getattr(original, name), getattr(mirrored, name)
            noise = np.abs(getattr(elsewhere, name) - expected).max()
            assert np.abs(value - expected).max() <= 100 * noise + 1e-12 * max(np.abs(expected).max(), 1.0)


@pytest.mark.parametrize("h, symmetric", [
    ("(c + 0.3)^2*exp(2.5/(r - 3.7))*exp(2.5/(s - 3.7))", True),  # SW: a product chain
    ("exp(2.5/(r - 3.7))*((c + 0.3)^2*exp(2.5/(s - 3.7)))", True),  # the same chain bracketed otherwise
    ("r + c + s", True), ("2*exp(r) + exp(s)*2", True), ("c", True), ("r*s^2 + s*r^2", True),
    ("r - s", False), ("r^s", False), ("exp(r) + 2*exp(s)", False), ("r", False), ("r*s^2 + s*r^3", False),
])
def test_symmetry_in_r_and_s_is_decided_on_the_tree(h, symmetric):
    """A symmetric h runs once per pair of neighbours (weight 1), any other once per ordered pair (weight ½)."""
    tree = parse_expression(f"sum3({h})").children[0]
    assert symmetric_in_r_and_s(tree) is symmetric
    assert compile_formula(parse_expression(f"sum3({h})")).triplet_symmetric == (symmetric,)


def read_through_the_angle(h):
    """h with every r and s read as r + (c − c) and s + (c − c): the same numbers and constants, but no subtree reads
    r or s alone."""
    leaf = {"r": call("+", R, call("-", C, C)), "s": call("+", S, call("-", C, C))}.get(h.op)
    return leaf or (replace(h, children=tuple(map(read_through_the_angle, h.children))) if h.children else h)


SW_H = parse_expression(SW_THREE_BODY).children[1].children[0]


@settings(max_examples=60, deadline=None)
@given(h=triplet_trees(), cell=st.sampled_from(sorted(CELLS)), gradients=st.booleans())
@example(h=SW_H, cell="simple cubic", gradients=False)  # its two exponentials: one function, run once per bond
@example(h=SW_H, cell="simple cubic", gradients=True)
def test_bond_functions_run_once_per_bond_change_no_bit(h, cell, gradients):
    """The subtrees of h that read r alone or s alone run once per bond, not per pair of neighbours (the evaluator's
    bond functions); read through the angle they run per pair. The two give the same validity and the same energies,
    forces, stresses and constant gradients to the bit: the same operations on the same numbers (adding c − c = 0
    changes no value and no derivative)."""
    through = read_through_the_angle(h)
    assert symmetric_in_r_and_s(through) == symmetric_in_r_and_s(h)  # so both run the same pairs in the same order
    evaluator = Evaluator(unlabelled([CELLS[cell]]), SMALL_CUTOFF)
    once, per_pair = (evaluator(call("sum3", g), gradients=gradients) for g in (h, through))
    assert once.ok == per_pair.ok
    if once.ok:
        for name in ("energy", "forces", "stress", "d_energy", "d_forces", "d_stress"):
            np.testing.assert_array_equal(getattr(once, name), getattr(per_pair, name))


@pytest.mark.parametrize("text, atoms", [
    ("sum3(log(r - 2.5)) + sum(r)", ase.Atoms("Cu2", positions=[[0, 0, 0], [2.0, 0, 0]])),  # no pair of neighbours
    ("Ni: sum3(c*log(r - 2.5)) + sum(r); Al: sum(r)",  # the 2 Å bond is the Al atoms'
     ase.Atoms("NiAl2", positions=[[0, 0, 0], [3.0, 0, 0], [3.0, 2.0, 0]])),
])
def test_bond_functions_run_only_on_the_bonds_of_pairs_of_neighbours(text, atoms):
    """log(r − 2.5) is not finite on a 2 Å bond, which no pair of neighbours of the sum holds: the formula is valid, as
    when h ran per pair of neighbours, and its energy is sum(r)'s plus the three-body sum at the Ni atom."""
    ok, energy, _, _, _ = evaluate_structure(parse_expression(text), atoms, Cutoff(4.0, 4.5))
    distances = atoms.get_all_distances()
    if "Ni" in text:  # at Ni: bonds of 3 and √13 Å, ½ Σ_{j≠k} c log(r − 2.5) = ½ c (log 0.5 + log(√13 − 2.5))
        distances[0, 0] = 0.5 * 3.0 / np.sqrt(13.0) * (np.log(0.5) + np.log(np.sqrt(13.0) - 2.5))
    assert ok and energy == pytest.approx(distances.sum(), rel=1e-14)


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
