"""The reports package has no import cycle (run, csv_parts and vector_csv once imported each other), counting the
imports made inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import chargeledger.reports

ROOT = Path(chargeledger.reports.__file__).parent


def _graph() -> dict[str, set[str]]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    graph[name] |= {full} if full in modules else ({target} if target in modules else set())
    return graph


def test_no_module_of_the_package_imports_itself_through_others():
    graph = _graph()
    assert "reports.run" in graph and "reports.pipeline" in graph["reports.run"]
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif not state.get(target):
                visit(target, path)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if not state.get(name):
            visit(name, [])
    assert cycles == []
