"""The schema of a run config: every key of `symbolicpot evolve`'s TOML with its type, default, documentation and
the SearchConfig field it sets, and the text `symbolicpot init-config` writes from it. Validation and resolution:
run.config."""
from dataclasses import dataclass, fields

import tomlkit

from ..expr import PRIMITIVES
from ..fitness import ErrorWeights
from ..operators import OperatorConfig
from ..search.constants import TuningConfig
from ..search.engine import SearchConfig


@dataclass(frozen=True)
class Key:
    """One setting: its TOML type (`kind`), default (None: absent unless given), one line of documentation, and the
    SearchConfig field it sets (`field`; None for settings read elsewhere)."""
    name: str
    kind: str
    default: object
    doc: str
    minimum: float | None = None  # ints and numbers: smallest allowed value
    exclusive: bool = False       # the minimum itself is not allowed
    field: str | None = None


KINDS = {  # kind -> the expected type, as error messages name it
    "int": "an integer", "number": "a number", "bool": "a boolean (true or false)", "string": "a string",
    "paths": "a list of paths (strings)", "strings": "a list of strings", "formulas": "a list of formulas (strings)",
    "primitives": "a list of primitive symbols (strings)", "int_pair": "a [low, high] pair of integers",
    "number_pair": "a [low, high] pair of numbers", "path": "a path (string)",
    "weights": "a table of names and numbers > 0, e.g. {a0_fcc = 2.0}",
    "duration": 'a duration such as "90s", "30m", "2h", "1d" or a number of seconds',
    "numbers": "a list of numbers", "table": "a table of keyword arguments, e.g. {asap_cutoff = true}",
}

# One line of documentation per setting of the engine's dataclasses ([operators], [tuning], [weights]); the keys
# themselves, their defaults and types come from the dataclasses, so a setting the engine adds is configurable at once.
DOCS = {
    "primitives": f"enabled operations, of: {', '.join(PRIMITIVES)}",
    "max_size": "nodes of a formula, constants included",
    "max_depth": "edges from the root to the deepest leaf",
    "max_sums": "sum(...) nodes of a formula",
    "init_depth": "depth range of random initial formulas",
    "grow_leaf_probability": "grow method: chance that a node above the depth limit is a leaf",
    "r_probability": "chance that a new pair-level leaf is r (r, s or c in a sum3) rather than a constant",
    "three_body_probability": "chance that a new sum is a three-body sum3(h(r, s, c)); 0: pair sums only",
    "nocut_probability": "chance that a new sum has no smooth cutoff (nocut: it must vanish at r_out by itself, "
                         "e.g. exp(c/(r - r_out))); 0: never",
    "integer_constant_probability": "chance that a new constant is an integer (exponents such as -12, -6, 2)",
    "integer_constant_range": "range of integer constants (also of pair-level exponents: r^-12, r^-6)",
    "constant_magnitude_range": "log-uniform range of other constants' magnitudes",
    "atom_exponent_range": "uniform range of new atom-level exponents (the 0.5 of Sutton-Chen's embedding)",
    "crossover_probability": "chance of crossover, else one mutation chosen by the weights below",
    "point_weight": "mutation: swap an operator or a leaf",
    "subtree_weight": "mutation: replace a subtree by a random one",
    "hoist_weight": "mutation: replace a formula by one of its subtrees",
    "shrink_weight": "mutation: replace a subtree by a leaf",
    "insert_weight": "mutation: wrap a subtree in a new operator",
    "constant_weight": "mutation: perturb constants",
    "wrap_in_sum_weight": "mutation: turn an atom-level constant c into sum(c*g)",
    "unwrap_weight": "mutation: replace a sum by one of its r-free parts",
    "embed_weight": "mutation: embed a part holding a sum, S -> S^q or S + S^q",
    "shift_weight": "mutation: shift a variable, r -> r - k or c -> c - k (Morse's r - r0, SW's cos + 1/3)",
    "power_weight": "mutation: raise a part of a sum's expression to a fresh power, X -> X^n",
    "per_species": "on data of several species: each species gets its own term (Ni: T_Ni; Al: T_Al)",
    "copy_term_probability": "per-species terms: chance that a child copies one species' term over another's",
    "constant_sigma": "relative step of constant perturbation",
    "perturb_all_probability": "constant perturbation: chance to move all constants at once rather than one",
    "energy": "weight of the standardised energy error (per atom)",
    "forces": "weight of the standardised force error",
    "stress": "weight of the standardised stress error",
    "polish": 'final local method of constant tuning: "lm" (Levenberg-Marquardt) or "cg" (conjugate gradient)',
    "polish_evaluations": "its budget per candidate: LM evaluations or CG iterations",
    "cg_iterations": "conjugate-gradient iterations per candidate",
    "cma_evaluations": "CMA-ES budget (constant vectors) for formulas with a constant exponent; 0: never",
    "cma_popsize": "constant vectors per CMA-ES generation",
    "cma_sigma": "CMA-ES initial step, relative to each constant",
    "cache_size": "structures whose best tuning an island remembers (least recently used forgotten first)",
}
ENGINE_SECTIONS = {"operators": OperatorConfig, "weights": ErrorWeights, "tuning": TuningConfig}

