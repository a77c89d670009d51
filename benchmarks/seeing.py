"""Part E of BENCHMARKS.md: plots and the HTML report (issue 11).

Runs viz_documents.py (visualize_documents on ~100k documents once the layout exists, and against
BERTopic on 20newsgroups) and report_budget.py (the report's size, generation time and time to
interactive in headless Chromium), each in a fresh process, then reads their results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCRIPTS = ("viz_documents.py", "report_budget.py")
COLUMNS = ["case", "documents", "measure", "value", "budget", "notes"]


def rows_from_results() -> list[dict]:
    viz = json.loads((RESULTS / "viz_documents.json").read_text())
    rep = json.loads((RESULTS / "report_budget.json").read_text())
    rows: list[dict] = []
    big = viz["scale_100k"]
    plots = big["plots_after_layout"]
    rows.append(
        {
            "case": "visualize_documents(docs), layout saved",
            "documents": big["documents"],
            "measure": "seconds",
            "value": plots["visualize_documents(docs)"]["seconds"],
            "budget": 10.0,
            "notes": f"{plots['visualize_documents(docs)']['points']:,} points (Scattergl); the layout, once: "
            f"{big['layout_once_s']:.0f} s (UMAP, trustworthiness {big['layout_trustworthiness']})",
        }
    )
    ng = viz["newsgroups_vs_bertopic"]
    rows.append(
        {
            "case": "visualize_documents, 20newsgroups, a later call",
            "documents": ng["documents"],
            "measure": "seconds",
            "value": ng["topicscope_later_call_s"],
            "budget": "",
            "notes": f"BERTopic re-runs UMAP each call: {ng['bertopic_with_embeddings_s']:.1f} s; topicscope's first "
            f"call (layout included) {ng['topicscope_first_call_s']:.1f} s",
        }
    )
    for case in rep["cases"]:
        budget = case["budget"]
        for kind in ("without_documents", "with_documents"):
            r = case[kind]
            label = f"report, {case['corpus']}, {kind.replace('_', ' ')}"
            rows.append(
                {
                    "case": label,
                    "documents": case["documents"],
                    "measure": "MB",
                    "value": r["size_mb"],
                    "budget": budget["size_mb"],
                    "notes": f"requests leaving the page: {len(r['requests'])}",
                }
            )
            rows.append(
                {
                    "case": label,
                    "documents": case["documents"],
                    "measure": "ms to interactive",
                    "value": r["interactive_ms"],
                    "budget": budget["interactive_ms"],
                    "notes": "headless Chromium",
                }
            )
        rows.append(
            {
                "case": f"report, {case['corpus']}, generation",
                "documents": case["documents"],
                "measure": "seconds",
                "value": max(case["generate_s"], case["generate_docs_s"]),
                "budget": budget["generate_s"],
                "notes": f"beyond the layout ({case['layout_s']:.0f} s, computed once and saved)",
            }
        )
    plotly = rep["cases"][0].get("plotly_visualize_documents")
    if plotly:
        rows.append(
            {
                "case": "for reference: a plotly visualize_documents page, 20newsgroups",
                "documents": rep["cases"][0]["documents"],
                "measure": "MB / ms",
                "value": f"{plotly['size_mb']} / {plotly['interactive_ms']}",
                "budget": "",
                "notes": f"plotly.min.js alone is {rep['plotly_min_js_mb']} MB; the report uses its own canvas viewer",
            }
        )
    return rows


def part_e(log=print) -> list[dict]:
    for script in SCRIPTS:
        log(f"E: {script}")
        subprocess.run([sys.executable, str(HERE / script)], cwd=HERE, check=True)
    return rows_from_results()


def verdicts_e(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["budget"] == "":
            continue
        ok = float(r["value"]) <= float(r["budget"])
        out.append(
            f"E {r['case']} ({r['documents']:,} documents): {r['value']} {r['measure']} "
            f"(budget <= {r['budget']:g}): {'met' if ok else 'NOT met'}"
        )
    return out
