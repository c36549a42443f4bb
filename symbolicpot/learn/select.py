"""Select: the committee (the accurate models of a front), its disagreement on a snapshot, and the snapshots to label.

Uncertainty is the committee's spread: for forces, the largest over atoms i of
sqrt(mean_m |F_mi − F̄_i|²) (eV/Å; the root-mean-square deviation of the M members' force vectors from their mean),
for energies the standard deviation of the members' energies divided by the atom count (eV/atom). Members are
different formulas fitted to the same data: they agree where the data are and drift apart where they are not. No
extrapolation grade of the neighbour sums is computed (the evaluator does not expose an atom's sums).
"""
import numpy as np

from ..evaluate.evaluator import evaluate_structure


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


def pick(force_spread, energy_spread, trajectory, step, learn, cap):
    """Indices of the snapshots to label, most uncertain first: those whose force spread (S,) exceeds
    [learn] force_threshold or whose energy spread (S,) exceeds energy_threshold (if set), but whose force spread is
    at most force_ceiling (beyond it the exploring model has left physics, and such a label drags the refit away from
    the data), none within min_separation MD steps of one already picked from the same trajectory (S,), at most `cap`.

    Uncertainty is ranked by the larger of spread / threshold over forces and energies."""
    force_spread = np.asarray(force_spread, dtype=float)
    score = force_spread / learn["force_threshold"]
    if learn["energy_threshold"] is not None:
        score = np.maximum(score, np.asarray(energy_spread, dtype=float) / learn["energy_threshold"])
    score[force_spread > learn["force_ceiling"]] = 0.0
    picked = []
    for s in np.argsort(-score, kind="stable"):
        if score[s] <= 1 or len(picked) == cap:
            break
        if all(trajectory[p] != trajectory[s] or abs(step[p] - step[s]) >= learn["min_separation"] for p in picked):
            picked.append(int(s))
    return picked
