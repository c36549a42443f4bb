"""The `lammps` export of formulas with three-body sums `sum3(h)`: the plugin against the Python evaluator on one and
two MPI processes, single-element and alloy formulas, pair_coeff's species mapping, and NVE energy conservation.

Tolerance: THREE_BODY_TOLERANCE of each structure's scale (test_export_lammps.assert_agrees). An atom's three-body
value adds up to ~900 triplet terms (42 neighbours within 5 Å in fcc) in another order than the evaluator, which also
adds ½h(r, s, c) and ½h(s, r, c) as two terms where the plugin adds H = ½[h(r, s, c) + h(s, r, c)] once: each term
~1e-16 relative, ~3e-15 as a random walk and 1e-13 at worst, and forces and virials come from the same terms.
"""
import ase
import ase.build
import numpy as np
import pytest
from ase.geometry import get_distances

from symbolicpot.data.neighbours import structure_neighbours
from symbolicpot.evaluate import Cutoff, Evaluator
from symbolicpot.evaluate.evaluator import evaluate_structure
from symbolicpot.expr.tree import symmetric_in_r_and_s
from symbolicpot.export.lammps import pair_style_source, summary
from symbolicpot.export.pair_tables import three_body_sums
from symbolicpot.export.potential import Potential
from symbolicpot.export.sum_layout import SumLayout
from symbolicpot.expr import ExpressionError, parse_expression
from symbolicpot.export.lammps_runtime import new_lammps
from test_export_lammps import (assert_agrees, assert_conserves_energy, assert_two_processes_agree, crystal_input,
                                needs_lammps, plugins, run_lammps, unlabelled)
from test_three_body import SW_A_SIGMA, SW_NOCUT, SW_THREE_BODY

MEAM_LIKE = "sum(r^-9) - (sum(r^-6) + sum3(c^2*r^-3*s^-3))^0.5"  # the README's angular density in the embedding
# two three-body functions, neither symmetric in r and s
ASYMMETRIC = "sum(r^-9) - sum(r^-6)^0.5 + 0.02*sum3(c*r^-2*s^-4 + exp(-s)*c^2) - 0.01*sum3(r^-1)"
# Stillinger–Weber silicon (Si.sw): its two-body term Aε(Bσ⁴ r^-4 − 1) e^{σ/(r − aσ)} per pair, ½ of it per atom,
# plus the three-body term; its cutoff aσ as r_out with f = 1 over the bonds (test_three_body.SW_CUTOFF)
SW_TWO_BODY = (f"sum({0.5 * 7.049556277 * 2.1683!r}*({0.6022245584 * 2.0951 ** 4!r}*r^-4 - 1)"
               f"*exp({2.0951!r}/(r - {SW_A_SIGMA!r})))")
STILLINGER_WEBER = f"{SW_TWO_BODY} + {SW_THREE_BODY}"
SW_CUTOFF = (3.0, SW_A_SIGMA)
# SW as the README writes it, both terms without the smooth cutoff (nocut: f = 1 below aσ, exact for any r_in); r_in
# = 1 Å lies below every bond, so a plugin that applied f to them would miss by far. MIXED_CUT adds the same pair and
# three-body functions with the cutoff: distinct functions of one list and of one term.
SW_NOCUT_FORMULA = f"{SW_TWO_BODY.replace('sum(', 'sum[nocut](', 1)} + {SW_NOCUT}"
MIXED_CUT = f"{SW_NOCUT_FORMULA} + 0.5*{SW_TWO_BODY} - 0.3*{SW_THREE_BODY}"
SW_NOCUT_CUTOFF = (1.0, SW_A_SIGMA)
# Si–Ge: per-species terms with three-body sums in both, and in one only
ALLOY_BOTH = ("Si: sum(r^-9) - (sum[Ge](r^-6) + sum[Si](0.8*r^-6) + sum3(c^2*r^-3*s^-3))^0.5; "
              "Ge: sum(0.9*r^-9) - sum(r^-6)^0.5 + 0.05*sum3((c + 0.3)^2*r^-2*s^-3)")
ALLOY_ONE = "Si: sum(r^-9) - (sum(r^-6) + sum3(c^2*r^-3*s^-3))^0.5; Ge: sum(r^-9) - sum(r^-6)^0.5"
THREE_BODY_TOLERANCE = 1e-12


