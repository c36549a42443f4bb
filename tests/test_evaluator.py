"""The compiled evaluator: reference energies and forces, and analytic derivatives against finite differences."""
import math

import ase.build
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from strategies import atom_trees
from symbolicpot.data import Dataset, example_path, load, read_poet
from symbolicpot.evaluate import Cutoff, Evaluator, EV_PER_A3_IN_GPA, vector_math
from symbolicpot.expr import constants, parse_expression, with_constants
from symbolicpot.expr.compile import compile_formula
from symbolicpot.fitness import Residuals, error_metrics
from symbolicpot.search import fit_constants

SUTTON_CHEN = parse_expression("sum(644.52*r^-9) - sum(527.62*r^-6)^0.5")
LENNARD_JONES = parse_expression("sum(49000*r^-12) - sum(33*r^-6)")


def unlabelled(structures):
    """A Dataset of ase.Atoms with no labels."""
    n = len(structures)
    n_atoms = sum(len(a) for a in structures)
    return Dataset(tuple(structures), np.full(n, np.nan), np.full((n_atoms, 3), np.nan), np.full((n, 6), np.nan),
                   np.zeros(n, int), ("test",), tuple("test" for _ in structures))


def rattled_copper(seed=0, cell=(2, 2, 2)):
    """A distorted fcc Cu supercell (Å): rattled atoms in a sheared cell, so no symmetry hides a sign error."""
    atoms = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat(cell)
    atoms.set_cell(atoms.cell[:] @ np.array([[1.0, 0.02, 0.0], [0.0, 0.98, 0.03], [0.01, 0.0, 1.01]]),
                   scale_atoms=True)
    atoms.rattle(0.08, seed=seed)
    return atoms


@pytest.mark.parametrize("temperature", ["300K", "1600K", "3800K", "20kK"])
def test_sutton_chen_reproduces_poet_eam_cu(poet_data, temperature):
    data = read_poet(poet_data / "EAM_Cu" / f"NVT_FCC_{temperature}")
    prediction = Evaluator(data)(SUTTON_CHEN)
    assert prediction.ok
    assert np.abs(prediction.energy - data.energy).max() < 1e-3  # eV per 32-atom cell
    assert np.abs(prediction.forces - data.forces).max() < 1e-3  # eV/Å
    per_config = np.add.reduceat(prediction.atom_energy, data.atom_offsets[:-1])
    np.testing.assert_allclose(per_config, prediction.energy, rtol=1e-12)  # E = Σ_i T_i


def test_lennard_jones_fits_poet_lj_ar(poet_data):
    """POET's argon was labelled by LAMMPS with tabulated LJ at a cutoff it does not state, so the stored values
    are not reproduced to the digit; LJ with the smooth cutoff (5, 7 Å), its constants fitted, comes within
    0.5 meV/atom and 2e-3 eV/Å, with exponents 12 and 6 and σ of argon."""
    data = load([poet_data / "LJ_Ar"])
    evaluator = Evaluator(data, Cutoff(5.0, 7.0))
    fitted, _ = fit_constants(evaluator, LENNARD_JONES, Residuals(data))
    errors = error_metrics(evaluator(fitted), data)
    assert errors["energy_rmse_mev_per_atom"] < 0.5 and errors["force_rmse_ev_per_a"] < 2e-3
    a, minus_twelve, b, minus_six = constants(fitted)
    assert abs(minus_twelve + 12) < 0.05 and abs(minus_six + 6) < 0.05
    assert 3.3 < (a / b) ** (1 / 6) < 3.45  # σ (Å): A = 2εσ¹², B = 2εσ⁶ with the full-list convention


def energy_of(formula, structure, cutoff):
    return Evaluator(unlabelled([structure]), cutoff)(formula).energy[0]


