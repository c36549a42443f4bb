"""Label: the labeller of a [learn] table (an ASE calculator by import path, a potential symbolicpot loads, or an
external command), and the extended XYZ file labelled configurations are appended to, one at a time.

A labeller takes an ase.Atoms and returns a copy holding energy (eV), forces (N, 3) eV/Å and, where it computes
one, the stress of a 3D periodic cell, in a SinglePointCalculator (what ase.io writes and data.read_ase reads).
"""
import importlib
import io
from pathlib import Path
import os
import shlex
import subprocess
import tempfile

import ase.io
from ase.calculators.singlepoint import SinglePointCalculator

from ..data.ase_io import read_ase

# Labellers known to be interatomic potentials: their labels stand in for DFT and are said to be so.
NOT_DFT = ("ase.calculators.emt.", "ase.calculators.lj.", "ase.calculators.morse.", "ase.calculators.eam.")


class LabelError(Exception):
    """A labeller failed on a configuration; the message names it, the labeller and what it said."""


def labeller(learn, where="config"):
    """The labeller a resolved [learn] table names (exactly one of calculator, potential, command); ValueError
    naming the key when none or several are given, or the calculator cannot be imported or built."""
    given = [name for name in ("calculator", "potential", "command") if learn[name] is not None]
    if len(given) != 1:
        problem = "names no labeller" if not given else f"names {len(given)} labellers ({', '.join(given)})"
        raise ValueError(f"{where}: [learn] {problem}: give one of calculator, potential or command")
    if learn["command"] is not None:
        if "{input}" not in learn["command"] or "{output}" not in learn["command"]:
            raise ValueError(f"{where}: [learn] command: {learn['command']!r} must name the files {{input}} and "
                             f"{{output}}")
        return CommandLabeller(learn["command"])
    if learn["potential"] is not None:
        from ..potentials import load_potential
        try:
            loaded = load_potential(learn["potential"])
        except ValueError as error:
            raise ValueError(f"{where}: [learn] potential: {error}") from None
        return CalculatorLabeller(loaded.calculator, f"{loaded.name} (an interatomic potential, not DFT)")
    return CalculatorLabeller(_calculator(learn["calculator"], learn["calculator_kwargs"], where),
                              learn["calculator"] + (" (an empirical potential, not DFT)"
                                                     if learn["calculator"].startswith(NOT_DFT) else ""))


def _calculator(path, kwargs, where):
    """An instance of the ASE calculator class at import path `path` ("package.module.Class") with `kwargs`."""
    module_name, _, class_name = path.rpartition(".")
    label = f"{where}: [learn] calculator: {path!r}"
    try:
        module = importlib.import_module(module_name)
    except (ImportError, ValueError) as error:
        raise ValueError(f"{label}: cannot import {module_name or path!r} ({error})") from None
    if not callable(getattr(module, class_name, None)):
        raise ValueError(f"{label}: module {module_name} has no calculator class {class_name!r}")
    try:
        return getattr(module, class_name)(**kwargs)
    except Exception as error:  # any calculator's own checks of its keyword arguments
        raise ValueError(f"{label} with calculator_kwargs {kwargs}: {type(error).__name__}: {error}") from None


class CalculatorLabeller:
    """Labels by an ASE calculator; `name` says which (and whether it is DFT) in logs and provenance."""

    def __init__(self, calculator, name):
        self.calculator, self.name = calculator, name

    def __call__(self, atoms):
        atoms = atoms.copy()
        atoms.calc = self.calculator
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
        if atoms.pbc.all() and "stress" in self.calculator.implemented_properties:
            labels["stress"] = atoms.get_stress()
        atoms.calc = SinglePointCalculator(atoms, **labels)
        return atoms


class CommandLabeller:
    """Labels by an external command that reads the extended XYZ file {input} (one configuration) and writes it
    labelled (energy and forces) to {output}; the placeholders are replaced in the command's words (no shell)."""

    def __init__(self, command):
        self.command, self.name = command, f"command `{command}`"

    def __call__(self, atoms):
        with tempfile.TemporaryDirectory(prefix="symbolicpot-label-") as folder:
            given, output = Path(folder) / "input.xyz", Path(folder) / "output.xyz"
            ase.io.write(given, atoms, format="extxyz")
            words = [word.replace("{input}", str(given)).replace("{output}", str(output))
                     for word in shlex.split(self.command)]
            done = subprocess.run(words, capture_output=True, text=True)
            if done.returncode:
                said = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
                raise RuntimeError(f"exit status {done.returncode}: {' / '.join(said) or 'no output'}")
            if not output.exists():
                raise RuntimeError("it wrote no {output} file")
            labelled = read_ase(output)
            if labelled.n_configs != 1 or labelled.n_atoms[0] != len(atoms):
                raise RuntimeError(f"{{output}} holds {labelled.n_configs} configurations of "
                                   f"{', '.join(map(str, labelled.n_atoms))} atoms, expected 1 of {len(atoms)}")
            missing = [name for name in ("energy", "forces") if name not in labelled.ase_labels(0)]
            if missing:
                raise RuntimeError(f"{{output}} holds no {' and no '.join(missing)}")
            return labelled.labelled_atoms(0)


def append_labelled(path, atoms):
    """Append one labelled configuration to the extended XYZ file `path`, on disk before this returns."""
    text = io.StringIO()
    ase.io.write(text, atoms, format="extxyz")
    with open(path, "a", encoding="utf-8") as file:
        file.write(text.getvalue())
        file.flush()
        os.fsync(file.fileno())
