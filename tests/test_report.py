"""The single-file HTML report (``TopicModel.report``, ``topicscope report``) without a browser.

The page itself is driven in Chromium by test_report_browser.py; here: what the file holds
(no network reference, the CSP, the data and its escaping, privacy), the blocks built from the
verbs' tables, the layout reuse, and bad input.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

from test_cli import run
from topicscope import TopicModel
from topicscope.exceptions import InputError
from topicscope.report import builder, script_json
from topicscope.report import data as blocks
from topicscope.viz import layout as viz_layout

PAYLOAD = "</script><script>alert(1)</script>"


def report_data(html: str) -> dict:
    """The JSON data block of a report."""
    found = re.search(r'<script type="application/json" id="topicscope-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u2")


@pytest.fixture(scope="module")
def model(bbc):
    docs, _, emb = bbc
    return TopicModel(nr_topics=30, random_state=0).fit(docs, embeddings=emb)


@pytest.fixture(scope="module")
def reports(model, bbc, tmp_path_factory):
    """(html without documents, html with documents, time bins and classes)."""
    docs, labels, _ = bbc
    folder = tmp_path_factory.mktemp("report")
    stamps = [f"2021-{1 + i % 12:02d}-15" for i in range(len(docs))]
    plain = model.report(folder / "plain.html")
    full = model.report(folder / "full.html", docs, with_documents=True, timestamps=stamps, classes=labels)
    return plain.read_text(encoding="utf-8"), full.read_text(encoding="utf-8")


def test_one_file_that_references_nothing_outside(reports):
    for html in reports:
        assert len(re.findall(r"<script", html, re.I)) == 2  # the data block and the viewer
        assert not re.search(r"<link|<img|<iframe|\ssrc=|\shref=|@import|url\(", html, re.I)
        code = html.replace(report_data_text(html), "")
        # The only URL in the page is the SVG namespace (a name, never requested).
        assert re.findall(r"https?://[^\s'\"]*", code) == ["http://www.w3.org/2000/svg"]
        assert not re.search(r"fetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import\(", code)


def report_data_text(html: str) -> str:
    found = re.search(r'id="topicscope-data">(.*?)</script>', html, re.S)
    assert found is not None
    return found.group(1)


def test_content_security_policy_allows_only_the_inlined_script_and_style(reports):
    html = reports[0]
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in policy and "connect-src" not in policy  # connect falls back to 'none'
    script = re.findall(r"<script>(.*?)</script>", html, re.S)
    style = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(script) == len(style) == 1

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {digest(script[0])};" in policy
    assert f"style-src {digest(style[0])};" in policy


def test_counts_match_the_model(model, bbc, reports):
    docs = bbc[0]
    for html in reports:
        data = report_data(html)
        assert data["counts"] == {"documents": len(docs), "topics": 30, "rows": len(model.get_topic_info())}
        assert [t["id"] for t in data["topics"]] == model.get_topic_info().Topic.tolist()
        assert [t["size"] for t in data["topics"]] == model.get_topic_info().Count.tolist()
        points = data["points"]
        assert points["n"] == len(docs)
        rows = decode(points["topic"])
        assert np.array_equal(np.array([data["topics"][r]["id"] for r in rows]), np.asarray(model.topics_))
        lo_x, lo_y, hi_x, hi_y = points["bounds"]
        x = lo_x + decode(points["x"]) / 65535 * (hi_x - lo_x)
        y = lo_y + decode(points["y"]) / 65535 * (hi_y - lo_y)
        layout = model.state_.doc_layout
        assert np.abs(x - layout[:, 0]).max() <= (hi_x - lo_x) / 65535
        assert np.abs(y - layout[:, 1]).max() <= (hi_y - lo_y) / 65535


def test_document_text_only_with_documents(model, bbc, reports):
    docs = bbc[0]
    plain, full = (report_data(h) for h in reports)
    assert plain["withDocuments"] is False and plain["snippets"] is None
    assert all("docs" not in t for t in plain["topics"])
    # Pieces of text that would appear verbatim if the documents were in: present with them, absent without.
    represented = [d for ds in model.representative_docs_.values() for d in ds]
    pieces = [blocks.snippet(d)[:50] for d in docs[:200] + represented]
    pieces = [p for p in pieces if re.fullmatch(r"[A-Za-z0-9 ,.']{50}", p)]
    assert len(pieces) > 100
    assert not any(p in reports[0] for p in pieces)
    assert all(p in reports[1] for p in pieces)
    assert full["withDocuments"] is True
    assert full["snippets"] == [blocks.snippet(d) for d in docs]
    assert all(len(s) <= blocks.SNIPPET_CHARS for s in full["snippets"])
    assert all(t.get("docs") for t in full["topics"])


def test_script_json_escapes_what_could_end_the_block():
    value = {"label": PAYLOAD + " & <!-- \u2028\u2029 -->", "n": [1, 2.5, None]}
    text = script_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value


def test_a_label_cannot_close_the_data_block(model, tmp_path):
    state = model.state_
    saved = state.custom_labels
    try:
        model.set_topic_labels({0: PAYLOAD, 1: "<img src=x onerror=alert(2)>", 2: "a\u2028b & c"})
        html = model.report(tmp_path / "r.html").read_text(encoding="utf-8")
    finally:
        state.custom_labels = saved
    assert "alert(1)" not in html.replace("alert(1)\\u003c", "")  # only inside an escaped JSON string
    assert PAYLOAD not in html and "<img" not in html
    assert len(re.findall(r"<script", html, re.I)) == 2
    labels = {t["id"]: t["label"] for t in report_data(html)["topics"]}
    assert labels[0] == PAYLOAD and labels[1] == "<img src=x onerror=alert(2)>" and labels[2] == "a\u2028b & c"


def test_label_levels_partition_the_topics(reports):
    data = report_data(reports[0])
    topic_rows = {i for i, t in enumerate(data["topics"]) if t["id"] != -1}
    sizes = []
    for level in data["levels"]:
        rows = [r for cluster in level for r in cluster[4]]
        assert sorted(rows) == sorted(topic_rows)  # every topic once per level
        assert all(cluster[3] == sum(data["topics"][r]["size"] for r in cluster[4]) for cluster in level)
        sizes.append(len(level))
    assert sizes == [4, 8, 16, 30]
    assert [c[0] for c in data["levels"][-1]] == [data["topics"][r]["short"] for r in sorted(topic_rows)]


def test_label_levels_cut_the_highest_merges_first():
    records = [
        {"id": t, "size": 10 + t, "short": f"t{t}", "ax": float(t), "ay": 1.0, "name": f"{t}_w", "label": f"{t}_w"}
        for t in range(8)
    ]
    # ((0 1) (2 3)) ((4 5) (6 7)), merged at increasing distances
    tree = {
        "8": ("0", "1", 0.1, "a_b"),
        "9": ("2", "3", 0.2, "c_d"),
        "10": ("4", "5", 0.3, "e_f"),
        "11": ("6", "7", 0.4, "g_h"),
        "12": ("8", "9", 0.5, "ab_cd"),
        "13": ("10", "11", 0.6, "ef_gh"),
        "14": ("12", "13", 0.9, "root_word"),
    }
    levels = blocks.label_levels(records, tree)
    assert [len(level) for level in levels] == [4, 8]
    assert sorted((c[0], sorted(c[4])) for c in levels[0]) == [
        ("a, b", [0, 1]),
        ("c, d", [2, 3]),
        ("e, f", [4, 5]),
        ("g, h", [6, 7]),
    ]
    first = next(c for c in levels[0] if c[0] == "a, b")
    assert first[1:4] == [1.0, 1.0, 21]  # at the anchor of its larger topic (1: 11 documents)


def test_label_anchors_sit_on_a_document_of_the_topic():
    layout = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [6, 5], [4, 0.4]], dtype=np.float32)
    topics = np.array([0, 0, 0, 0, 1, 0])
    ids = np.array([-1, 0, 1])
    means = np.array([[np.nan, np.nan], layout[topics == 0].mean(axis=0), [6, 5]])
    anchors = blocks.label_anchors(layout, topics, ids, means)
    assert np.isnan(anchors[0]).all()  # no document: no anchor
    assert anchors[1].tolist() == pytest.approx([4, 0.4])  # the document nearest the mean (4.8, 0.4)
    assert anchors[2].tolist() == [6, 5]


def test_over_time_and_per_class_blocks(model, bbc, reports):
    docs, labels, _ = bbc
    plain, full = (report_data(h) for h in reports)
    assert plain["overTime"] is None and plain["perClass"] is None
    over = full["overTime"]
    assert over["bins"] == [f"2021-{m:02d}-15" for m in range(1, 13)]
    sizes = model.topic_sizes_
    assert {t: sum(counts) for t, counts, _ in over["series"]} == {t: n for t, n in sizes.items() if n}
    per = full["perClass"]
    assert sorted(per["classes"]) == sorted(set(labels)) and per["hidden"] == 0
    assert sum(c[2] for c in per["cells"]) == len(docs)
    assert per["totals"] == sorted(per["totals"], reverse=True)


def test_outliers_are_a_row_and_never_labelled(bbc, model, tmp_path):
    docs, labels, emb = bbc
    from topicscope.clustering import LabelsGiven

    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    y[:100] = -1
    manual = TopicModel(hdbscan_model=LabelsGiven(), random_state=0).fit(docs, embeddings=emb, y=y)
    manual.state_.doc_layout = model.state_.doc_layout  # the same documents: the same layout
    runs = viz_layout.LAYOUT_RUNS
    data = report_data(manual.report(tmp_path / "m.html").read_text(encoding="utf-8"))
    assert runs == viz_layout.LAYOUT_RUNS
    assert data["topics"][0]["id"] == -1 and data["topics"][0]["size"] == 100
    assert dict(data["overview"])["Outliers"] == "100 documents (4.5%)"
    assert dict(data["overview"])["Topics"].startswith("5 ")
    assert all(0 not in cluster[4] for level in data["levels"] for cluster in level)
    assert (decode(data["points"]["topic"])[:100] == 0).all()


def test_layout_is_computed_once_and_kept(model, tmp_path):
    assert viz_layout.layout_is_valid(model.state_)  # computed by the first report
    runs = viz_layout.LAYOUT_RUNS
    model.report(tmp_path / "again.html")
    assert runs == viz_layout.LAYOUT_RUNS
    model.save(tmp_path / "model")
    loaded = TopicModel.load(tmp_path / "model")
    html = loaded.report(tmp_path / "loaded.html").read_text(encoding="utf-8")
    assert runs == viz_layout.LAYOUT_RUNS
    assert report_data(html)["points"] == report_data((tmp_path / "again.html").read_text("utf-8"))["points"]


def test_bad_input_names_the_argument(model, bbc, tmp_path):
    docs = bbc[0]
    cases = [
        (dict(with_documents=True), "with_documents needs docs"),
        (dict(timestamps=["2020-01-01"] * len(docs)), "timestamps needs docs"),
        (dict(classes=["a"] * len(docs)), "classes needs docs"),
        (dict(docs=docs[:10]), f"docs must be the {len(docs)} training documents"),
        (dict(docs=[d + "!" for d in docs]), "their text differs"),
        (dict(docs=docs, with_documents="yes"), "with_documents must be True or False"),
        (dict(docs=docs, timestamps=["2020-01-01"] * 3), "timestamps"),
        (dict(title=3), "title must be a string"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            model.report(tmp_path / "bad.html", **kwargs)
    with pytest.raises(InputError, match="does not exist"):
        model.report(tmp_path / "missing" / "r.html")
    with pytest.raises(InputError, match="is a folder"):
        model.report(tmp_path)
    assert not (tmp_path / "bad.html").exists()


def test_overview_says_what_the_model_holds(reports):
    overview = dict(report_data(reports[0])["overview"])
    assert overview["Documents"] == "2,225"
    assert overview["Embedding model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert overview["Clustering"] == "GraphCommunities" and overview["Reduction"] == "none (Identity)"
    assert "nr_topics=30" in overview["Settings"] and overview["Fitted at"] == "not recorded by the model"


def test_render_refuses_an_asset_that_would_end_its_block(monkeypatch):
    real = builder._asset
    monkeypatch.setattr(
        builder, "_asset", lambda name: real(name) + ("x = '</script>';" if name.endswith(".js") else "")
    )
    with pytest.raises(RuntimeError, match="report.js"):
        builder.render_html({"x": 1})


def test_cli_writes_the_report(model, bbc, tmp_path):
    docs, labels, _ = bbc
    model.save(tmp_path / "model")
    pd.DataFrame({"body": docs, "section": labels}).to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    out = tmp_path / "r.html"
    res = run("report", str(tmp_path / "model"), str(tmp_path / "c.jsonl"), "--text-column", "body",
              "--class-column", "section", "--with-documents", "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "with document text" in res.stdout
    data = report_data(out.read_text(encoding="utf-8"))
    assert data["withDocuments"] is True and len(data["snippets"]) == len(docs)
    assert sorted(data["perClass"]["classes"]) == sorted(set(labels))
    res = run("report", str(tmp_path / "model"), "--class-column", "section", "--out", str(out))
    assert res.returncode == 2 and "--class-column needs the corpus" in res.stderr
    res = run("report", str(tmp_path / "model"), str(tmp_path / "c.jsonl"), "--text-column", "body",
              "--timestamp-column", "when", "--out", str(out))  # fmt: skip
    assert res.returncode == 2 and "column 'when' not found" in res.stderr