def finite_difference_forces(formula, structure, cutoff, h=1e-5):
    forces = np.zeros((len(structure), 3))
    for i in range(len(structure)):
        for a in range(3):
            shifted = [structure.copy(), structure.copy()]
            shifted[0].positions[i, a] += h
            shifted[1].positions[i, a] -= h
            forces[i, a] = -(energy_of(formula, shifted[0], cutoff) - energy_of(formula, shifted[1], cutoff)) / (2 * h)
    return forces


def finite_strain_stress(formula, structure, cutoff, h=1e-6):
    """(6,) GPa: (1/V) dE/dε by central differences of symmetric strains."""
    stress = np.zeros(6)
    pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    for k, (a, b) in enumerate(pairs):
        energies = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[a, b] += sign * h / (1 if a == b else 2)
            strain[b, a] += 0 if a == b else sign * h / 2
            strained = structure.copy()
            strained.set_cell(structure.cell[:] @ strain, scale_atoms=True)
            energies.append(energy_of(formula, strained, cutoff))
        stress[k] = (energies[0] - energies[1]) / (2 * h) / structure.get_volume() * EV_PER_A3_IN_GPA
    return stress


def assert_close(analytic, numeric, rtol=1e-6, atol=0.0):
    """Max-norm agreement relative to the larger side; `atol` is the rounding a finite difference cannot resolve."""
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-3)
    assert np.abs(analytic - numeric).max() <= rtol * scale + atol


def test_sutton_chen_forces_and_stress_match_finite_differences():
    structure = rattled_copper(cell=(1, 1, 2))
    prediction = Evaluator(unlabelled([structure]))(SUTTON_CHEN)
    assert_close(prediction.forces, finite_difference_forces(SUTTON_CHEN, structure, Cutoff()))
    assert_close(prediction.stress[0], finite_strain_stress(SUTTON_CHEN, structure, Cutoff()))


SMALL_CELL = rattled_copper(seed=3, cell=(1, 1, 1))
# Constants up to 100 in magnitude: with 1e5, sums cancel to a few digits and central differences cannot resolve
# what is left (the analytic side is exact; the finite difference is not).
FINITE_DIFFERENCE_CONSTANTS = st.one_of(st.integers(-12, 12).map(float),
                                        st.floats(-100.0, 100.0).filter(lambda c: c == 0.0 or abs(c) > 1e-3))
SMALL_CUTOFF = Cutoff(2.8, 4.0)


def moderate(prediction):
    """Finite-difference checks need values that double precision resolves after a 1e-5 Å step."""
    return prediction.ok and np.abs(prediction.energy).max() < 1e4 and np.abs(prediction.forces).max() < 1e4


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=atom_trees(max_depth=3, pair_depth=3, constants=FINITE_DIFFERENCE_CONSTANTS))
def test_random_formulas_forces_and_stress_match_finite_differences(formula):
    check_forces_and_stress_by_differences(formula, SMALL_CELL)


def check_forces_and_stress_by_differences(formula, cell, cutoff=SMALL_CUTOFF):
    """The formula's forces and stress on `cell` (with `cutoff`) against central differences of its energy, where
    they can judge (assume_reliable)."""
    prediction = Evaluator(unlabelled([cell]), cutoff)(formula)
    assume(moderate(prediction))
    energy_rounding = 1e-15 * abs(prediction.energy[0])  # eV, the resolution of an energy difference
    to_gpa = EV_PER_A3_IN_GPA / cell.get_volume()
    for analytic, difference, step, unit in ((prediction.forces, finite_difference_forces, 1e-5, 1.0),
                                             (prediction.stress[0], finite_strain_stress, 1e-6, to_gpa)):
        numeric, coarser = (difference(formula, cell, cutoff, h) for h in (step, COARSER * step))
        assume_reliable(numeric, coarser)
        assert_close(analytic, numeric, rtol=1e-6, atol=energy_rounding / step * unit)


# The second step of every finite difference, relative to the first. Not 2: a difference resolved to a few ulps of
# the energy is quantised, and with steps h and 2h both quotients can be the same wrong number (k ulps / 2h and
# 2k ulps / 4h), so rounding would pass for agreement; with 1.5 they disagree by the rounding.
COARSER = 1.5


