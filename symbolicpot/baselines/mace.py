"""MACE baseline: a small equivariant message-passing network (`mace-torch`; Batatia et al., NeurIPS 2022), float64
on the CPU, trained by mace's own training script.

The network has `layers` interactions of `channels` features per atom with messages up to angular momentum
`max_l`, the cutoff r_out, and mace's defaults otherwise (8 Bessel functions, correlation order 3, per-element
reference energies by least squares, scaled by the RMS force). Loss: mace's "stress" loss, the weighted mean squares of
energy per atom, force components and stress components (`loss_weights`; data without stresses fit energies and
forces); Adam with exponential moving average of the weights; early stopping on the same seeded 10 % validation
split as the NN baseline, keeping the best epoch's weights. Training runs on
`threads` torch threads; the calculator on one, as the NN's (one structure at a time is too small to share).

mace saves whole pickled models; a baseline directory holds no pickle: `model.pt` is the state dict (tensors only,
read with torch.load(weights_only=True)) and `hyperparameters.json` the architecture as mace describes it
(`extract_config_mace_model`), its classes and functions by name, looked up only in mace's and torch's modules.
"""
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import ase.io
import numpy as np
import torch

# mace prints a note on GPU acceleration when imported (kept off stdout: --json stays JSON), and e3nn warns that it
# loads its constants without weights_only (its own file, in the installed package): a user sees neither
with contextlib.redirect_stdout(None), warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD",
                            category=UserWarning)
    import mace  # before e3nn: it sets TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD, without which e3nn 0.4 does not import
    from e3nn import o3
    from mace.calculators import MACECalculator
    from mace.modules import ScaleShiftMACE, blocks
    from mace.tools.scripts_utils import extract_config_mace_model

from . import validation_split, with_defaults
from .nn import one_thread

# Loss weights of energy per atom, forces and stresses: with mace's own (1 : 100 : none) the energies of POET DFT_Cu
# were off by a constant per data set (test 40 meV/atom, 7.2 GPa); 100 : 1 : 100 gave 2.4 meV/atom, 1.1 GPa but
# 0.060 eV/Å; 100 : 10 : 100 gives 2.7 meV/atom, 0.033 eV/Å, 1.5 GPa (README, MACE). One epoch of the 32-channel
# network on DFT_Cu (108 configurations of 32 atoms) takes 25-30 s on 2 threads of the quiet 2-core machine (40
# epochs: 16 minutes, the goal is 30), 1.5x less than on one thread.
DEFAULTS = {"channels": 32, "layers": 2, "max_l": 1, "epochs": 40, "patience": 10, "batch_size": 4,
            "learning_rate": 0.01, "loss_weights": [100.0, 10.0, 100.0], "threads": 2}
MODEL_FILE = "model.pt"
HYPERPARAMETERS_FILE = "hyperparameters.json"
LOG_FILE = "training.log"  # mace's log of the training, kept beside the model
NAME = "mace"  # file stem of mace's outputs in the scratch directory
CLASSES = ("interaction_cls", "interaction_cls_first", "readout_cls")  # config entries naming mace.modules.blocks
IRREPS = ("hidden_irreps", "MLP_irreps", "edge_irreps")  # config entries holding e3nn Irreps
ARRAYS = ("atomic_energies", "atomic_inter_scale", "atomic_inter_shift")  # config entries holding NumPy arrays
GATES = {"silu": torch.nn.functional.silu, "tanh": torch.tanh, None: None}


