"""Build the single-file HTML report: data blocks (``report.data``) + the page's assets, inlined once.

The page is ``assets/report.html`` with its stylesheet (``report.css``) and script
(``report.js``) inlined, and the data in a ``<script type="application/json">`` block. Nothing
is ever fetched: no CDN, font, image or request of any kind, and the page's Content-Security-Policy
says so too (``default-src 'none'``, ``connect-src`` unset, the one script and stylesheet allowed by
their SHA-256 hashes), so even a script injected into the page could neither run nor send anything.

Escaping: the data is JSON with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX``
escapes, so no text in it can close the ``<script>`` block or start markup; the page reads it with
``JSON.parse`` and renders every value with ``textContent`` or SVG/canvas text, never as HTML.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..state import TopicState
from . import data as blocks

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_DATA_MARK = "<!--DATA-->"
_STYLE_MARK = "/*STYLE*/"
_SCRIPT_MARK = "/*SCRIPT*/"
_CSP_MARK = "CSP-POLICY"


def script_json(data: Any) -> str:
    """``data`` as JSON safe to put inside ``<script type="application/json">`` (see the module notes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_html(data: dict[str, Any]) -> str:
    """The report page: template, stylesheet, script and ``data``, with a CSP that allows only those."""
    template = _asset("report.html")
    style = "\n" + _asset("report.css")
    script = "\n" + _asset("report.js")
    for name, text in (("report.css", style), ("report.js", script)):
        lowered = text.lower()
        if any(mark in lowered for mark in ("</", "<!--", "<script")):
            raise RuntimeError(f"the report asset {name} contains '</', '<!--' or '<script', which break its block")
    csp = (
        "default-src 'none'; "
        f"script-src {_sha256(script)}; style-src {_sha256(style)}; "
        "base-uri 'none'; form-action 'none'"
    )
    head, _, rest = template.partition(_STYLE_MARK)
    middle, _, rest = rest.partition(_DATA_MARK)
    body, _, tail = rest.partition(_SCRIPT_MARK)
    if not (head and middle and body and tail) or head.count(_CSP_MARK) != 1:
        raise RuntimeError("the report template lost one of its markers")
    # The data goes in last, between fixed pieces: no later replacement can touch it.
    return "".join([head.replace(_CSP_MARK, csp), style, middle, script_json(data), body, script, tail])


def report_data(
    state: TopicState,
    layout: np.ndarray,
    *,
    overview: list[list[str]],
    hierarchy: Any = None,
    over_time: Any = None,
    per_class: Any = None,
    documents: Sequence[str] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """The report's data as one JSON-ready dict (see ``report.data`` for each block).

    ``documents`` (the training documents, in order) are put in only when given: the caller
    passes them only when the user asked for document text (``with_documents``).
    """
    from ..viz.layout import topic_positions

    n = len(state.doc_topics)
    if layout.shape != (n, 2):
        raise InputError(f"the 2-D layout must have one row per training document ({n}); got shape {layout.shape}")
    if documents is not None and len(documents) != n:
        raise InputError(f"documents must be the {n} training documents; got {len(documents)}")
    ids = [int(t) for t in state.topic_ids]
    positions = topic_positions(layout, state.doc_topics, ids)
    with_docs = documents is not None
    anchors = blocks.label_anchors(layout, state.doc_topics, state.topic_ids, positions)
    records = blocks.topic_records(state, positions, anchors, documents, with_representative=with_docs)
    tree = blocks.parse_tree(hierarchy) if hierarchy is not None and len(hierarchy) else None
    n_topics = sum(1 for t in ids if t != -1)
    return {
        "title": title or f"Topics of {n:,} documents",
        "overview": overview,
        "withDocuments": with_docs,
        "topics": records,
        "points": blocks.point_block(layout, state.doc_topics, state.topic_ids),
        "snippets": [blocks.snippet(d) for d in documents] if documents is not None else None,
        "levels": blocks.label_levels(records, tree),
        "tree": blocks.tree_block(tree),
        "overTime": blocks.over_time_block(over_time),
        "perClass": blocks.per_class_block(per_class),
        "counts": {"documents": n, "topics": n_topics, "rows": len(records)},
    }


def build_report(
    state: TopicState,
    layout: np.ndarray,
    *,
    overview: list[list[str]],
    hierarchy: Any = None,
    over_time: Any = None,
    per_class: Any = None,
    documents: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """The whole report as one HTML string (see ``report_data`` for the arguments)."""
    data = report_data(
        state,
        layout,
        overview=overview,
        hierarchy=hierarchy,
        over_time=over_time,
        per_class=per_class,
        documents=documents,
        title=title,
    )
    return render_html(data)


def check_output_path(path: Any) -> Path:
    """``path`` as a Path to a file whose folder exists (an InputError naming ``path`` otherwise)."""
    if not isinstance(path, (str, Path)) or not str(path):
        raise InputError(f"path must be a file path (str or Path) for the HTML report; got {path!r}")
    target = Path(path)
    if target.is_dir():
        raise InputError(f"path must be a file for the HTML report; {str(target)!r} is a folder")
    if not target.parent.is_dir():
        raise InputError(f"path: the folder {str(target.parent)!r} does not exist")
    return target


def write_report(path: Path, html: str) -> Path:
    """Write ``html`` to ``path`` (UTF-8; a stray lone surrogate becomes a JSON ``\\uXXXX`` escape)."""
    path.write_bytes(html.encode("utf-8", errors="backslashreplace"))
    return path


def utc_now() -> str:
    """The current UTC time, to the second, for the overview."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