def thermal_silicon(seed, cells=2, species=("Si",)):
    """Diamond Si (8·cells³ atoms), strained by ~1 % and displaced by 0.1 Å rms per direction (about 1000 K), its
    atoms of `species` at random."""
    atoms = ase.build.bulk("Si", "diamond", a=5.431, cubic=True).repeat((cells, cells, cells))
    rng = np.random.default_rng(seed)
    atoms.symbols = rng.choice(species, len(atoms))
    atoms.set_cell(atoms.cell[:] @ np.array([[1.01, 0.01, 0.0], [0.0, 0.99, 0.02], [0.01, 0.0, 1.0]]),
                   scale_atoms=True)
    atoms.positions += rng.normal(0.0, 0.1, atoms.positions.shape)
    return atoms


def random_cell(seed, n=24, closest=2.0):
    """`n` Si atoms at random in a random triclinic cell of Si's density, no two closer than `closest` Å."""
    rng = np.random.default_rng(seed)
    cell = (n * 20.0) ** (1 / 3) * (np.eye(3) + rng.uniform(-0.15, 0.15, (3, 3)))
    positions = []
    while len(positions) < n:
        x = rng.uniform(0.0, 1.0, 3) @ cell
        if not positions or get_distances(x, positions, cell=cell, pbc=True)[1].min() >= closest:
            positions.append(x)
    return ase.Atoms(f"Si{n}", positions=positions, cell=cell, pbc=True)


def assert_plugin_agrees(plugin, style, structures, formula, cutoff, types=("Si",), exact=True):
    dataset = unlabelled(structures)
    prediction = Evaluator(dataset, Cutoff(*cutoff))(parse_expression(formula))
    assert prediction.ok
    worst = assert_agrees(dataset, prediction, run_lammps(structures, plugin, style, types), r_out=cutoff[1],
                          table=not exact, tolerance=THREE_BODY_TOLERANCE)
    print(f"{formula} with pair_coeff * * {' '.join(types)}: relative difference beyond the bounds {worst:.1e}")


def test_three_body_functions_are_computed_once_per_pair_of_neighbours_when_symmetric():
    """H = h when swapping r and s leaves h the same up to the order of sums and products (SW's term), else
    ½[h(r, s, c) + h(s, r, c)]; a term's three-body values follow its pair values; a term holds them linearly when
    they stand under + and −, and under products and quotients by parts without sums; the summary says how the
    plugin computes both kinds."""
    h = [parse_expression(text).children[0] for text in ("sum3(exp(1/(r - 3))*c*exp(1/(s - 3)))",
                                                          "sum3(c*r^-2*s^-4 + exp(-s)*c^2)", "sum3(r + s*r)")]
    assert [symmetric_in_r_and_s(g) for g in h] == [True, False, False]
    layout = SumLayout.of(parse_expression(ALLOY_BOTH), ("Si", "Ge"))
    assert len(layout.triplets) == 2 and [v.triplet_sums for v in layout.values] == [(0,), (1,)]
    assert layout.values[0].reads(layout.triplets[0]) == (3,)  # after 3 pair values
    linear = {text: SumLayout.of(parse_expression(text), ("Si",)).three_body_linear(0) for text in (
        STILLINGER_WEBER, ASYMMETRIC, "sum3(c)/2 - 3*(sum(r)^2 - 2*sum3(c*r))", MEAM_LIKE, "sum(r)*sum3(c)",
        "sum3(c)/sum(r)", "exp(sum3(c))")}
    assert list(linear.values()) == [True] * 3 + [False] * 4
    source = pair_style_source(Potential.from_formula(ASYMMETRIC, element="Si"), "asym", exact=True)
    assert "H_0 (symmetrised), H_1 (symmetrised)" in source
    lines = summary(Potential.from_formula(MEAM_LIKE, element="Si"))
    assert "quintic tables" in lines[0] and "no tables" in lines[1] and "newton pair on" in lines[1]


def test_a_function_with_and_without_the_cutoff_is_two_functions():
    """MIXED_CUT holds SW's g and h with and without the cutoff: two pair functions and two three-body functions,
    flagged so in the source (PAIR_LIST_CUT's list 0, TRIPLET_CUT's term 0) and in the summary."""
    mixed = Potential.from_formula(MIXED_CUT, *SW_NOCUT_CUTOFF, element="Si")
    layout = SumLayout.of(mixed.tree, ("Si",))
    assert [n.cut for n in layout.pairs] == [False, True] and [n.cut for n in layout.triplets] == [False, True]
    assert layout.pairs[0].children == layout.pairs[1].children
    assert pair_style_source(mixed, "mixed", exact=True).count("    {false, true},    //") == 2
    assert all("1 without the smooth cutoff" in line for line in summary(mixed))


