"""Install hints name extras that exist: every ``topicscope[NAME]`` and ``missing_extra(..., NAME, ...)``."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from topicscope.exceptions import EXTRAS, MissingDependencyError, missing_extra

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "topicscope"


def pyproject_extras() -> set[str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return set(tomllib.load(fh)["project"]["optional-dependencies"])


def hints_in_source() -> list[tuple[str, int, str | None]]:
    """(file, line, extra) of every install hint in the package and its docs; None = "reinstall topicscope"."""
    found: list[tuple[str, int, str | None]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        for match in re.finditer(r"topicscope\[([^\]]*)\]", text):
            if rel == "src/topicscope/exceptions.py" and match.group(1) == "{extra}":
                continue  # missing_extra's own message template; it checks extra against EXTRAS
            found.append((rel, text.count("\n", 0, match.start()) + 1, match.group(1)))
        for node in ast.walk(ast.parse(text, filename=rel)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "missing_extra"
            ):
                arg = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "extra")
                if not isinstance(arg, ast.Constant) or not (arg.value is None or isinstance(arg.value, str)):
                    found.append((rel, node.lineno, f"<not a literal: {ast.unparse(arg)}>"))
                else:
                    found.append((rel, node.lineno, arg.value))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        for match in re.finditer(r"topicscope\[([^\]]*)\]", text):
            found.append((str(path.relative_to(ROOT)), text.count("\n", 0, match.start()) + 1, match.group(1)))
    return found


def test_known_extras_match_pyproject():
    assert set(EXTRAS) == pyproject_extras()


def test_every_install_hint_names_an_existing_extra():
    hints = hints_in_source()
    # The scan finds the hints it must find (it is not vacuous).
    assert ("src/topicscope/cli.py", "parquet") in {(f, e) for f, _, e in hints}
    assert sum(1 for *_, e in hints if e == "llm") >= 2
    extras = pyproject_extras()
    wrong = [f"{f}:{line}: {extra!r}" for f, line, extra in hints if extra is not None and extra not in extras]
    assert not wrong, f"install hints naming extras that pyproject.toml does not define {sorted(extras)}: {wrong}"


def test_missing_extra_messages():
    cause = ImportError("No module named 'httpx'")
    err = missing_extra("httpx", "llm", cause)
    assert isinstance(err, MissingDependencyError) and isinstance(err, ImportError)
    assert (
        str(err)
        == 'httpx is needed for this feature but is not installed; install it with: pip install "topicscope[llm]"'
    )
    assert err.__cause__ is cause
    core = missing_extra("umap-learn", None, cause)
    assert "topicscope[" not in str(core)
    assert "reinstall topicscope (pip install topicscope) or pip install umap-learn" in str(core)
    with pytest.raises(ValueError, match=re.escape(f"extra must be one of {EXTRAS} or None") + ".*got 'core'"):
        missing_extra("igraph", "core", cause)
