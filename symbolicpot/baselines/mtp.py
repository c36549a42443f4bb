"""Moment Tensor Potential baseline: motep fits an MTP of a chosen level; the result is an MLIP `.mtp` file.

motep ships no untrained potentials (MLIP's `untrained_mtps/NN.mtp`), so `untrained_mtp` writes the level-N moment
basis in MLIP's index form from the scalar moment contractions motep itself enumerates for its JAX engine
(`motep.potentials.mtp.jax.moment`, importable without JAX). For levels 2–16 this gives the same scalar basis as
MLIP's files (checked numerically against them); up to level 12 even the same numbers of basic moments and products.
"""
import contextlib
import json
import tempfile
import time
from collections import Counter
from functools import cache
from itertools import product
from pathlib import Path

import numpy as np
from ase.calculators.calculator import all_changes
from ase.data import atomic_numbers, chemical_symbols
from motep.calculator import MTP
from motep.io.mlip.mtp import read_mtp, write_mtp
from motep.potentials.mtp.data import BasisData, MTPData
from motep.potentials.mtp.jax.moment import MomentBasis
from motep.train import Trainer

from ..data.neighbours import structure_neighbours
from . import with_defaults

DEFAULTS = {"level": 8, "max_iter": 300}  # 2.5 CPU minutes on POET DFT_Cu (benchmarks/mtp_levels.py)
MTP_FILE = "potential.mtp"
SPECIES_FILE = "species.json"  # chemical symbols in MTP type order: an .mtp file numbers species 0, 1, ...
RADIAL_BASIS_SIZE = 8  # Chebyshev polynomials per radial function, as in MLIP's untrained potentials
R_MIN_FACTOR = 0.9  # the radial basis starts at this share of the shortest distance in the training data


def fit(train, out, options, *, r_out, seed):
    """Fit an MTP to the energies, forces and stresses of `train` and write MTP_FILE and SPECIES_FILE into `out`.

    options: "level" (even, 2–24: the MTP's size) and "max_iter" (BFGS iterations), defaults DEFAULTS. The fit is
    motep's recipe: the level-2 part and the moment coefficients by linear least squares, then every coefficient by
    BFGS on motep's default loss (energy per atom, forces and stress·volume/atom weighted 1 : 0.01 : 0.001), then the
    moment coefficients again. `r_out` (Å) is the cutoff; `seed` draws the initial coefficients.
    """
    settings = with_defaults("mtp", options, DEFAULTS)
    images = [train.labelled_atoms(c) for c in np.flatnonzero(np.isfinite(train.energy))]
    if not images:
        raise ValueError("no configuration with an energy label to fit the MTP to")
    species = sorted({int(number) for atoms in images for number in atoms.numbers})
    shortest = min(structure_neighbours(atoms, r_out)[2].min(initial=r_out) for atoms in images)
    mtp = untrained_mtp(settings["level"], species, R_MIN_FACTOR * shortest, r_out)
    steps = [{"method": "Level2MTP"}, {"method": "LLS"},
             {"method": "minimize", "kwargs": {"method": "BFGS", "options": {"maxiter": settings["max_iter"]}}},
             {"method": "LLS"}]
    start = time.perf_counter()
    # Trainer writes intermediate_N.mtp into the working directory and prints timings; seed=0 would mean "random"
    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch), contextlib.redirect_stdout(None):
        Trainer(mtp, rng=np.random.default_rng(seed), steps=steps).train(images)
    fit_seconds = time.perf_counter() - start
    write_mtp(out / MTP_FILE, mtp, legacy=True)  # MLIP's layout; motep 0.2's default reads back wrong
    (out / SPECIES_FILE).write_text(json.dumps({"species": [chemical_symbols[z] for z in species]}) + "\n",
                                    encoding="utf-8")
    return {"level": settings["level"], "max_iter": settings["max_iter"],
            "parameters": int(mtp.species_coeffs.size + mtp.moment_coeffs.size + mtp.radial_coeffs.size),
            "r_min": float(mtp.radial_basis.min), "fit_seconds": round(fit_seconds, 2),
            "files": [MTP_FILE, SPECIES_FILE]}


def load(directory):
    """The MTP fitted into `directory` as motep's ASE calculator: energy eV, forces eV/Å, stress eV/Å³ (3D cells).

    ValueError names the file when MTP_FILE or SPECIES_FILE is missing or unreadable."""
    mtp = _read_potential(Path(directory) / MTP_FILE)
    mtp.species = _read_species(Path(directory) / SPECIES_FILE, len(mtp.species_coeffs))
    return Calculator(mtp)