def fit(train, out, options, *, r_out, seed):
    """Train a MACE network on the energies and forces of the Dataset `train` (cutoff `r_out` Å; initial weights,
    validation split and batches from `seed`); write MODEL_FILE, HYPERPARAMETERS_FILE and LOG_FILE into `out` and
    return the summary entries for baseline.json.

    options (DEFAULTS fills in the rest): channels, layers, max_l (the network), epochs (the most epochs), patience
    (epochs without a better validation loss before stopping), batch_size (configurations per step), learning_rate
    (Adam), loss_weights (of energy per atom, force and stress components: (eV/atom)⁻², (eV/Å)⁻², (eV/Å³)⁻²), threads
    (torch threads of the training). ValueError names a bad option; RuntimeError ends with mace's last log lines if
    training fails.
    """
    settings = _settings(options)
    fitting, validation = validation_split("mace", train, seed)
    out, start = Path(out), time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for name, data in (("train", fitting), ("valid", validation)):
            _write_extxyz(data, scratch / f"{name}.xyz")
        _run_mace_training(scratch, settings, r_out, seed, out / LOG_FILE)
        # mace's own pickle, written a moment ago by the training run above; it never leaves the scratch directory
        model = torch.load(scratch / f"{NAME}.model", map_location="cpu", weights_only=False)
    torch.save(model.state_dict(), out / MODEL_FILE)
    (out / HYPERPARAMETERS_FILE).write_text(json.dumps(_encode(extract_config_mace_model(model)), indent=1) + "\n",
                                            encoding="utf-8")
    return {**settings, "r_max": r_out, "parameters": sum(weights.numel() for weights in model.parameters()),
            "epochs_trained": _epochs_trained(out / LOG_FILE),
            "fit_seconds": round(time.perf_counter() - start, 1), "files": [MODEL_FILE, HYPERPARAMETERS_FILE, LOG_FILE]}


def load(directory):
    """The network trained into `directory` by `fit`, as mace's ASE calculator (float64, CPU): energy eV, forces
    eV/Å, stress eV/Å³. ValueError names a missing or unreadable file."""
    directory = Path(directory)
    try:
        config = _decode(json.loads((directory / HYPERPARAMETERS_FILE).read_text(encoding="utf-8")))
        model = ScaleShiftMACE(**config).to(torch.float64)
        model.load_state_dict(torch.load(directory / MODEL_FILE, weights_only=True))
    except FileNotFoundError as error:
        raise ValueError(f"{error.filename}: missing (train a MACE network with `symbolicpot baseline mace`)") from None
    except (ValueError, TypeError, KeyError, RuntimeError) as error:
        raise ValueError(f"{directory}: not a readable MACE baseline ({error!r})") from None
    return Calculator(models=model, device="cpu", default_dtype="float64")


class Calculator(MACECalculator):
    """mace's ASE calculator, run on one torch thread."""

    def calculate(self, *args, **kwargs):
        with one_thread():
            super().calculate(*args, **kwargs)


