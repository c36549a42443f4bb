"""The neural-network baseline: a small Behler–Parrinello network in PyTorch, float64.

An atom's energy is its element's network applied to standardised symmetry functions of its neighbours within
r_out (Behler, J. Chem. Phys. 134, 074106 (2011)), with the cosine cutoff f(r) = (cos(π r / r_out) + 1) / 2:

- G2 (radial):  Σ_j exp(−η (r_ij − r_s)²) f(r_ij)
- G5 (angular): Σ_{j<k} (1 + λ cos θ_jik)^ζ exp(−η (r_ij² + r_ik²)) f(r_ij) f(r_ik)
  (Behler's factor 2^(1−ζ) and the 2 of ordered pairs are left out: standardisation removes them).

E = Σ_i E_i. Forces and stress are derivatives of E with respect to the pair vectors R_j + shift − R_i, by
autograd. Training fits energies per atom and forces with Adam on mini-batches of configurations, with early
stopping on a seeded validation split of the training data and the best weights restored. The symmetry functions
and their derivatives with respect to the pair vectors are computed once before training, so an epoch only runs
the networks.

Files: `model.pt` (the state dict: tensors only, read with weights_only=True) and `hyperparameters.json` (what
rebuilds the model, and the training settings).
"""
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import torch
from ase.calculators.calculator import Calculator, all_changes
from ase.data import atomic_numbers, chemical_symbols

from ..data.neighbours import structure_neighbours
from . import VALIDATION_FRACTION, validation_split, with_defaults

DTYPE = torch.float64
MODEL_FILE = "model.pt"
HYPERPARAMETERS_FILE = "hyperparameters.json"
DEFAULTS = {"epochs": 1000, "hidden": "16,16", "patience": 50, "learning_rate": 3e-3, "batch_size": 4}
FORCE_WEIGHT = 0.01  # Å²: loss = MSE of energy per atom (eV²) + FORCE_WEIGHT · MSE of force components (eV²/Å²)


def default_symmetry_functions(r_out):
    """Default parameters for cutoff `r_out` (Å): radial [(η Å⁻², r_s Å)], 12 Gaussians of width ~ their spacing
    centred from 0.3 r_out up; angular [(η Å⁻², ζ, λ)], two ranges × ζ 1, 2, 4 × λ ±1."""
    spacing = 0.7 * r_out / 12
    radial = [(1 / spacing**2, 0.3 * r_out + k * spacing) for k in range(12)]
    angular = [(eta / r_out**2, zeta, lam) for eta in (0.5, 3.0) for zeta in (1, 2, 4) for lam in (1, -1)]
    return radial, angular


