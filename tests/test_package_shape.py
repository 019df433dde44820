"""The package stays readable: small files, short functions, and modules that do not import each other in a circle."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "idemlab"
MODULES = {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): path
           for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", MODULES)
def test_files_stay_under_300_lines_and_functions_under_60(name):
    source = MODULES[name].read_text()
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60]
    assert len(source.splitlines()) <= 300 and not long, (len(source.splitlines()), long)


def _imports(name: str) -> set[str]:
    """Return the package's modules that a module imports, at its top or inside its functions."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {module for module in found & MODULES.keys() if module != name}


def test_no_module_imports_itself_through_others():
    """A package's ``__init__`` that re-exports its own submodules is not a circle; anything else is."""
    graph = {name: _imports(name) for name in MODULES}
    within = lambda a, b: a.startswith(b + ".") or b.startswith(a + ".")
    circles = []

    def walk(path: list[str]) -> None:
        for following in graph[path[-1]]:
            if following == path[0] and not all(within(a, b) for a, b in zip(path, path[1:] + path[:1])):
                circles.append(" → ".join(path + [following]))
            elif following not in path and len(path) < 8:
                walk(path + [following])

    for name in MODULES:
        walk([name])
    assert not circles, circles[:5]