class Calculator(MTP):
    """motep's MTP calculator, made to serve structures of any size: motep 0.2 keeps the neighbour list of the first
    structure (its cutoff array has one entry per atom) and fails on one with another number of atoms."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        if "numbers" in system_changes:
            self.engine.neighbor_list = None
        super().calculate(atoms, properties, system_changes)


def _read_potential(path):
    """The fitted MTPData in the MLIP file `path`; ValueError names the file when it is missing or unreadable."""
    try:
        mtp = read_mtp(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (fit an MTP with `symbolicpot baseline mtp`)") from None
    except (ValueError, TypeError, KeyError, IndexError, StopIteration) as error:
        raise ValueError(f"{path}: not a readable MTP file ({error!r})") from None
    if any(coeffs is None for coeffs in (mtp.species_coeffs, mtp.moment_coeffs, mtp.radial_coeffs)):
        raise ValueError(f"{path}: not a fitted MTP (no species_coeffs, moment_coeffs or radial_coeffs)")
    return mtp


def _read_species(path, count):
    """The atomic numbers of the `count` species in `path` ({"species": ["Cu", ...]}, in MTP type order);
    ValueError names the file when it is missing, unreadable or lists another number of species."""
    try:
        numbers = [atomic_numbers[symbol] for symbol in json.loads(path.read_text(encoding="utf-8"))["species"]]
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (fit an MTP with `symbolicpot baseline mtp`)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f'{path}: not a species file ({error!r}); expected {{"species": ["Cu", ...]}}') from None
    if len(numbers) != count:
        raise ValueError(f"{path}: {len(numbers)} species for an MTP of {count}")
    return numbers


def untrained_mtp(level, species, r_min, r_max):
    """An untrained MTP (MTPData, coefficients None) of `level` for `species` (atomic numbers), its radial basis
    on [r_min, r_max] Å."""
    basic, times, mapping, count = moment_basis(level)
    mtp = MTPData(version="1.1.0", potential_name="MTP1m",
                  radial_basis=BasisData("RBChebyshev", float(r_min), float(r_max), RADIAL_BASIS_SIZE),
                  radial_funcs_count=int(basic[:, 0].max()) + 1, alpha_moments_count=count,
                  alpha_index_basic_count=len(basic), alpha_index_basic=basic,
                  alpha_index_times_count=len(times), alpha_index_times=times,
                  alpha_scalar_moments=len(mapping), alpha_moment_mapping=mapping)
    mtp.species = species
    return mtp


def moment_basis(level):
    """The MTP moment basis of `level` in MLIP's index form: (alpha_index_basic (B, 4) rows mu, x, y, z powers;
    alpha_index_times (T, 4) rows i, j, multiplicity, k meaning moment k += multiplicity · moment i · moment j;
    alpha_moment_mapping (S,) the scalar moments; alpha_moments_count B + number of products), int32 arrays.

    Every tensor component a contraction needs becomes a moment: a component of a basic moment M_mu,nu (a rank-nu
    tensor) is the basic moment of its x, y, z powers; a component of a contraction (numpy.tensordot of two nodes
    over `axes`) is a sum of products of components, and equal sums are one moment.
    """
    try:
        contractions = MomentBasis(level).read_moments()
    except FileNotFoundError:
        raise ValueError(f"MTP level must be an even number from 2 to 24, got {level}") from None
    basic, products = {}, {}  # (mu, x, y, z) -> index; sorted ((moment, moment), multiplicity) terms -> index

    def rank(node):
        return node[1] if isinstance(node[0], int) else node[2]  # a leaf is (mu, nu, nu); a node (a, b, rank, axes)

    @cache
    def component(node, index):
        """("basic" | "product", index) of the moment holding component `index` (a tuple of 0, 1, 2) of `node`."""
        if isinstance(node[0], int):
            return "basic", basic.setdefault((node[0], index.count(0), index.count(1), index.count(2)), len(basic))
        left, right, _, axes = node
        free = [[axis for axis in range(rank(side)) if axis not in summed]
                for side, summed in zip((left, right), axes)]
        parts = (index[:len(free[0])], index[len(free[0]):])
        terms = Counter()
        for summed_index in product(range(3), repeat=len(axes[0])):
            pair = []
            for side, side_free, summed, part in zip((left, right), free, axes, parts):
                full = dict(zip(side_free + list(summed), part + summed_index))
                pair.append(component(side, tuple(full[axis] for axis in range(rank(side)))))
            terms[tuple(sorted(pair))] += 1
        return "product", products.setdefault(tuple(sorted(terms.items())), len(products))

    scalars = [component(contraction, ()) for contraction in contractions]

    def moment(reference):
        kind, index = reference
        return index if kind == "basic" else len(basic) + index

    times = [[moment(a), moment(b), multiplicity, len(basic) + k]
             for k, terms in enumerate(products) for (a, b), multiplicity in terms]
    return (np.array(list(basic), dtype=np.int32).reshape(-1, 4), np.array(times, dtype=np.int32).reshape(-1, 4),
            np.array([moment(scalar) for scalar in scalars], dtype=np.int32), len(basic) + len(products))