@pytest.mark.parametrize("formula, term", [("sum(r^-9) - sum[nocut](r^-6)^0.5", "sum[nocut](r^-6)"),
                                           ("sum(r^-9) + sum3[nocut](c*r^-3)", "sum3[nocut](c*r^-3)")])
def test_a_nocut_sum_that_does_not_vanish_at_r_out_is_refused_by_name(formula, term):
    """The plugin truncates a nocut sum at r_out as the evaluator does; so that this stays a conservative potential,
    its terms must vanish there (evaluate.vanishing), or the export names the one that does not."""
    with pytest.raises(ExpressionError) as raised:
        pair_style_source(Potential.from_formula(formula, element="Si"), "refused")
    assert str(raised.value).startswith(f"{term} does not vanish at r_out = 5 Å")


def test_probe_three_body_sums_match_the_evaluator():
    """pair_tables.three_body_sums (the three-body values the tables' error weights take on probe structures) is the
    evaluator's sum3 on a thermal Si cell, to rounding (1e-13 of the largest)."""
    atoms, cutoff = thermal_silicon(seed=4), Cutoff(3.0, 5.0)
    text = "sum3(c*r^-2*s^-4 + exp(-s)*c^2)"
    ok, _, expected, _, _ = evaluate_structure(parse_expression(text), atoms, cutoff)
    centre, _, distance, vector = structure_neighbours(atoms, cutoff.r_out)
    ours = three_body_sums(parse_expression(text), centre, distance, vector, len(atoms), 3.0, 5.0)
    assert ok and np.abs(ours - expected).max() <= 1e-13 * np.abs(expected).max()


@needs_lammps
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tables"])
def test_plugin_matches_the_evaluator_on_thermal_silicon_and_random_cells(plugins, exact):
    """Single-element formulas with sum3 (symmetric and not, inside an embedding and beside it, with and without pair
    sums, with and without the smooth cutoff) on diamond Si at ~1000 K and random triclinic cells: energies, atom
    energies, forces and virials within THREE_BODY_TOLERANCE (plus the pair tables' bounds when tabulated; the tables
    hold pair functions only: formulas with pair sums are checked tabulated too; MIXED_CUT's table holds SW's nocut
    pair function)."""
    structures = [thermal_silicon(seed=1), random_cell(seed=2)]
    cutoffs = {MEAM_LIKE: (3.0, 5.0), ASYMMETRIC: (3.0, 5.0), STILLINGER_WEBER: SW_CUTOFF, SW_THREE_BODY: SW_CUTOFF,
               SW_NOCUT_FORMULA: SW_NOCUT_CUTOFF, MIXED_CUT: SW_NOCUT_CUTOFF}
    chosen = list(cutoffs) if exact else [MEAM_LIKE, STILLINGER_WEBER, MIXED_CUT]
    built = {}
    for cutoff in dict.fromkeys(cutoffs.values()):
        built |= plugins([formula for formula in chosen if cutoffs[formula] == cutoff], exact, ("Si",), cutoff)
    for formula, (plugin, style) in built.items():
        assert_plugin_agrees(plugin, style, structures, formula, cutoffs[formula], exact=exact)


@needs_lammps
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tables"])
def test_alloy_plugins_match_the_evaluator_with_any_species_mapping(plugins, exact):
    """Si–Ge formulas with three-body sums in both species' terms or in one (tabulated: the first), on diamond with
    the species at random: pair_coeff naming the elements in either order, or one element on two atom types."""
    structures = [thermal_silicon(seed, species=("Si", "Ge")) for seed in (5, 6)]
    for formula, (plugin, style) in plugins([ALLOY_BOTH] + [ALLOY_ONE] * exact, exact, ("Si", "Ge")).items():
        for types in (("Si", "Ge"), ("Ge", "Si"), ("Si", "Ge", "Si")):
            assert_plugin_agrees(plugin, style, structures, formula, (3.0, 5.0), types, exact)