class BehlerParrinello(torch.nn.Module):
    """Atom energies E_i = shift_e + scale · network_e((G_i − mean_e) / std_e) (eV) for an atom of element e.

    `radial` and `angular` are the symmetry functions' parameters (see default_symmetry_functions), `hidden` the
    widths of the tanh layers. The standardisation and energy buffers are set by `fit` and saved with the weights.
    """

    def __init__(self, elements, r_out, radial, angular, hidden):
        super().__init__()
        self.architecture = {"elements": list(elements), "r_out": float(r_out), "radial": [list(p) for p in radial],
                             "angular": [list(p) for p in angular], "hidden": list(hidden)}
        self.elements, self.r_out = list(elements), float(r_out)
        self.radial = torch.tensor(radial, dtype=DTYPE).reshape(-1, 2)
        self.angular = torch.tensor(angular, dtype=DTYPE).reshape(-1, 3)
        n_features = len(self.radial) + len(self.angular)
        self.networks = torch.nn.ModuleList(_network(n_features, hidden) for _ in elements)
        self.register_buffer("feature_mean", torch.zeros(len(elements), n_features, dtype=DTYPE))
        self.register_buffer("feature_std", torch.ones(len(elements), n_features, dtype=DTYPE))
        self.register_buffer("energy_shift", torch.zeros(len(elements), dtype=DTYPE))
        self.register_buffer("energy_scale", torch.ones((), dtype=DTYPE))

    def species(self, numbers):
        """(N,) int64 index into `elements` of atoms with atomic numbers `numbers` (N,); ValueError for an element
        the network was not fitted to."""
        table = torch.full((len(chemical_symbols),), -1)
        table[[atomic_numbers[symbol] for symbol in self.elements]] = torch.arange(len(self.elements))
        species = table[torch.as_tensor(numbers)]
        if (species < 0).any():
            unknown = sorted({chemical_symbols[z] for z in numbers} - set(self.elements))
            raise ValueError(f"the network was fitted to {', '.join(self.elements)}, not {', '.join(unknown)}")
        return species

    def symmetry_functions(self, vectors, centre, n_atoms):
        """(n_atoms, F) symmetry functions, radial then angular, of the pairs (centre (P,) sorted, any neighbour)
        with r < r_out, from their vectors R_j + shift − R_i (P, 3) Å.

        `vectors` may also be F copies (F, P, 3), the f-th copy used for the f-th function only: then the gradient
        of the functions' sum by the copies is their Jacobian, in one backward pass.
        """
        n_radial, copies = len(self.radial), vectors.dim() == 3
        radial_vectors = vectors[:n_radial] if copies else vectors
        angular_vectors = vectors[n_radial:] if copies else vectors
        eta, r_s = self.radial[:, :, None].unbind(1)  # (radial F, 1) each
        r = radial_vectors.norm(dim=-1)
        radial = torch.exp(-eta * (r - r_s) ** 2) * self._cutoff(r)  # (radial F, P)
        first, second = _pairs_of_pairs(centre)
        eta, zeta, lam = self.angular[:, :, None].unbind(1)  # (angular F, 1) each
        r = angular_vectors.norm(dim=-1)
        cos = ((angular_vectors[..., first, :] * angular_vectors[..., second, :]).sum(-1)
               / (r[..., first] * r[..., second]))
        decay = torch.exp(-eta * r**2) * self._cutoff(r)
        angular = (1 + lam * cos) ** zeta * decay[:, first] * decay[:, second]  # (angular F, T)
        return torch.cat([radial.new_zeros(n_radial, n_atoms).index_add(1, centre, radial),
                          angular.new_zeros(len(eta), n_atoms).index_add(1, centre[first], angular)]).T

    def _cutoff(self, r):
        """f(r), the shape of r (Å)."""
        return 0.5 * (torch.cos(torch.pi * r / self.r_out) + 1)

    def forward(self, features, species):
        """(N,) atom energies, eV, from symmetry functions (N, F) and species (N,)."""
        energies = features.new_zeros(len(species))
        for e, network in enumerate(self.networks):
            atoms = torch.nonzero(species == e).squeeze(1)
            standardised = (features[atoms] - self.feature_mean[e]) / self.feature_std[e]
            energies = energies.index_add(0, atoms, self.energy_shift[e]
                                          + self.energy_scale * network(standardised).squeeze(1))
        return energies


@contextmanager
def one_thread():
    """Run torch on one thread: the tensors here are small, so more threads cost more than they gain (on a busy
    machine, tens of times more)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _network(n_inputs, hidden):
    widths = [n_inputs, *hidden]
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=DTYPE), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 1, dtype=DTYPE))


def _pairs_of_pairs(centre):
    """(first (T,), second (T,)): every two pairs p < q with the same centre, for centres (P,) sorted ascending."""
    end = torch.searchsorted(centre, centre, right=True)
    count = end - torch.arange(len(centre)) - 1  # pairs after p with p's centre
    first = torch.repeat_interleave(torch.arange(len(centre)), count)
    start = torch.repeat_interleave(torch.cumsum(count, 0) - count, count)
    return first, first + 1 + torch.arange(len(first)) - start


def _neighbourhood(atoms, r_out):
    """(centre (P,), neighbour (P,), pair vectors R_j + shift − R_i (P, 3) Å) of one structure, sorted by centre."""
    centre, neighbour, _, vectors = structure_neighbours(atoms, r_out)
    return torch.from_numpy(centre), torch.from_numpy(neighbour), torch.from_numpy(vectors).to(DTYPE)


def _forces(pair_gradient, centre, neighbour, n_atoms):
    """Forces (n_atoms, 3) eV/Å from dE/d(pair vector) (P, 3) eV/Å; pair (i, j) has the vector R_j + shift − R_i."""
    return (pair_gradient.new_zeros(n_atoms, 3).index_add(0, centre, pair_gradient)
            .index_add(0, neighbour, -pair_gradient))


class NNCalculator(Calculator):
    """A fitted BehlerParrinello network as an ASE calculator: energy and free energy (eV), per-atom energies (N,)
    eV, forces (N, 3) eV/Å, stress (6,) eV/Å³ (Voigt xx yy zz yz xz xy, ASE's sign; 3D cells only)."""
    implemented_properties = ("energy", "free_energy", "energies", "forces", "stress")

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        n_atoms = len(self.atoms)
        centre, neighbour, vectors = _neighbourhood(self.atoms, self.model.r_out)
        vectors.requires_grad_(True)
        with one_thread(), torch.enable_grad():
            features = self.model.symmetry_functions(vectors, centre, n_atoms)
            energies = self.model(features, self.model.species(self.atoms.numbers))
            (pair_gradient,) = torch.autograd.grad(energies.sum(), vectors)
        energy = energies.sum().item()
        self.results = {"energy": energy, "free_energy": energy, "energies": energies.detach().numpy(),
                        "forces": _forces(pair_gradient, centre, neighbour, n_atoms).numpy()}
        if self.atoms.cell.rank == 3:  # stress = (1/V) ∂E/∂ε, each pair vector strained to (1 + ε) vector
            virial = (pair_gradient.T @ vectors.detach()).numpy()
            self.results["stress"] = virial[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]] / self.atoms.get_volume()


