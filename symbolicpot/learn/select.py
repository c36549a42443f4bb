"""Select: the committee (the accurate models of a front), its disagreement on a snapshot, the extrapolation grade of
a model's neighbour sums, and the snapshots to label.

Uncertainty is the committee's spread: for forces, the largest over atoms i of
sqrt(mean_m |F_mi − F̄_i|²) (eV/Å; the root-mean-square deviation of the M members' force vectors from their mean),
for energies the standard deviation of the members' energies divided by the atom count (eV/atom). Members are
different formulas fitted to the same data: they agree where the data are and drift apart where they are not.

The extrapolation grade (after MTP's) asks one model instead: how far an atom's neighbour sums S_k(i) leave the
[min, max] range they take on the training atoms, in units of the range's width (0 inside every range). A sum's
values on every atom are the atom energies of the formula made of that sum alone, so the evaluator computes them.
"""
import numpy as np

from ..evaluate.evaluator import Evaluator, evaluate_structure
from ..expr.tree import block_species, term_for, walk


def committee(front, factor, size):
    """The indices of the committee on a front.json document: the models whose training error is at most `factor`
    times the best, and at least the two most accurate (one model has no spread), at most `size` (front models
    come lowest error first)."""
    models = front["models"]
    if not models:
        raise ValueError("the front is empty: no model to explore with")
    accurate = sum(model["error"] <= factor * models[0]["error"] for model in models)
    return [model["index"] for model in models[:max(accurate, 2)]][:size]


def spread(energies, forces):
    """(force spread eV/Å, energy spread eV/atom) of one configuration's committee predictions: `energies` (M,) eV,
    `forces` (M, N, 3) eV/Å. Zero for a committee of one."""
    energies, forces = np.asarray(energies, dtype=float), np.asarray(forces, dtype=float)
    deviation = forces - forces.mean(axis=0)
    per_atom = np.sqrt((deviation ** 2).sum(axis=2).mean(axis=0))
    return float(per_atom.max()), float(energies.std() / forces.shape[1])


def committee_spread(potentials, atoms):
    """spread() of `potentials` (export.Potential, M ≥ 1) on one ase.Atoms; (inf, inf) when a member fails there
    (non-finite values: far outside its data)."""
    predictions = [evaluate_structure(potential.tree, atoms, potential.cutoff) for potential in potentials]
    if not all(ok for ok, *_ in predictions):
        return np.inf, np.inf
    return spread([energy for _, energy, _, _, _ in predictions], [forces for _, _, _, forces, _ in predictions])


def sum_inputs(tree):
    """The distinct neighbour sums (sum and sum3 nodes) of a formula with the species of the atoms that read them
    ("": every atom): [(species, node)], in the formula's order."""
    species = block_species(tree) or ("",)
    return list(dict.fromkeys((name, node) for name in species for node in walk(term_for(tree, name) if name else tree)
                              if node.op in ("sum", "sum3")))


def training_ranges(potential, dataset):
    """[min, max] (M, 2) of each of the M sums of sum_inputs(potential.tree) over the atoms of `dataset` (a
    Dataset: the training data) that read it; `potential` an export.Potential."""
    evaluator = Evaluator(dataset, potential.cutoff)
    symbols = np.array([symbol for atoms in dataset.atoms for symbol in atoms.get_chemical_symbols()])
    values = [evaluator(node).atom_energy[symbols == name if name else slice(None)]
              for name, node in sum_inputs(potential.tree)]
    return np.array([(v.min(), v.max()) for v in values]).reshape(-1, 2)


def extrapolation_grade(potential, ranges, atoms):
    """The largest distance of an atom's sum S_k(i) outside its training range (`ranges` (M, 2) from
    training_ranges), in units of the range's width, over the sums of `potential` and the atoms of one ase.Atoms
    that read them: 0 when every sum is inside its range; inf where the model fails, or a sum constant on the
    training data takes another value."""
    symbols = np.array(atoms.get_chemical_symbols())
    grade = 0.0
    for (name, node), (low, high) in zip(sum_inputs(potential.tree), ranges):
        ok, _, values, _, _ = evaluate_structure(node, atoms, potential.cutoff)
        if not ok:
            return np.inf
        values = values[symbols == name] if name else values
        outside = float(np.max(np.maximum(low - values, values - high), initial=0.0))
        if outside > 0:
            grade = max(grade, outside / (high - low) if high > low else np.inf)
    return grade


def pick(force_spread, energy_spread, grade, trajectory, step, learn, cap):
    """Indices of the snapshots to label, most uncertain first: those whose force spread (S,) exceeds
    [learn] force_threshold, or whose energy spread (S,) exceeds energy_threshold, or whose extrapolation grade (S,)
    exceeds grade_threshold (the last two if set), but whose force spread is at most force_ceiling (beyond it the
    exploring model has left physics, and such a label drags the refit away from the data), none within
    min_separation MD steps of one already picked from the same trajectory (S,), at most `cap`.

    Uncertainty is ranked by the largest of value / threshold over the measures used."""
    force_spread = np.asarray(force_spread, dtype=float)
    score = force_spread / learn["force_threshold"]
    for values, threshold in ((energy_spread, learn["energy_threshold"]), (grade, learn["grade_threshold"])):
        if threshold is not None:
            score = np.maximum(score, np.asarray(values, dtype=float) / threshold)
    score[force_spread > learn["force_ceiling"]] = 0.0
    picked = []
    for s in np.argsort(-score, kind="stable"):
        if score[s] <= 1 or len(picked) == cap:
            break
        if all(trajectory[p] != trajectory[s] or abs(step[p] - step[s]) >= learn["min_separation"] for p in picked):
            picked.append(int(s))
    return picked
