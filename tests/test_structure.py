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


# --------------------------------------------------------------------- TopicModel's private attributes
# Nothing outside the estimator reads or writes its private attributes or calls its private methods.
# The estimator is TopicModel (model.py) and the classes it inherits from topicscope (the method
# mixins under methods/): a mixin's methods are the estimator's own, so ``self._state()`` there is
# fine, but an access on any other object (``model._state()``, ``merged._embedder_cache``,
# ``first._describer()``), anywhere outside model.py, is a reach-in. Other modules use the public API
# (``TopicModel.settings()``, ``embedder()``, ``install()``, ``state_``) and public functions.
_SELF = {"self", "cls"}
_ATTR_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_file(root: Path, module: str) -> Path | None:
    """The file of ``topicscope.a.b`` under ``root`` (the folder holding the ``topicscope`` package)."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _classes_of(root: Path, module: str, name: str, seen: set[tuple[str, str]]) -> list[ast.ClassDef]:
    """The class ``name`` of ``module`` and the topicscope classes it inherits, as parsed class bodies."""
    if (module, name) in seen:
        return []
    seen.add((module, name))
    path = _module_file(root, module)
    if path is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    imported: dict[str, tuple[str, str]] = {}  # local name -> (module, class name)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                source = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.startswith("topicscope"):
                for alias in node.names:
                    imported[alias.asname or alias.name] = (source, alias.name)
    found: list[ast.ClassDef] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            found.append(node)
            for base in node.bases:
                if isinstance(base, ast.Name):
                    target = imported.get(base.id, (module, base.id))
                    found += _classes_of(root, *target, seen)
    return found


def _estimator_private_names(root: Path) -> set[str]:
    """Private names TopicModel and its mixins define or assign: methods, class-level attributes and
    annotations, and ``self._x`` attributes used in their methods (dunder names excluded)."""
    names: set[str] = set()
    for cls in _classes_of(root, "topicscope.model", "TopicModel", set()):
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in _SELF:
                names.add(node.attr)
    return {n for n in names if _is_private(n)}


def _is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _SELF
    # super()._hook() inside a mixin is the model's own hook
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _reach_ins(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, what) for each read or write of one of ``names`` on an object other than self/cls:
    ``x._name`` (loads, stores, deletes) and ``getattr/setattr/hasattr/delattr(x, "_name")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in names and not _is_self(node.value):
            found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ATTR_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in names
            and not _is_self(node.args[0])
        ):
            found.append((node.lineno, f"{node.func.id}({ast.unparse(node.args[0])}, {node.args[1].value!r})"))
    return sorted(found)


def private_reach_ins(package: Path) -> list[str]:
    """Every reach-in into TopicModel's privates in the package folder ``package`` (model.py aside)."""
    names = _estimator_private_names(package.parent)
    out = []
    for path in sorted(package.rglob("*.py")):
        if path == package / "model.py":
            continue
        for line, what in _reach_ins(path.read_text(encoding="utf-8"), names):
            out.append(f"{path.relative_to(package.parent)}:{line}: {what}")
    return out


def test_private_names_of_the_estimator_are_collected():
    names = _estimator_private_names(SRC.parent)
    # model.py's own (methods, an annotated cache, an attribute set in a method) and a mixin hook
    assert {"_state", "_describer", "_embedder_cache", "_told_no_classifier", "_embedder"} <= names
    assert not any(n.startswith("__") and n.endswith("__") for n in names)


def test_the_reach_in_check_sees_every_form():
    names = {"_state", "_embedder_cache", "_check_params"}
    source = (
        "def fit(model, merged):\n"
        "    model._check_params(2**62)\n"  # a call
        "    merged._embedder_cache = None\n"  # a write
        "    x = getattr(model, '_state', None)\n"  # by name
        "    self._state()\n"  # the estimator's own (a mixin)
        "    super()._state()\n"
        "    model._other()\n"  # not the estimator's
    )
    assert [line for line, _ in _reach_ins(source, names)] == [2, 3, 4]


def test_nothing_outside_the_estimator_touches_its_private_attributes():
    """The Dask engine, persistence, the CLI, the report and the verbs use public methods and functions."""
    assert private_reach_ins(SRC) == []


# ------------------------------------------------------------------------------- settings in, state out
def test_settings_mirror_the_estimator_parameters():
    """``FitSettings`` has one field per ``TopicModel`` parameter, with the same defaults."""
    import dataclasses

    from topicscope import TopicModel
    from topicscope.settings import FitSettings

    params = TopicModel().get_params(deep=False)
    assert sorted(f.name for f in dataclasses.fields(FitSettings)) == sorted(params)
    assert dataclasses.asdict(FitSettings()) == params
    marker = object()
    settings = TopicModel(umap_model=marker, min_topic_size=7).settings()
    assert settings.umap_model is marker and settings.min_topic_size == 7  # the values as given
    try:
        settings.min_topic_size = 3  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("FitSettings must be frozen")


def test_settings_checks_need_no_document_count():
    """``check_params`` judges the settings alone; ``check_n_docs`` the number of documents."""
    import pytest

    from topicscope.exceptions import InputError
    from topicscope.pipeline import check_n_docs, check_params
    from topicscope.settings import FitSettings

    check_params(FitSettings(min_topic_size=5))
    with pytest.raises(InputError, match=r"min_topic_size must be an integer >= 2; got 0"):
        check_params(FitSettings(min_topic_size=0))
    check_n_docs(FitSettings(min_topic_size=5), 5)
    with pytest.raises(InputError, match=r"at least min_topic_size=5 to form a topic; got 4"):
        check_n_docs(FitSettings(min_topic_size=5), 4)