def fit(train, out, options, *, r_out, seed):
    """Fit a network to the Dataset `train` (cutoff `r_out` Å; weights, split and shuffling from `seed`), write
    model.pt and hyperparameters.json into the folder `out`, and return the summary for baseline.json.

    `options` may set epochs (the most epochs), hidden (layer widths, text such as "16,16"), patience (epochs
    without a better validation loss before stopping), learning_rate (Adam) and batch_size (configurations per
    step); DEFAULTS fills in the rest. ValueError names a bad option.
    """
    start, out = time.perf_counter(), Path(out)
    settings = _settings(options)
    fitting, validation = validation_split("nn", train, seed)
    elements = sorted({symbol for atoms in train.atoms for symbol in atoms.get_chemical_symbols()})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BehlerParrinello(elements, r_out, *default_symmetry_functions(r_out), settings["hidden"])
    with one_thread():
        fitting = _prepare(model, fitting)
        _standardise(model, _stack(fitting))
        epochs_trained, best_epoch, validation_loss = _train(model, fitting, _stack(_prepare(model, validation)),
                                                             settings, seed)
    torch.save(model.state_dict(), out / MODEL_FILE)
    training = {**settings, "seed": seed, "force_weight": FORCE_WEIGHT, "validation_fraction": VALIDATION_FRACTION}
    hidden = training.pop("hidden")
    (out / HYPERPARAMETERS_FILE).write_text(json.dumps({**model.architecture, "training": training}, indent=2) + "\n",
                                            encoding="utf-8")
    return {"parameters": sum(weights.numel() for weights in model.parameters()), "hidden": hidden, **training,
            "symmetry_functions": {"radial": len(model.radial), "angular": len(model.angular)},
            "epochs_trained": epochs_trained, "best_epoch": best_epoch, "validation_loss": validation_loss,
            "fit_seconds": round(time.perf_counter() - start, 1), "files": [MODEL_FILE, HYPERPARAMETERS_FILE]}


def load(directory):
    """The network fitted into `directory` by `fit`, as an NNCalculator."""
    directory = Path(directory)
    hyperparameters = json.loads((directory / HYPERPARAMETERS_FILE).read_text(encoding="utf-8"))
    hyperparameters.pop("training")
    model = BehlerParrinello(**hyperparameters)
    model.load_state_dict(torch.load(directory / MODEL_FILE, weights_only=True))
    return NNCalculator(model)


def _settings(options):
    """DEFAULTS updated by `options`, checked, with hidden as a list of widths; ValueError names a bad option."""
    settings = with_defaults("nn", options, DEFAULTS)
    hidden = settings["hidden"]
    try:
        settings["hidden"] = [int(width) for width in (hidden.split(",") if isinstance(hidden, str) else hidden)]
    except (TypeError, ValueError):
        settings["hidden"] = []
    if not settings["hidden"] or min(settings["hidden"]) < 1:
        raise ValueError(f"--hidden must be positive layer widths separated by commas, e.g. 16,16; got {hidden!r}")
    for name in ("epochs", "patience", "batch_size"):
        if not isinstance(settings[name], int) or settings[name] < 1:
            raise ValueError(f"{name} must be a positive integer, got {settings[name]!r}")
    if not isinstance(settings["learning_rate"], (int, float)) or not settings["learning_rate"] >= 0:
        raise ValueError(f"learning_rate must be a number >= 0, got {settings['learning_rate']!r}")
    return settings


class _Batch(NamedTuple):
    """Configurations ready for training (N atoms, P pairs, C configurations, F symmetry functions)."""
    features: torch.Tensor  # (N, F) symmetry functions
    jacobian: torch.Tensor  # (P, F, 3) Å⁻¹, derivative of the symmetry functions of p's centre by p's vector
    centre: torch.Tensor  # (P,) atom index i of pair (i, j)
    neighbour: torch.Tensor  # (P,) atom index j
    species: torch.Tensor  # (N,) element index
    n_atoms: torch.Tensor  # (C,) atoms per configuration
    energy: torch.Tensor  # (C,) eV, NaN if absent
    forces: torch.Tensor  # (N, 3) eV/Å, NaN rows if absent

    @property
    def atom_config(self):
        """(N,) configuration index of each atom."""
        return torch.repeat_interleave(torch.arange(len(self.n_atoms)), self.n_atoms)


