"""Real corpora available on any machine, offline: docstrings of the installed Python packages."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

_SKIP_PARTS = {"tests", "test", "testing", "_vendor", "vendor", "__pycache__", "examples"}


def _package_roots() -> list[Path]:
    roots = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path and Path(path).is_dir() and Path(path) not in roots:
            roots.append(Path(path))
    return roots


def docstrings_corpus(max_per_package: int = 50, min_chars: int = 200, max_chars: int = 1000) -> list[dict[str, str]]:
    """Module, class and function docstrings of installed packages, labelled by top-level package.

    Source files are parsed with ``ast`` (never imported). Each package contributes at most
    ``max_per_package`` docstrings of at least ``min_chars`` characters, in a stable order.
    """
    rows: list[dict[str, str]] = []
    roots = [*_package_roots(), Path(sysconfig.get_paths()["stdlib"])]
    seen_pkgs: set[str] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for pkg in sorted(p for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
            name = pkg.name
            if name in seen_pkgs or name.startswith("_") or name == "site-packages":
                continue
            seen_pkgs.add(name)
            texts: list[str] = []
            for file in sorted(pkg.rglob("*.py")):
                if _SKIP_PARTS & set(file.relative_to(pkg).parts[:-1]) or file.name.startswith("test_"):
                    continue
                texts.extend(t[:max_chars] for t in _docstrings(file, min_chars))
                if len(texts) >= max_per_package:
                    break
            rows.extend({"text": t, "label": name} for t in dict.fromkeys(texts[:max_per_package]))
    return rows


def _docstrings(path: Path, min_chars: int) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc and len(doc) >= min_chars:
                out.append(" ".join(doc.split()))
    return out
