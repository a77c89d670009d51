"""The HTML report in a real browser: Debian's Chromium driven by Playwright, with the network blocked.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run`` installs it) and
Playwright from the ``test`` extra; Playwright's own browser download is never used. Without
either, these tests are skipped on a developer's machine and fail when ``CI`` is set.
Every page is opened from a ``file://`` URL; any other request is aborted and recorded, and a
test fails on a recorded request, a console error, a page error or a dialog.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import in_ci, load_corpus
from topicscope import TopicModel
from topicscope.report import data as blocks

PAYLOAD = "</script><script>alert(1)</script>"
IMG_PAYLOAD = '<img src=x onerror="alert(2)">'
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUT = Path(__file__).resolve().parents[1] / "out"


def unavailable(message: str) -> None:
    """Skip (fail in CI) when the browser or its driver is missing."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: the browser tests must run)", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str:
    path = os.environ.get("TOPICSCOPE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        unavailable(f"Chromium not found at {path} (apt-get install chromium, or set TOPICSCOPE_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable('playwright is not installed (pip install -e ".[test]")')
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def corpus():
    """bbc_news with the injection payload in its first document."""
    docs, labels, emb = load_corpus("bbc_news")
    docs = [PAYLOAD + " " + docs[0], *docs[1:]]
    return docs, labels, emb


@pytest.fixture(scope="module")
def reports(corpus, tmp_path_factory):
    """(model, report with documents, report without) on bbc_news; labels 0 and 1 carry payloads."""
    docs, labels, emb = corpus
    model = TopicModel(nr_topics=30, random_state=0).fit(docs, embeddings=emb)
    model.set_topic_labels({0: PAYLOAD, 1: IMG_PAYLOAD})
    folder = tmp_path_factory.mktemp("browser")
    stamps = [f"2021-{1 + i % 12:02d}-01" for i in range(len(docs))]
    full = model.report(folder / "full.html", docs, with_documents=True, timestamps=stamps, classes=labels)
    plain = model.report(folder / "plain.html")
    return model, full, plain


class Page:
    """An opened report: the Playwright page and what it tried to do."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900, bypass_csp: bool = False) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        self.page = self.context.new_page()
        self.page.set_default_timeout(5_000)
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.wait("window.__topicscopeReady === true", timeout=20.0)

    def wait(self, expression: str, timeout: float = 5.0) -> None:
        """Poll ``expression`` until it is true (``wait_for_function`` evaluates strings, which the CSP forbids)."""
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            self.page.wait_for_timeout(30)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def clean(self) -> None:
        assert self.errors == [] and self.requests == [] and self.dialogs == []

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def full_page(browser, reports):
    page = Page(browser, reports[1])
    yield page
    page.close()


def expected_matches(model, docs: list[str] | None, query: str) -> set[int]:
    """The report's search rule: every term in a topic's label, name and words, or in one of its snippets."""
    terms = query.lower().split()
    info = model.get_topic_info()
    labels = dict(zip(info.Topic, info.get("CustomName", info.Name)))
    hits = set()
    for t, name, words in zip(info.Topic, info.Name, info.Representation):
        text = f"{labels[t]} {name} {' '.join(words)}".lower()
        if all(term in text for term in terms):
            hits.add(int(t))
    for doc, topic in zip(docs or [], model.topics_):
        if all(term in blocks.snippet(doc).lower() for term in terms):
            hits.add(int(topic))
    return hits


def test_opens_offline_with_no_error_request_or_dialog(full_page):
    page = full_page
    page.clean()
    for section in ("overview", "doc-section", "topic-map-section", "hierarchy-section", "table-section",
                    "bars-section", "time-section", "class-section"):  # fmt: skip
        assert page.page.locator(f"#{section}").is_visible(), section
    assert "contains document text" in page.page.locator("#privacy").inner_text()
    assert page.js("document.scripts.length") == 2
    assert page.js("window.__topicscopeReadyMs") < 3000


def test_rows_and_points_match_the_model(full_page, reports, corpus):
    model = reports[0]
    page = full_page
    assert page.page.locator("#topic-table tbody tr").count() == len(model.get_topic_info())
    assert page.js("document.getElementById('doc-map').dataset.points") == str(len(corpus[0]))
    assert page.js("window.__topicscope.pointsDrawn()") == len(corpus[0])
    assert page.page.locator("#topic-map g.bubble").count() == 30
    assert page.page.locator("#hierarchy g.leaf").count() == 30
    first = page.page.locator("#topic-table tbody tr").first
    assert first.get_attribute("data-topic") == "0"


def test_search_highlights_the_matching_topics(full_page, reports, corpus):
    model = reports[0]
    page = full_page
    word = model.get_topic(5)[0][0]
    for query, docs in ((word, corpus[0]), ("stadium", corpus[0])):
        expected = expected_matches(model, docs, query)
        assert 0 < len(expected) < 30
        page.page.fill("#search", query)
        page.wait(f"window.__topicscope.highlighted().length === {len(expected)}")
        assert set(page.js("window.__topicscope.highlighted()")) == expected
        rows = page.page.locator("#topic-table tbody tr.match")
        assert {int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.topic)")} == expected
        assert page.page.locator("#topic-table tbody tr:visible").count() == len(expected)
        bubbles = page.page.locator("#topic-map g.bubble.match").evaluate_all("gs => gs.map(g => g.dataset.topic)")
        assert {int(b) for b in bubbles} == expected
        assert page.page.locator("#topic-map g.bubble.faded").count() == 30 - len(expected)
        assert set(page.js("window.__topicscope.labels()")) <= {
            t["short"] for t in page.js("JSON.parse(document.getElementById('topicscope-data').textContent).topics")
        }
    page.page.fill("#search", "")
    page.wait("window.__topicscope.highlighted().length === 0")
    assert page.page.locator("#topic-table tbody tr:visible").count() == len(model.get_topic_info())
    page.clean()


def isolated_point(layout: np.ndarray) -> int:
    """The document farthest from its nearest neighbour (nothing else under the cursor)."""
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(layout).query(layout, k=2)
    return int(np.argmax(dist[:, 1]))


def test_hover_shows_the_topic_and_the_snippet(full_page, reports, corpus):
    model = reports[0]
    page = full_page
    i = isolated_point(model.state_.doc_layout)
    pos = page.js(f"window.__topicscope.pointScreen({i})")
    page.page.mouse.move(pos["x"], pos["y"])
    tooltip = page.page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    assert page.js("window.__topicscope.hovered()") == i
    topic = model.topics_[i]
    label = model.get_topic_info(topic).get("CustomName", model.get_topic_info(topic).Name).iloc[0]
    text = tooltip.inner_text()
    assert label in text and f"Topic {topic} · " in text
    assert blocks.snippet(corpus[0][i]) in text
    page.page.mouse.move(5, 5)
    tooltip.wait_for(state="hidden")
    page.clean()


def test_without_documents_the_tooltip_shows_topic_words_only(browser, reports, corpus):
    model, _, plain = reports
    page = Page(browser, plain)
    try:
        assert "contains no document text" in page.page.locator("#privacy").inner_text()
        i = isolated_point(model.state_.doc_layout)
        pos = page.js(f"window.__topicscope.pointScreen({i})")
        page.page.mouse.move(pos["x"], pos["y"])
        page.page.locator("#tooltip").wait_for(state="visible")
        text = page.page.locator("#tooltip").inner_text()
        assert "text not included" in text and blocks.snippet(corpus[0][i])[:40] not in text
        assert ", ".join(w for w, _ in model.get_topic(model.topics_[i])[:3]) in text
        assert page.page.locator("#topic-table thead th").count() == 4  # no representative documents column
        page.clean()
    finally:
        page.close()


def test_injected_markup_stays_text(browser, reports):
    # Also with the page's Content-Security-Policy switched off: the escaping alone must hold.
    for bypass_csp in (False, True):
        page = Page(browser, reports[1], bypass_csp=bypass_csp)
        try:
            row0 = page.page.locator('#topic-table tbody tr[data-topic="0"] td.label')
            row1 = page.page.locator('#topic-table tbody tr[data-topic="1"] td.label')
            assert row0.text_content() == PAYLOAD and row1.text_content() == IMG_PAYLOAD
            assert page.js("document.scripts.length") == 2 and page.js("document.images.length") == 0
            page.page.fill("#search", "alert")  # the payload document and labels show in every view
            page.wait("window.__topicscope.highlighted().length > 0")
            assert 0 in page.js("window.__topicscope.highlighted()")
            page.page.locator('#topic-table tbody tr[data-topic="0"]').click()
            assert page.js("window.__topicscope.selected()") == 0
            assert page.page.locator("#detail-body h3").text_content() == PAYLOAD
            page.page.locator("#doc-canvas").scroll_into_view_if_needed()
            pos = page.js("window.__topicscope.pointScreen(0)")  # the document that carries the payload
            page.page.mouse.move(pos["x"], pos["y"])
            page.page.locator("#tooltip").wait_for(state="visible")
            page.page.wait_for_timeout(200)
            assert page.js("document.scripts.length") == 2 and page.js("document.images.length") == 0
            page.clean()  # no dialog, error or request
        finally:
            page.close()


def test_zoom_changes_the_labels_with_the_hierarchy(browser, reports):
    page = Page(browser, reports[2])
    try:
        levels = page.js("JSON.parse(document.getElementById('topicscope-data').textContent).levels.length")
        start = page.js("window.__topicscope.level()")
        assert 0 <= start < levels - 1
        assert len(page.js("window.__topicscope.labels()")) >= 4
        page.page.locator("#doc-canvas").scroll_into_view_if_needed()
        box = page.page.locator("#doc-canvas").bounding_box()
        page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(12):
            page.page.mouse.wheel(0, -240)
        page.wait(f"window.__topicscope.level() > {start}")
        assert page.js("window.__topicscope.pointsDrawn()") < page.js("window.__topicscope.counts.documents")
        page.page.locator("#doc-canvas").dblclick()
        page.wait(f"window.__topicscope.level() === {start}")
        page.clean()
    finally:
        page.close()


def test_table_sorts_and_selects(full_page, reports):
    model = reports[0]
    page = full_page
    page.page.locator('#topic-table th[data-key="size"]').click()
    ids = page.page.locator("#topic-table tbody tr").evaluate_all("rs => rs.map(r => +r.dataset.topic)")
    info = model.get_topic_info().sort_values(["Count", "Topic"], ascending=[False, True])
    assert ids[:5] == info.Topic.tolist()[:5] and sorted(ids) == sorted(info.Topic)
    page.page.locator('#topic-table th[data-key="id"]').click()
    ids = page.page.locator("#topic-table tbody tr").evaluate_all("rs => rs.map(r => +r.dataset.topic)")
    assert ids == sorted(ids)
    page.page.locator('#topic-map g.bubble[data-topic="3"]').dispatch_event("click")
    assert page.js("window.__topicscope.selected()") == 3
    page.clean()


def test_screenshot(full_page):
    OUT.mkdir(exist_ok=True)
    path = OUT / "report_browser.png"
    full_page.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