_SEARCH_DEFAULTS = SearchConfig()


def _kind(name, default):
    """The TOML kind of a dataclass setting, from its default value."""
    if name == "primitives":
        return "primitives"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "number"
    if isinstance(default, str):
        return "string"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, int) for v in default):
        return "int_pair"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
        return "number_pair"
    if isinstance(default, tuple) and all(isinstance(v, str) for v in default):
        return "strings"
    raise TypeError(f"no config type for the setting {name} = {default!r}")


def _engine_keys(cls):
    defaults = cls()
    keys = []
    for f in fields(cls):
        if not f.metadata.get("config_key", True):  # set from the data, not by a user
            continue
        default = getattr(defaults, f.name)
        kind = _kind(f.name, default)
        minimum = 0.0 if cls is ErrorWeights else None
        keys.append(Key(f.name, kind, list(default) if isinstance(default, tuple) else default,
                        DOCS.get(f.name, f.name.replace("_", " ")), minimum=minimum))
    return tuple(keys)


TOP_LEVEL = (Key("seed", "int", 0, "seed of the search: the same config and seed give the same front, bit for bit",
                 minimum=0, field="seed"),)

SECTIONS = {
    "data": (
        Key("train", "paths", [], "training data: POET folders, folders of POET folders, or files ase.io reads "
                                  "(extended XYZ, OUTCAR, vasprun.xml); relative to this file"),
        Key("groups", "strings", [], "group names, one per train path (default: the paths' last two components)"),
        Key("test", "paths", [], "separate test data (same forms as train); when empty, test_fraction splits train"),
        Key("test_fraction", "number", 0.2, "share of each group's configurations held out for testing when "
                                            "there is no test data (0: no test set)", minimum=0.0),
        Key("split_seed", "int", 0, "seed of that train/test split (independent of the search seed)", minimum=0),
        Key("weights", "weights", {}, 'weights of groups in the error objective, e.g. {"DFT_Cu/lowIndexSurfaces" '
                                      '= 5.0}; groups not named weigh 1', field="group_weights"),
        Key("species", "strings", [], 'the species of the data in the order formulas name them, e.g. ["Ni", "Al"] '
                                      '(default: the data\'s, alphabetical); must name exactly the data\'s species'),
    ),
    "cutoff": (
        Key("r_in", "number", 3.0, "Å, inner radius of the smooth cutoff f (f = 1 below)", minimum=0.0, field="r_in"),
        Key("r_out", "number", 5.0, "Å, outer radius (f = 0 from here)", minimum=0.0, exclusive=True, field="r_out"),
    ),
    "search": (
        Key("islands", "int", _SEARCH_DEFAULTS.islands, "independent populations, ring migration between them",
            minimum=1, field="islands"),
        Key("population", "int", _SEARCH_DEFAULTS.population, "individuals per island", minimum=1, field="population"),
        Key("immigrants", "int", _SEARCH_DEFAULTS.immigrants, "fresh random formulas per island and generation",
            minimum=0, field="immigrants"),
        Key("tournament", "int", _SEARCH_DEFAULTS.tournament, "tournament size of parent selection", minimum=1, field="tournament"),
        Key("migration_interval", "int", _SEARCH_DEFAULTS.migration_interval,
            "generations between migrations (checkpoints, front.json and log.jsonl do not wait for them)",
            minimum=1, field="migration_interval"),
        Key("migrants", "int", _SEARCH_DEFAULTS.migrants, "best individuals sent to the next island at a migration",
            minimum=0, field="migrants"),
        Key("workers", "int", 0, "local processes running islands without a [parallel] scheduler; 0: one per "
                                 "island up to the CPU cores (the front depends on neither)", minimum=0, field="workers"),
        Key("screen_fraction", "number", _SEARCH_DEFAULTS.screen_fraction,
            "share of the training configurations constants are tuned on", minimum=0.0, exclusive=True, field="screen_fraction"),
        Key("screen_atoms", "int", _SEARCH_DEFAULTS.screen_atoms,
            "at most this many atoms of them (tuning then costs the same however large the data)", minimum=1, field="screen_atoms"),
        Key("seeds", "formulas", [], 'formulas placed in every initial population, e.g. ["sum(r^-6)"]', field="seeds"),
    ),
    "parallel": (
        Key("scheduler", "string", None, 'Dask scheduler running the islands: "local:N" (a local cluster of N '
                                         'worker processes) or "tcp://HOST:PORT"; none: [search] workers', field="scheduler"),
    ),
    "stop": (
        Key("generations", "int", _SEARCH_DEFAULTS.generations, "generations per island", minimum=1, field="generations"),
        Key("time_limit", "duration", None, 'wall clock, e.g. "90s", "30m", "2h", "1d" or seconds; a generation '
                                            'under way at the limit is abandoned', field="time_limit"),
        Key("evaluations", "int", None, "formula evaluations (all islands)", minimum=1, field="max_evaluations"),
        Key("target_error", "number", None, "standardised training error (the error objective's square root)",
            minimum=0.0, field="target_error"),
    ),
    **{section: _engine_keys(cls) for section, cls in ENGINE_SECTIONS.items()},
    "properties": (
        Key("use", "strings", [], "0 K properties fitted in the search as a fourth objective (names as in "
                                  "`symbolicpot properties`, or \"all\": every one the search computes); empty: none"),
        Key("reference", "path", None, "reference values, POET's TargetProperties_0K.data format (default: the "
                                       "shipped DFT copper file)"),
        Key("element", "string", "Cu", "the element of the crystals"),
        Key("lattice", "string", "fcc", "its ground-state lattice: fcc, bcc or hcp (a model whose ground state is "
                                        "another is unphysical)"),
        Key("weights", "weights", {}, "weights of the properties in the property error, e.g. {dE_hcp_fcc = 3.0}; "
                                      "others weigh 1"),
        Key("screen", "number", 2.0, "properties are computed for candidates whose error is at most this many "
                                     "times the best of their island", minimum=1.0),
    ),
    # `symbolicpot learn` (symbolicpot.learn): explore by MD, select by committee disagreement, label, refit. Each
    # refit is an evolve run of this config on the grown data, under its [stop] rules.
    "learn": (
        Key("structures", "strings", [], 'starting crystals by ASE bulk name, e.g. ["Cu"] (cubic cells)'),
        Key("lattice", "string", None, "their crystal structure, e.g. fcc, bcc, hcp (default: ASE's reference)"),
        Key("lattice_constant", "number", None, "Å (default: ASE's reference)", minimum=0.0, exclusive=True),
        Key("supercell", "int", 2, "the bulk cells repeated n x n x n", minimum=1),
        Key("structure_files", "paths", [], "more starting structures: every configuration of files ase.io reads "
                                            "(slabs, vacancies, liquids), as they are"),
        Key("temperatures", "numbers", [300.0], "K, Langevin MD of every starting structure at each", minimum=0.0),
        Key("strains", "numbers", [0.0], "isotropic linear strains of the starting cells (0.02: +2 %), each "
                                         "combined with each temperature", minimum=-0.5),
        Key("pressures", "numbers", [], "GPa: MD at each constant pressure (hydrostatic barostat; cells periodic in "
                                        "3D), combined with each temperature and strain (default: none, the "
                                        "strained cell fixed)"),
        Key("md_steps", "int", 200, "MD steps per structure, temperature and strain", minimum=1),
        Key("timestep", "number", 2.0, "fs", minimum=0.0, exclusive=True),
        Key("friction", "number", 0.01, "Langevin friction, 1/fs", minimum=0.0),
        Key("snapshot_interval", "int", 10, "MD steps between candidate snapshots", minimum=1),
        Key("lammps_atoms", "int", 500, "cells of at least this many atoms run MD in LAMMPS through the model's "
                                        "compiled plugin (smaller ones in ASE)", minimum=1),
        Key("committee_factor", "number", 1.5, "the committee: front models whose training error is within this "
                                               "factor of the best, and at least the two best", minimum=1.0),
        Key("committee_size", "int", 8, "at most this many of them (the most accurate)", minimum=2),
        Key("force_threshold", "number", 0.1, "eV/Å: a snapshot is selected when the committee's largest per-atom "
                                              "force spread exceeds it", minimum=0.0, exclusive=True),
        Key("force_ceiling", "number", 1.0, "eV/Å: snapshots whose force spread exceeds it are not labelled (a model "
                                           "far outside its data, e.g. collapsing: DP-GEN's trust_hi)", minimum=0.0,
            exclusive=True),
        Key("energy_threshold", "number", None, "eV/atom: or when the spread of its energy per atom exceeds it "
                                                "(default: forces only)", minimum=0.0, exclusive=True),
        Key("grade_threshold", "number", None, "or when the best model's extrapolation grade exceeds it: the largest "
                                               "distance of an atom's neighbour sum outside its training range, in "
                                               "units of the range's width (default: committee only)", minimum=0.0,
            exclusive=True),
        Key("min_separation", "int", 50, "MD steps between two snapshots selected from one trajectory", minimum=0),
        Key("max_selected", "int", 10, "snapshots labelled per iteration, the most uncertain first", minimum=1),
        Key("calculator", "string", None, 'the labeller as an ASE calculator class by import path, e.g. '
                                          '"ase.calculators.emt.EMT" (one of calculator, potential, command)'),
        Key("calculator_kwargs", "table", {}, "its keyword arguments"),
        Key("potential", "string", None, "or a potential symbolicpot loads (e.g. eam:Cu_u3: LAMMPS)"),
        Key("command", "string", None, "or a command reading extended XYZ {input} and writing it labelled to "
                                       "{output}"),
        Key("iterations", "int", 10, "explore-label-refit iterations at most", minimum=1),
        Key("labels", "int", None, "labelled configurations at most (default: no limit)", minimum=1),
        Key("time_limit", "duration", None, "wall clock of the whole loop, checked between its steps"),
    ),
}
# [cost] is special: a table in the format `symbolicpot calibrate --out` writes, the path of such a file, or a table
# holding only `target` ("lammps" or "evaluator": that target's built-in model).
SECTION_ORDER = ("data", "cutoff", "search", "parallel", "stop", "operators", "weights", "tuning", "properties",
                 "learn", "cost")

