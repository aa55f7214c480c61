"""The package's own code is imported at module level; a function-level import of it only
defers a heavy optional dependency, and says so in a comment on the same or previous line."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "flightprice"

# Every module complies; a new offender fails the test below.
ALLOWED: set[str] = set()


def _own(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "flightprice"
    return any(alias.name.split(".")[0] == "flightprice" for alias in node.names)


def uncommented_function_imports(path: Path) -> list[str]:
    """Return `line: source` of each function-level own-package import lacking a comment."""
    lines = path.read_text().splitlines()
    found = []
    for func in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom) and _own(node):
                same, previous = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "#" not in same and not previous.startswith("#"):
                    found.append(f"{node.lineno}: {same.strip()}")
    return found


def test_the_scanner_finds_an_uncommented_import_and_accepts_a_commented_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def a():\n    from flightprice import registry\n\n"
        "def b():\n    # Deferred: xgboost is heavy.\n    from flightprice.train import model\n\n"
        "def c():\n    from . import x  # deferred: pandas\n\n"
        "def d():\n    import json\n"
    )
    assert uncommented_function_imports(module) == ["2: from flightprice import registry"]


def test_no_uncommented_function_level_import_of_own_code():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name not in ALLOWED and (found := uncommented_function_imports(path)):
            offenders[name] = found
    assert offenders == {}, "comment the dependency each import defers, or import at the top"


def test_the_allow_list_names_only_current_offenders():
    clean = [n for n in sorted(ALLOWED) if not uncommented_function_imports(PACKAGE / n)]
    assert clean == [], "remove these from ALLOWED: they are clean now"


def _module_name(path: Path) -> str:
    parts = ("flightprice", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path, modules: set[str]) -> set[str]:
    """Return the flightprice modules `path` imports when it is imported (not TYPE_CHECKING)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break
            if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("flightprice"):
                for alias in sub.names:
                    child = f"{sub.module}.{alias.name}"
                    found.add(child if child in modules else sub.module)
            elif isinstance(sub, ast.Import):
                found |= {a.name for a in sub.names if a.name.startswith("flightprice")}
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle through each strongly connected group of modules (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: module_level_imports(path, set(paths)) & set(paths)
             for name, path in paths.items()}  # fmt: skip
    assert import_cycles(graph) == []