def _settings(options):
    """DEFAULTS updated by `options` and checked; ValueError names a bad option."""
    settings = with_defaults("mace", options, DEFAULTS)
    for name in ("channels", "layers", "epochs", "patience", "batch_size", "threads"):
        if not isinstance(settings[name], int) or settings[name] < 1:
            raise ValueError(f"{name} must be a positive integer, got {settings[name]!r}")
    if settings["max_l"] not in (0, 1, 2, 3):
        raise ValueError(f"max_l must be 0, 1, 2 or 3, got {settings['max_l']!r}")
    def positive(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0
    if not positive(settings["learning_rate"]):
        raise ValueError(f"learning_rate must be a number > 0, got {settings['learning_rate']!r}")
    weights = settings["loss_weights"]
    if not (isinstance(weights, (list, tuple)) and len(weights) == 3 and all(map(positive, weights))):
        raise ValueError(f"loss_weights must be three numbers > 0 (energy, forces, stress), got {weights!r}")
    return settings


def _write_extxyz(dataset, path):
    """Write the configurations of `dataset` with their labels (info REF_energy eV and REF_stress eV/Å³ in Voigt
    order with ASE's sign, arrays REF_forces eV/Å; absent labels left out) as extended XYZ, the way mace's training
    script reads them."""
    images = []
    for c, structure in enumerate(dataset.atoms):
        atoms, labels = structure.copy(), dataset.ase_labels(c)
        atoms.calc = None
        atoms.info.update({f"REF_{name}": labels[name] for name in ("energy", "stress") if name in labels})
        if "forces" in labels:
            atoms.arrays["REF_forces"] = labels["forces"]
        images.append(atoms)
    ase.io.write(path, images, format="extxyz")


def _run_mace_training(scratch, settings, r_out, seed, log_path):
    """Run mace's training script in a child process (its logging and threads stay there) on scratch/train.xyz and
    scratch/valid.xyz; its output goes to `log_path`, the model to scratch/NAME.model."""
    hidden = "+".join(f"{settings['channels']}x{l}{'e' if l % 2 == 0 else 'o'}" for l in range(settings["max_l"] + 1))
    arguments = ["--name", NAME, "--seed", str(seed), "--device", "cpu", "--default_dtype", "float64",
                 "--work_dir", str(scratch), "--train_file", str(scratch / "train.xyz"),
                 "--valid_file", str(scratch / "valid.xyz"), "--energy_key", "REF_energy", "--forces_key", "REF_forces",
                 "--stress_key", "REF_stress", "--E0s", "average", "--model", "MACE", "--loss", "stress",
                 *(item for flag, weight in zip(("--energy_weight", "--forces_weight", "--stress_weight"),
                                                settings["loss_weights"]) for item in (flag, repr(float(weight)))),
                 "--r_max", repr(float(r_out)),
                 "--num_interactions", str(settings["layers"]), "--hidden_irreps", hidden,
                 "--max_num_epochs", str(settings["epochs"]), "--patience", str(settings["patience"]),
                 "--batch_size", str(settings["batch_size"]), "--valid_batch_size", str(settings["batch_size"]),
                 "--lr", repr(float(settings["learning_rate"])), "--ema", "--eval_interval", "1",
                 "--error_table", "PerAtomRMSE"]
    with open(log_path, "w", encoding="utf-8") as log:
        finished = subprocess.run([sys.executable, "-m", "mace.cli.run_train", *arguments], cwd=scratch,
                                  env={**os.environ, "OMP_NUM_THREADS": str(settings["threads"])}, stdout=log,
                                  stderr=subprocess.STDOUT, check=False)
    if finished.returncode != 0 or not (scratch / f"{NAME}.model").is_file():
        tail = "\n".join(Path(log_path).read_text(encoding="utf-8").splitlines()[-5:])
        raise RuntimeError(f"mace's training failed (exit status {finished.returncode}); the end of {log_path}:\n"
                           f"{tail}")


def _epochs_trained(log_path):
    """The number of epochs mace's log reports as evaluated."""
    return sum("Epoch" in line and "loss=" in line for line in log_path.read_text(encoding="utf-8").splitlines())


def _encode(config):
    """mace's model config as JSON values: classes and functions by name, Irreps as text, arrays as lists."""
    encoded = {}
    for key, value in config.items():
        if key in CLASSES:
            value = value.__name__
        elif key in IRREPS:
            value = None if value is None else str(value)
        elif key == "gate":
            value = None if value is None else value.__name__
        elif isinstance(value, (np.ndarray, torch.Tensor)):
            value = value.tolist()
        encoded[key] = value
    return encoded


def _decode(encoded):
    """mace's model config from `_encode`'s JSON; class names are looked up in mace.modules.blocks only, gates in
    GATES only. ValueError names an unknown one."""
    config = dict(encoded)
    for key in CLASSES:
        cls = getattr(blocks, str(config[key]), None)
        if not isinstance(cls, type):
            raise ValueError(f"{key}: {config[key]!r} is not a block of mace.modules.blocks")
        config[key] = cls
    for key in IRREPS:
        config[key] = None if config.get(key) is None else o3.Irreps(config[key])
    if config.get("gate") not in GATES:
        raise ValueError(f"gate: {config['gate']!r} is not one of {', '.join(map(str, GATES))}")
    config["gate"] = GATES[config.get("gate")]
    for key in ARRAYS:
        config[key] = np.array(config[key])
    config["atomic_numbers"] = torch.tensor(config["atomic_numbers"])
    return config
