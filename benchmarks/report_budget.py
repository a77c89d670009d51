"""The HTML report against its budgets (issue 11): file size, time to interactive, generation time.

Budgets: 20newsgroups (18,846 documents) at most 15 MB and interactive within 3 s in headless
Chromium; about 100,000 documents at most 40 MB and within 8 s; generating the report at most 20 s
beyond the 2-D layout (the layout is computed once per model and timed apart).

* Corpora, with their precomputed all-MiniLM-L6-v2 embeddings, fitted with the defaults
  (``random_state=0``): 20newsgroups; octis_dblp + crisislex_tweets concatenated (82,528
  documents, the "~100,000" case; their labels are the report's classes).
* Generation: ``model.report(path)`` (no document text) and ``model.report(path, docs,
  with_documents=True, classes=labels)`` (snippets, representative documents, topics per class),
  once the layout exists; best of 2 calls.
* Time to interactive: the page is opened from ``file://`` in Debian's Chromium (Playwright,
  every non-file request aborted) and the viewer sets ``window.__topicscopeReadyMs`` (the page's
  ``performance.now()``: milliseconds since navigation start) after it has parsed the data and
  drawn every section; the median of 3 fresh loads. ``draw_ms`` is one full redraw of the
  document map (what each pan or zoom step costs).
* For comparison, plotly: the size of plotly.min.js (what inlining plotly.js would add), and for
  20newsgroups ``visualize_documents(...).write_html(include_plotlyjs=True)``, its file size and the
  time until plotly has drawn it (its div has a layout and an SVG layer), measured the same way.

Run: ``cd benchmarks && nice -n 5 ../.venv/bin/python report_budget.py [--skip-100k]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import load

RESULTS = Path(__file__).resolve().parent / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUDGETS = {"20newsgroups": (15.0, 3000.0), "dblp+crisislex": (40.0, 8000.0)}
GENERATION_BUDGET_S = 20.0


def page_load(browser: Any, path: Path, ready: str) -> tuple[float, float, list[str]]:
    """(page-clock ms returned by ``ready`` once truthy, wall seconds from goto, blocked requests)."""
    blocked: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    start = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=120_000)
    ms = 0.0
    while not ms:
        ms = float(page.evaluate(ready) or 0)
        if not ms:
            page.wait_for_timeout(10)
    wall = time.perf_counter() - start
    context.close()
    return ms, wall, blocked


TOPICSCOPE_READY = "window.__topicscopeReady ? window.__topicscopeReadyMs : 0"
# plotly: the figure's div has its layout and its SVG layer (polled: within ~15 ms of being drawn).
PLOTLY_READY = (
    "(() => { const g = document.querySelector('.js-plotly-plot'); "
    "return g && g._fullLayout && g.querySelector('.main-svg') ? performance.now() : 0; })()"
)


def measure(browser: Any, path: Path, runs: int = 3) -> dict[str, Any]:
    loads = [page_load(browser, path, TOPICSCOPE_READY) for _ in range(runs)]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(path.resolve().as_uri(), timeout=120_000)
    while not page.evaluate("!!window.__topicscopeReady"):
        page.wait_for_timeout(10)
    draw = page.evaluate("window.__topicscope.drawMs()")
    context.close()
    return {
        "size_mb": round(path.stat().st_size / 1e6, 2),
        "interactive_ms": round(statistics.median(x[0] for x in loads)),
        "wall_s": round(statistics.median(x[1] for x in loads), 2),
        "draw_ms": round(float(draw), 1),
        "requests": sorted({u for x in loads for u in x[2]}),
    }


def plotly_page(browser: Any, model: Any, docs: list[str], folder: Path) -> dict[str, Any]:
    """visualize_documents as a standalone plotly page: size and time until plotly drew it."""
    start = time.perf_counter()
    fig = model.visualize_documents(docs)
    path = folder / "plotly_documents.html"
    fig.write_html(str(path), include_plotlyjs=True)
    build = time.perf_counter() - start
    loads = [page_load(browser, path, PLOTLY_READY) for _ in range(3)]
    return {
        "build_s": round(build, 2),
        "size_mb": round(path.stat().st_size / 1e6, 2),
        "interactive_ms": round(statistics.median(x[0] for x in loads)),
        "requests": sorted({u for x in loads for u in x[2]}),
    }


def best_of(call: Any, repeat: int = 2) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_case(name: str, docs: list[str], labels: list, emb: np.ndarray, browser: Any, folder: Path) -> dict[str, Any]:
    from topicscope import TopicModel
    from topicscope.viz.layout import ensure_layout

    start = time.perf_counter()
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    ensure_layout(model.state_, None, 0)
    layout_s = time.perf_counter() - start
    plain_s, plain = best_of(lambda: model.report(folder / f"{name}.html"))
    full_s, full = best_of(
        lambda: model.report(folder / f"{name}_docs.html", docs, with_documents=True, classes=labels)
    )
    size_budget, ms_budget = BUDGETS[name]
    row: dict[str, Any] = {
        "corpus": name,
        "documents": len(docs),
        "topics": int((model.state_.topic_ids != -1).sum()),
        "fit_s": round(fit_s, 1),
        "layout_s": round(layout_s, 1),
        "generate_s": round(plain_s, 2),
        "generate_docs_s": round(full_s, 2),
        "without_documents": measure(browser, plain),
        "with_documents": measure(browser, full),
        "budget": {"size_mb": size_budget, "interactive_ms": ms_budget, "generate_s": GENERATION_BUDGET_S},
    }
    worst = row["with_documents"]
    row["within_budget"] = bool(
        worst["size_mb"] <= size_budget
        and max(worst["interactive_ms"], row["without_documents"]["interactive_ms"]) <= ms_budget
        and max(plain_s, full_s) <= GENERATION_BUDGET_S
        and not worst["requests"]
    )
    if name == "20newsgroups":
        try:
            row["plotly_visualize_documents"] = plotly_page(browser, model, docs, folder)
        except Exception as exc:  # the comparison is optional: plotly is in the viz extra
            row["plotly_visualize_documents"] = {"error": f"{type(exc).__name__}: {exc}"}
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--skip-20ng", action="store_true", help="keep the 20newsgroups row of the last run")
    args = parser.parse_args()
    import plotly
    from playwright.sync_api import sync_playwright

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    out: dict[str, Any] = {"plotly_min_js_mb": round(plotly_js.stat().st_size / 1e6, 2), "cases": []}
    cases = [] if args.skip_20ng else [("20newsgroups", lambda: load("20newsgroups"))]
    if not args.skip_100k:

        def scale() -> tuple[list[str], list, np.ndarray]:
            a, b = load("octis_dblp"), load("crisislex_tweets")
            return a[0] + b[0], list(a[1]) + list(b[1]), np.vstack([a[2], b[2]])

        cases.append(("dblp+crisislex", scale))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, loader in cases:
            docs, labels, emb = loader()
            row = run_case(name, docs, labels, emb, browser, Path(tmp))
            out["cases"].append(row)
            print(json.dumps(row, indent=1))
        browser.close()
    previous = RESULTS / "report_budget.json"
    if previous.is_file():  # rows of corpora not run this time are kept
        ran = {r["corpus"] for r in out["cases"]}
        kept = [r for r in json.loads(previous.read_text())["cases"] if r["corpus"] not in ran]
        out["cases"] = sorted(kept + out["cases"], key=lambda r: r["documents"])
    print(f"\nplotly.min.js alone: {out['plotly_min_js_mb']} MB")
    print(f"{'corpus':16} {'docs':>7} {'topics':>6} {'layout s':>8} {'gen s':>6} {'gen+docs s':>10} "
          f"{'MB':>6} {'MB+docs':>7} {'TTI ms':>7} {'TTI+docs':>8} {'draw ms':>7} budget")  # fmt: skip
    for r in out["cases"]:
        a, b = r["without_documents"], r["with_documents"]
        print(f"{r['corpus']:16} {r['documents']:>7} {r['topics']:>6} {r['layout_s']:>8} {r['generate_s']:>6} "
              f"{r['generate_docs_s']:>10} {a['size_mb']:>6} {b['size_mb']:>7} {a['interactive_ms']:>7} "
              f"{b['interactive_ms']:>8} {b['draw_ms']:>7} {'ok' if r['within_budget'] else 'OVER'}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report_budget.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