# Where each SearchConfig field lives in a config (for error messages): from the keys' `field`.
SEARCH_FIELDS = {key.field: f"[{section}] {key.name}" if section else key.name
                  for section, keys in ((None, TOP_LEVEL), *SECTIONS.items()) for key in keys if key.field}


def default_config_text(data=None):
    """The commented default config `symbolicpot init-config` writes; `data` fills [data] train."""
    out = ["# symbolicpot evolve config (TOML). Every key is optional except [data] train (or --data on the command",
           "# line); commented keys show their defaults. Paths are relative to this file's folder. Run it with",
           "#   symbolicpot evolve THIS_FILE.toml --out runs/NAME",
           "# and inspect the front with `symbolicpot front runs/NAME` (also while the run goes on).", ""]
    def line(setting, doc):
        return f"{setting:<38} # {doc}"
    for key in TOP_LEVEL:
        out.append(line(f"{key.name} = {toml_value(key.default)}", key.doc))
    for section, keys in SECTIONS.items():
        out += ["", f"[{section}]"]
        for key in keys:
            if section == "data" and key.name == "train":
                out.append(line(f"train = {toml_value(list(data or []))}", key.doc))
            elif key.default is None:
                example = {"time_limit": '"2h"', "evaluations": "1000000", "target_error": "0.001",
                           "scheduler": '"tcp://HOST:8786"', "reference": '"TargetProperties_0K.data"',
                           "lattice": '"fcc"', "lattice_constant": "3.61", "energy_threshold": "0.005",
                           "grade_threshold": "0.5",
                           "calculator": '"ase.calculators.emt.EMT"', "potential": '"eam:Cu_u3"',
                           "command": '"label.sh {input} {output}"', "labels": "200"}[key.name]
                out.append(line(f"# {key.name} = {example}",
                                key.doc if "(default" in key.doc else f"{key.doc} (default: none)"))
            else:
                out.append(line(f"# {key.name} = {toml_value(key.default)}", key.doc))
    out += ["", "# The speed objective's cost model (ns per atom of one energy + forces + virial evaluation): by",
            "# default the built-in one of the deployed potential, the exported LAMMPS plugin with tabulated pair",
            "# functions, where a formula costs by its distinct sums and atom-level nodes. To price the evaluator",
            "# of the search instead (every node of every pair function):",
            '#   [cost]',
            '#   target = "evaluator"',
            "# For this machine's figures, run",
            "#   symbolicpot calibrate --target lammps --out cost.toml      (or --target evaluator)",
            '# and either paste its [cost] tables here or set  cost = "cost.toml"  at the top of this file.', ""]
    return "\n".join(out)


def toml_value(value):
    """TOML text of one config value (a dict as an inline table)."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table.as_string()
    return tomlkit.item(value).as_string()
