"""Package structure: no import cycles between topicscope's modules and subpackages."""

from __future__ import annotations

import ast
from pathlib import Path

import topicscope

SRC = Path(topicscope.__file__).resolve().parent


def _component(module: str) -> str:
    """'topicscope.verbs.reduce' -> 'verbs'; 'topicscope.model' -> 'model'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports() -> dict[str, set[str]]:
    """Component -> components it imports, at module level or inside functions (lazy imports count)."""
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = module if rel.name == "__init__" else module.rsplit(".", 1)[0]
        src = _component(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                    targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
                elif node.module and node.module.startswith("topicscope"):
                    targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("topicscope")]
            for target in targets:
                dst = _component(target)
                if dst != src and dst != "topicscope":
                    graph.setdefault(src, set()).add(dst)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                if min(cycle) == cycle[0] and cycle not in found:
                    found.append(cycle)
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_no_import_cycles_between_modules():
    graph = _imports()
    assert "llm" in graph and "verbs" in graph  # the scan sees the package
    assert _cycles(graph) == []


def test_named_cycles_are_broken():
    graph = _imports()
    assert "verbs" not in graph.get("pipeline", set()) or "pipeline" not in graph.get("verbs", set())
    assert "representation" not in graph.get("llm", set())