def assume_reliable(numeric, coarser):
    """Where rounding or curvature spoil a finite difference (steps h and COARSER·h disagree), it cannot judge; nor
    where the energy did not change at all under either step: a formula whose terms cancel exactly (sum(r - r^(r^0)))
    has an energy near 0, so the energy's rounding gives no tolerance, while the analytic derivative keeps the
    rounding of the terms that cancel (1e-9 GPa seen, from terms of order 1)."""
    assume(np.abs(numeric).max() > 0.0 or np.abs(coarser).max() > 0.0)
    assume(np.abs(numeric - coarser).max() <= 1e-7 * max(np.abs(numeric).max(), 1e-3))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formula=atom_trees(max_depth=3, pair_depth=3, constants=FINITE_DIFFERENCE_CONSTANTS))
def test_random_formulas_constant_gradients_match_finite_differences(formula):
    check_constant_gradients_by_differences(formula, [SMALL_CELL, rattled_copper(seed=4, cell=(1, 1, 1))])


def check_constant_gradients_by_differences(formula, cells):
    """The formula's constant gradients on `cells` (SMALL_CUTOFF) against central differences, where they can judge."""
    evaluator = Evaluator(unlabelled(cells), SMALL_CUTOFF)
    theta = np.array(constants(formula))
    prediction = evaluator(formula, gradients=True)
    assume(moderate(prediction) and theta.size > 0)
    for m in range(theta.size):
        step = 1e-4 * max(abs(theta[m]), 1e-2)
        differences = [central_difference(evaluator, formula, theta, m, h) for h in (step, COARSER * step)]
        for name in ("energy", "forces", "stress"):
            numeric, coarser = (d[name] for d in differences)
            assume_reliable(numeric, coarser)
            rounding = 1e-15 * np.abs(getattr(prediction, name)).max() / step
            assert_close(getattr(prediction, "d_" + name)[..., m], numeric, rtol=1e-6, atol=rounding)


def central_difference(evaluator, formula, theta, m, h):
    """{name: d(name)/dθ_m} for energy, forces and stress by central differences with step h."""
    plus, minus = theta.copy(), theta.copy()
    plus[m] += h
    minus[m] -= h
    up, down = evaluator(formula, plus), evaluator(formula, minus)
    assume(up.ok and down.ok)
    return {name: (getattr(up, name) - getattr(down, name)) / (2 * h) for name in ("energy", "forces", "stress")}


def test_gradients_do_not_change_values():
    evaluator = Evaluator(load([example_path("sutton_chen")]).subset(slice(0, 5)))
    plain, with_gradients = evaluator(SUTTON_CHEN), evaluator(SUTTON_CHEN, gradients=True)
    for name in ("energy", "forces", "stress"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(with_gradients, name))
    assert with_gradients.d_forces.shape == (plain.forces.shape + (5,))


def batched_and_single(evaluator, formula, thetas):
    """Per constant vector: (its batched (energy, forces, stress), None where invalid; its single-call Prediction)."""
    ok, energy, forces, stress = evaluator.batch(formula, thetas)
    return [((energy[m], forces[m], stress[m]) if ok[m] else None, evaluator(formula, theta))
            for m, theta in enumerate(thetas)]


@pytest.mark.parametrize("n_vectors", [1, 16, 17])
def test_batched_constants_equal_single_calls(n_vectors):
    """The batched path rounds differently (powers as exp(y ln x), sums in another order), and nothing more."""
    evaluator = Evaluator(load([example_path("sutton_chen")]).subset(slice(0, 5)))
    thetas = np.array(constants(SUTTON_CHEN)) * (1 + 0.05 * np.random.default_rng(1).standard_normal((n_vectors, 5)))
    invalid = n_vectors // 2 if n_vectors > 1 else None
    if invalid is not None:
        thetas[invalid, 4] = 1e9  # an overflowing outer exponent makes this vector invalid, and only this one
    for m, (batched, single) in enumerate(batched_and_single(evaluator, SUTTON_CHEN, thetas)):
        assert (batched is not None) == single.ok == (m != invalid)
        if single.ok:
            for value, expected in zip(batched, (single.energy, single.forces, single.stress)):
                assert_close(value, expected, rtol=1e-12)


