"""The package's layers, as the folders show them (README "Layout"): imports point down, never up, and no
module imports itself back through others.

Layers, bottom first: the foundation (``errors``, ``status``, ``presets``, ``atomic`` at the package root) <
``data`` < ``check`` < ``engine`` < ``publish`` < ``app``; the package's ``__init__`` (the public API) sits above
them all. An import inside a function counts like one at the top (it runs all the same); an import under
``if TYPE_CHECKING:`` does not (it never runs: annotations only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "boundaries"
LAYERS = ("foundation", "data", "check", "engine", "publish", "app", "api")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "boundaries":
        return "api"
    return parts[1] if len(parts) > 2 or parts[1] in LAYERS else "foundation"


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> set[str]:
    """The package modules ``path`` imports at run time (absolute names; ``from x import y`` names x.y when y is
    a module of the package)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("boundaries"))
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import (the layers are read from absolute names)"
            if node.module and node.module.startswith("boundaries"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if module_path(sub) else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def module_path(module: str) -> Path | None:
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        graph.add_node(name)
        for target in imports(path):
            assert module_path(target), f"{name} imports {target}, which is not a module of the package"
            # a module inside a folder imports the folder's __init__ on the way: not an edge of its own
            if target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    return graph


def test_every_module_is_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        assert layer(module_name(path)) in LAYERS, path


def test_imports_point_down():
    graph = import_graph()
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = [f"{a} ({layer(a)}) imports {b} ({layer(b)})" for a, b in graph.edges if rank[layer(b)] > rank[layer(a)]]
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_the_foundation_imports_nothing_of_the_package():
    graph = import_graph()
    foundation = [n for n in graph if layer(n) == "foundation"]
    assert foundation, "no foundation modules found"
    for name in foundation:
        assert not list(graph.successors(name)), f"{name} imports {sorted(graph.successors(name))}"


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles[:5])


@pytest.mark.parametrize("folder", ["data", "check", "engine", "publish", "app"])
def test_each_layer_is_a_folder_with_its_reason(folder):
    init = PACKAGE / folder / "__init__.py"
    assert init.exists() and ast.get_docstring(ast.parse(init.read_text())), f"{folder}/ says what it is for"


def test_the_tests_mirror_the_layers():
    """Each layer folder of the package has a folder of tests beside the others (tests/<layer>/test_<module>.py);
    tests of the whole (the API, the layers, the README, the wheel, bad input everywhere) stay at the top."""
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == {p.name for p in tests.iterdir() if p.is_dir() and list(p.glob("test_*.py"))}