def _prepare(model, dataset):
    """One _Batch per configuration of `dataset`, with the symmetry functions and their Jacobian computed."""
    batches = []
    for c, atoms in enumerate(dataset.atoms):
        centre, neighbour, vectors = _neighbourhood(atoms, model.r_out)
        copies = vectors.expand(model.feature_mean.shape[1], -1, -1).clone().requires_grad_(True)
        features = model.symmetry_functions(copies, centre, len(atoms))
        (jacobian,) = torch.autograd.grad(features.sum(), copies)
        rows = slice(dataset.atom_offsets[c], dataset.atom_offsets[c + 1])
        batches.append(_Batch(features.detach(), jacobian.transpose(0, 1), centre, neighbour,
                              model.species(atoms.numbers), torch.tensor([len(atoms)]),
                              torch.tensor(dataset.energy[c:c + 1]), torch.tensor(dataset.forces[rows])))
    return batches


def _stack(batches):
    """One _Batch holding all of `batches`, atom indices renumbered."""
    stacked = _Batch(*map(torch.cat, zip(*batches)))
    n_atoms = torch.tensor([len(batch.species) for batch in batches])
    n_pairs = torch.tensor([len(batch.centre) for batch in batches])
    shift = torch.repeat_interleave(torch.cumsum(n_atoms, 0) - n_atoms, n_pairs)
    return stacked._replace(centre=stacked.centre + shift, neighbour=stacked.neighbour + shift)


def _standardise(model, data):
    """Set the model's feature means and deviations per element, and its per-element energy shift (least squares
    on the composition) and energy scale (RMS of the remaining energy per atom), from the _Batch `data`."""
    for e in range(len(model.elements)):
        features = data.features[data.species == e]
        std = features.std(0, correction=0)
        model.feature_mean[e], model.feature_std[e] = features.mean(0), torch.where(std > 0, std, 1.0)
    composition = torch.zeros(len(data.n_atoms), len(model.elements), dtype=DTYPE)
    composition.index_put_((data.atom_config, data.species), torch.ones(len(data.species), dtype=DTYPE),
                           accumulate=True)
    labelled = ~torch.isnan(data.energy)
    shift = torch.linalg.lstsq(composition[labelled], data.energy[labelled, None]).solution[:, 0]
    residual = ((data.energy - composition @ shift) / data.n_atoms)[labelled]
    scale = residual.square().mean().sqrt()
    model.energy_shift.copy_(shift)
    model.energy_scale.fill_(scale if scale > 0 else 1.0)


def _train(model, fitting, validation, settings, seed):
    """Adam on shuffled mini-batches of the _Batches `fitting`, stopping once the loss on the _Batch `validation`
    has not improved for `patience` epochs; the model keeps its best weights. Returns (epochs trained, best epoch,
    best validation loss)."""
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings["learning_rate"])
    best_loss, best_epoch, best_state = float("inf"), 0, _copy(model.state_dict())
    for epoch in range(1, settings["epochs"] + 1):
        order = torch.randperm(len(fitting), generator=generator).tolist()
        for start in range(0, len(order), settings["batch_size"]):
            optimiser.zero_grad()
            batch = _stack([fitting[k] for k in order[start:start + settings["batch_size"]]])
            _loss(model, batch, create_graph=True).backward()
            optimiser.step()
        loss = _loss(model, validation, create_graph=False).item()
        if loss < best_loss:
            best_loss, best_epoch, best_state = loss, epoch, _copy(model.state_dict())
        elif epoch - best_epoch >= settings["patience"]:
            break
    model.load_state_dict(best_state)
    return epoch, best_epoch, best_loss


def _copy(state):
    return {name: tensor.clone() for name, tensor in state.items()}


def _loss(model, batch, create_graph):
    """Mean square error of energy per atom (eV²) + FORCE_WEIGHT · that of force components (eV²/Å²), over the
    present labels; with create_graph, differentiable by the weights."""
    features = batch.features.detach().requires_grad_(True)
    energies = model(features, batch.species)
    (gradient,) = torch.autograd.grad(energies.sum(), features, create_graph=create_graph)
    pair_gradient = torch.einsum("pf,pfa->pa", gradient[batch.centre], batch.jacobian)
    forces = _forces(pair_gradient, batch.centre, batch.neighbour, len(batch.species))
    energy = energies.new_zeros(len(batch.n_atoms)).index_add(0, batch.atom_config, energies)
    return (_mean_square((energy - batch.energy) / batch.n_atoms, batch.energy)
            + FORCE_WEIGHT * _mean_square(forces - batch.forces, batch.forces))


def _mean_square(errors, labels):
    """Mean of the squared errors where the label is present (not NaN); 0 without labels."""
    errors = errors[~torch.isnan(labels)]
    return errors.square().sum() / max(errors.numel(), 1)
