"""Error metrics of a Prediction against a Dataset's labels, and the weighted least-squares error objective.

Energies are compared per atom (the total energy error of a configuration divided by its atom count), forces per
Cartesian component, stresses per Voigt component. Labels that are absent (NaN) are left out.
"""
from dataclasses import dataclass

import numpy as np

from ..data import DataError
from ..metrics import COUNTS, ERRORS


def error_metrics(prediction, dataset, configs=None):
    """RMSE/MAE of energy (meV/atom), forces (eV/Å) and stress (GPa) over `configs` (default: all), as a dict.

    Keys: ERRORS (None where there are no labels), then COUNTS."""
    configs = np.arange(dataset.n_configs) if configs is None else np.asarray(configs)
    atoms = np.concatenate([np.arange(dataset.atom_offsets[c], dataset.atom_offsets[c + 1]) for c in configs]
                           + [np.zeros(0, int)])
    energy = 1e3 * (prediction.energy[configs] - dataset.energy[configs]) / dataset.n_atoms[configs]
    forces = prediction.forces[atoms] - dataset.forces[atoms]
    stress = prediction.stress[configs] - dataset.stress[configs]
    values = (_rms(energy), _mean_abs(energy), _rms(forces), _mean_abs(forces), _rms(stress), len(configs), len(atoms))
    return dict(zip(ERRORS + COUNTS, values))


def errors_by_group(prediction, dataset):
    """{"overall": metrics, "groups": {group name: metrics}} (see error_metrics)."""
    return {"overall": error_metrics(prediction, dataset),
            "groups": {name: error_metrics(prediction, dataset, np.flatnonzero(dataset.group == g))
                       for g, name in enumerate(dataset.group_names)}}


def _rms(x):
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x * x))) if x.size else None


def _mean_abs(x):
    x = x[np.isfinite(x)]
    return float(np.mean(np.abs(x))) if x.size else None


@dataclass(frozen=True)
class ErrorWeights:
    """Relative weights of the standardised energy, force and stress errors in the error objective."""
    energy: float = 1.0
    forces: float = 1.0
    stress: float = 0.1


class Residuals:
    """Standardised, weighted residuals r(θ) with error objective Σ r² and its Jacobian, for one Dataset.

    Each kind of label is divided by its spread in the data (its standard deviation; 1 where it has none), weighted
    by its group's weight w_g (`group_weights` {group name: weight > 0}, 1 for groups not named) and normalised by
    the sum of those weights, so the objective is Σ_kind weight · (Σ_labels w_g r²) / (Σ_labels w_g) / var_kind:
    a weighted mean square per kind (with every w_g = 1, the MSE).

    `species` (default the data's) orders the per-atom energy references of `design`, one per species.
    """

    def __init__(self, dataset, weights=ErrorWeights(), group_weights=None, species=None):
        self.dataset = dataset
        self.species = dataset.species if species is None else tuple(species)
        per_atom = dataset.energy / dataset.n_atoms
        labels = (per_atom, dataset.forces.reshape(-1), dataset.stress.reshape(-1))
        _require_energies(dataset, per_atom)
        config_weight = group_weight_array(dataset, group_weights)
        atom_weight = np.repeat(config_weight, dataset.n_atoms)
        label_weights = (config_weight, np.repeat(atom_weight, 3), np.repeat(config_weight, 6))
        self._masks = [np.isfinite(x) for x in labels]
        self._targets = [x[m] for x, m in zip(labels, self._masks)]
        self._scales = [np.sqrt(w * g[m] / max(g[m].sum(), 1e-300)) / _spread(t)
                        for w, g, m, t in zip((weights.energy, weights.forces, weights.stress), label_weights,
                                              self._masks, self._targets)]
        self.target = np.concatenate([s * t for s, t in zip(self._scales, self._targets)])  # labels, residual units
        composition = dataset.species_counts(self.species) / dataset.n_atoms[:, None]  # share of each species
        self._shift_columns = np.concatenate([self._scales[0][:, None] * composition[self._masks[0]]]
                                             + [np.zeros((t.size, len(self.species))) for t in self._targets[1:]])

    def __call__(self, prediction):
        """Residual vector (n_labels,) of a Prediction."""
        return self.values(prediction) - self.target

    def values(self, prediction):
        """The prediction in residual units, (n_labels,): the residual vector plus the scaled labels."""
        return self._scaled(prediction.energy, prediction.forces, prediction.stress)

    def jacobian(self, prediction):
        """d residuals / d constants (n_labels, P) of a Prediction made with gradients."""
        return self._scaled(prediction.d_energy, prediction.d_forces, prediction.d_stress)

    def design(self, predictions):
        """(n_labels, K + n_species): the K predictions in residual units and, last, the columns of a per-atom
        energy reference b_s of each species (1 eV per atom of s); None when a value is not finite. The model
        Σ_k c_k·P_k + Σ_s b_s·n_s has the residuals design @ (c, b) − target: linear coefficients can be solved by
        least squares instead of searched (linear scaling, Keijzer 2003), and DFT energies carry an arbitrary
        reference energy per atom of each element.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            design = np.column_stack([self.values(p) for p in predictions] + [self._shift_columns])
        return design if np.isfinite(design).all() else None

    def objective(self, prediction):
        """Σ r², or inf for an invalid prediction (or one so large that Σ r² overflows)."""
        if not prediction.ok:
            return np.inf
        with np.errstate(over="ignore"):
            return float(np.sum(self(prediction) ** 2))

    def _scaled(self, energy, forces, stress):
        """Energies per atom, forces and stresses (with any trailing axes) scaled and stacked like the residuals."""
        n = self.dataset.n_atoms.reshape((-1,) + (1,) * (energy.ndim - 1))
        p = energy.shape[1:]  # explicit lengths: a Jacobian of no constants has size 0
        values = energy / n, forces.reshape((3 * len(forces),) + p), stress.reshape((6 * len(stress),) + p)
        return np.concatenate([s.reshape((-1,) + (1,) * len(p)) * v[m]
                               for s, v, m in zip(self._scales, values, self._masks)])


def group_weight_array(dataset, group_weights):
    """(n_configs,) weight of each configuration's group: `group_weights` {group name: weight > 0}, 1 for groups not
    named (names of no group of `dataset` are ignored: a split may leave a group without test data)."""
    by_group = np.array([float((group_weights or {}).get(name, 1.0)) for name in dataset.group_names] + [1.0])
    return by_group[dataset.group]


def _require_energies(dataset, per_atom):
    """DataError naming the files when the data hold no energy at all: every fit needs them (they fix the per-atom
    energy reference); forces and stresses may be absent (their terms are then empty)."""
    if not np.isfinite(per_atom).any():
        files = list(dict.fromkeys(str(source).rsplit("@", 1)[0] for source in dataset.source))  # "file@index"
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        raise DataError(f"{shown}: no energies in the data, and the fit needs them (label the structures' "
                        f"total energies, e.g. energy= in extended XYZ)")


def _spread(values):
    spread = float(np.std(values)) if values.size > 1 else 0.0
    return spread if spread > 0.0 else 1.0