def translated(structure):
    """The structure moved by a vector that no float holds exactly: the same distances, rounded differently."""
    moved = structure.copy()
    moved.positions += (0.1234567, -0.0987654, 0.0555555)
    return moved


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formula=atom_trees(max_depth=3, pair_depth=3), n_vectors=st.sampled_from([1, 16, 17]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_formulas_batched_equal_single_calls(formula, n_vectors, seed):
    check_batched_equals_single(formula, [SMALL_CELL, rattled_copper(seed=4, cell=(1, 1, 1))], n_vectors, seed)


def check_batched_equals_single(formula, cells, n_vectors, seed):
    """Constant vectors around a random formula's own (powers included, some of them invalid): the same validity as
    single calls, and the same values within the formula's rounding noise, which is how far the single path moves
    when the cells are translated."""
    evaluator, moved = (Evaluator(unlabelled(c), SMALL_CUTOFF) for c in (cells, [translated(a) for a in cells]))
    own = np.array(constants(formula))
    thetas = own * np.random.default_rng(seed).uniform(0.9, 1.1, (n_vectors, own.size))
    for theta, (batched, single) in zip(thetas, batched_and_single(evaluator, formula, thetas)):
        assert (batched is not None) == single.ok
        elsewhere = moved(formula, theta)
        if single.ok and elsewhere.ok:
            for value, name in zip(batched, ("energy", "forces", "stress")):
                expected = getattr(single, name)
                noise = np.abs(getattr(elsewhere, name) - expected).max()
                floor = 1e-12 * max(np.abs(expected).max(), np.abs(single.energy).max(), 1.0)
                assert np.abs(value - expected).max() <= 100 * noise + floor


@pytest.mark.parametrize("text", [
    "sum(1/(r-r))",                 # division by zero
    "sum(r^1000)",                  # overflow
    "(0-sum(r))^0.5",               # negative base to a real power
    "sum(log(r-10))",               # outside log's domain
    "1/(1/(sum(r)-sum(r)))",        # a fault hidden by a later operation is still a fault
])
def test_numerical_faults_make_a_formula_invalid(text):
    evaluator, formula = Evaluator(unlabelled([SMALL_CELL]), SMALL_CUTOFF), parse_expression(text)
    assert not evaluator(formula, gradients=True).ok
    assert not evaluator.batch(formula, [constants(formula)])[0][0]


def libm(function, x):
    """math.exp or math.log of x, inf where it overflows."""
    try:
        return function(x)
    except OverflowError:
        return math.inf


@pytest.mark.parametrize("function, reference, values, ulps", [
    (vector_math.exp, math.exp, np.concatenate([np.linspace(-746.0, 710.0, 20001), np.linspace(-1.0, 1.0, 2001),
                                                [0.0, 709.78, 709.79, -708.39, -745.13, -745.14, 1e300, -1e300]]), 2),
    (vector_math.log, math.log, np.concatenate([10.0 ** np.linspace(-307.0, 308.0, 20001), np.linspace(0.5, 2.0, 2001),
                                                [2.2250738585072014e-308, 1.7976931348623157e308]]), 3),
])
def test_vector_math_matches_libm(function, reference, values, ulps):
    """The batched path's exp and ln (plain arithmetic that vectorises) against libm: overflow and subnormals too."""
    for x in values:
        expected = libm(reference, x)
        assert function(x) == expected or abs(function(x) - expected) <= ulps * np.spacing(abs(expected)), x


def test_vector_math_special_values():
    assert vector_math.exp(math.inf) == math.inf and vector_math.exp(-math.inf) == 0.0
    assert math.isnan(vector_math.exp(math.nan))
    assert all(math.isnan(vector_math.log(x)) for x in (0.0, -1.0, 1e-310, math.inf, -math.inf, math.nan))


def test_cutoff_is_smooth():
    cutoff = Cutoff(3.0, 5.0)
    r = np.linspace(2.5, 5.5, 3001)
    f, df = cutoff(r)
    assert f[r <= 3.0].min() == 1.0 and f[r >= 5.0].max() == 0.0
    assert np.abs(np.diff(f)).max() < 2e-3  # continuous
    h = 1e-6
    middle = (r > 3.0) & (r < 5.0)
    numeric = (cutoff(r + h)[0] - cutoff(r - h)[0]) / (2 * h)
    np.testing.assert_allclose(df[middle], numeric[middle], atol=1e-8)
    with pytest.raises(ValueError, match="r_in"):
        Cutoff(5.0, 3.0)


def test_compiled_programs_keep_constants_in_postfix_order():
    formula = parse_expression("2*sum(3*r^4) + sum(5/r)^6")
    program = compile_formula(formula)
    assert program.n_constants == 5 and program.n_sums == 2
    kernel = program.kernel(("Cu",))
    assert list(kernel.atom_const_ids) == [0, 4]
    assert list(kernel.pair_const_ids) == [1, 2, 3]
    assert list(kernel.pair_const_offsets) == [0, 2, 3]


@pytest.mark.parametrize("method", ["lm", "cg"])
def test_fit_constants_recovers_sutton_chen(method):
    data = load([example_path("sutton_chen")])
    evaluator = Evaluator(data)
    perturbed = with_constants(SUTTON_CHEN, [c * f for c, f in zip(constants(SUTTON_CHEN), (1.1, 0.9, 1.1, 0.9, 1.1))])
    assert error_metrics(evaluator(perturbed), data)["energy_rmse_mev_per_atom"] > 100
    fitted, _ = fit_constants(evaluator, perturbed, Residuals(data), method)
    assert error_metrics(evaluator(fitted), data)["energy_rmse_mev_per_atom"] < 0.1
    _, pair_exponent, _, density_exponent, outer_exponent = constants(fitted)
    assert abs(pair_exponent + 9) < 0.05 and abs(density_exponent + 6) < 0.05 and abs(outer_exponent - 0.5) < 0.01


def test_group_weights_make_the_objective_a_weighted_mean_square_per_kind():
    """Residuals with group weights: Σ_kind w_kind · Σ_labels w_g r² / Σ_labels w_g / var_kind, computed here by
    hand from the prediction's errors (with every w_g = 1 the unweighted objective)."""
    data = load([example_path("sutton_chen") / "300K", example_path("sutton_chen") / "3800K"])
    prediction = Evaluator(data)(with_constants(SUTTON_CHEN, [650.0, -9.0, 520.0, -6.0, 0.5]))
    group_weight = {data.group_names[0]: 3.0}
    w_config = np.where(data.group == 0, 3.0, 1.0)
    labels = [(data.energy / data.n_atoms, prediction.energy / data.n_atoms, w_config),
              (data.forces.reshape(-1), prediction.forces.reshape(-1), np.repeat(np.repeat(w_config, data.n_atoms), 3)),
              (data.stress.reshape(-1), prediction.stress.reshape(-1), np.repeat(w_config, 6))]
    kind_weights = (1.0, 1.0, 0.1)
    expected = sum(k * np.sum((w * (p - t) ** 2)[m]) / np.sum(w[m]) / np.var(t[m])
                   for k, (t, p, w) in zip(kind_weights, labels) if (m := np.isfinite(t)).any())
    weighted = Residuals(data, group_weights=group_weight)
    assert weighted.objective(prediction) == pytest.approx(expected, rel=1e-12)  # sums of ~10^4 terms in float64
    plain = Residuals(data, group_weights={name: 1.0 for name in data.group_names})
    assert plain.objective(prediction) == Residuals(data).objective(prediction)
    assert weighted.objective(prediction) != plain.objective(prediction)
