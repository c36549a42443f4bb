"""The layering of ARCHITECTURE.md: no import cycles between the package's modules and subpackages."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"symbolicpot": ROOT / "symbolicpot", "symbolicpot.fitness": ROOT / "fitness",
            "symbolicpot.operators": ROOT / "operators"}


def modules():
    """{dotted module name: (path, is a package __init__)} of every module of symbolicpot."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [part for part in path.relative_to(folder).with_suffix("").parts if part != "__init__"]
            found[".".join([package, *parts])] = (path, path.name == "__init__.py")
    return found


def unit(name):
    """The unit the layering is about: a subpackage (symbolicpot.run) or a top-level module (symbolicpot.compare)."""
    return ".".join(name.split(".")[:2])


def import_graph():
    """{unit: {units it imports}}, every import counted (at module level and inside functions alike)."""
    graph = {}
    for name, (path, is_package) in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    targets = [".".join(base + ([node.module] if node.module else []))]
                else:
                    targets = [node.module]
                if not node.module:  # "from . import x": x is a module of the package
                    targets = [f"{targets[0]}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("symbolicpot") and unit(target) != unit(name):
                    graph.setdefault(unit(name), set()).add(unit(target))
    return graph


def test_the_import_graph_has_no_cycles():
    graph = import_graph()
    assert graph["symbolicpot.run"] >= {"symbolicpot.search"}  # the walk sees imports (a check that can fail)
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)