@needs_lammps
@pytest.mark.parametrize("formula, types, cutoff", [(MEAM_LIKE, ("Si",), (3.0, 5.0)),
                                                    (ALLOY_BOTH, ("Ge", "Si"), (3.0, 5.0)),
                                                    (SW_NOCUT_FORMULA, ("Si",), SW_NOCUT_CUTOFF)],
                         ids=["single", "alloy", "sw-nocut"])
def test_two_processes_match_the_evaluator(plugins, tmp_path, formula, types, cutoff):
    """216 atoms on 2 MPI processes (newton pair on): a triplet's forces on ghost atoms reach their owners."""
    plugin, style = plugins([formula], True, tuple(sorted(types, reverse=True)), cutoff)[formula]
    atoms = thermal_silicon(seed=7, cells=3, species=types)
    assert_two_processes_agree(plugin, style, atoms, types, "on", parse_expression(formula), Cutoff(*cutoff),
                               tmp_path, True, THREE_BODY_TOLERANCE)


@needs_lammps
def test_forces_without_energies_are_the_forces_with_them(plugins):
    """A step on which LAMMPS wants no energy skips pass 1's triplets of a term that holds its three-body values
    linearly (SW, ASYMMETRIC) and gets the same forces, to rounding, as `run 0` with energies; MEAM_LIKE never skips.
    The forces of step 2 of `run 3` (thermo at steps 0 and 3 only) are kept by fix store/state, which asks for no
    energy; timestep 0 keeps the atoms where they were."""
    atoms = thermal_silicon(seed=8)
    n = len(atoms)
    built = plugins([ASYMMETRIC, MEAM_LIKE], True, ("Si",)) | plugins([STILLINGER_WEBER], True, ("Si",), SW_CUTOFF)
    for formula, (plugin, style) in built.items():
        lmp = new_lammps()
        try:
            lmp.commands_list(crystal_input(plugin, style, atoms, types=("Si",))[1] + [
                "mass * 28.0855", "timestep 0.0", "fix nve all nve", "thermo 100", "run 0"])
            with_energy = np.array(lmp.numpy.extract_atom("f")[:n])[np.argsort(lmp.numpy.extract_atom("id")[:n])]
            lmp.commands_list(["fix kept all store/state 2 fx fy fz", "run 3"])
            without = np.array(lmp.numpy.extract_fix("kept", 1, 2)[:n])[np.argsort(lmp.numpy.extract_atom("id")[:n])]
        finally:
            lmp.close()
        assert np.abs(without - with_energy).max() <= 1e-13 * np.abs(with_energy).max(), formula


@needs_lammps
def test_newton_pair_off_is_refused(plugins):
    """A triplet's forces on ghost atoms reach their owners only by newton's reverse communication (as pair sw)."""
    plugin, style = plugins([MEAM_LIKE], True, ("Si",))[MEAM_LIKE]
    lmp = new_lammps()
    try:
        lmp.commands_list([f"plugin load {plugin}", "newton off", "units metal", "atom_style atomic",
                           "lattice diamond 5.431", "region box block 0 2 0 2 0 2", "create_box 1 box",
                           "create_atoms 1 box", f"pair_style {style}", "pair_coeff * * Si"])
        with pytest.raises(Exception, match="three-body sums.*needs newton pair on"):
            lmp.command("run 0")
    finally:
        lmp.close()


@needs_lammps
def test_nve_conserves_energy_with_stillinger_weber(plugins):
    """216 diamond Si atoms with the SW formula (two-body and three-body terms), 300 K, 10 ps of velocity Verlet at
    1 fs: the bounds of test_export_lammps.test_nve_conserves_energy (drift ≤ 1e-6 eV/atom/ps, the fluctuation at
    2 fs 3–5.5× that at 1 fs: a force that is not −∇E drifts far more), but max|E − E0| ≤ 3e-4 eV/atom: the
    fluctuation grows as (ω dt)², and Si's highest frequency (~15.5 THz) is about twice Cu's, so ~4× Cu's ~1e-5
    eV/atom is expected. Measured: drift 1.7e-7 eV/atom/ps, max|E − E0| 7.6e-5 eV/atom."""
    plugin, style = plugins([STILLINGER_WEBER], True, ("Si",), SW_CUTOFF)[STILLINGER_WEBER]
    assert_conserves_energy(plugin, style, fluctuation=3e-4, lattice="diamond 5.431", element="Si")
