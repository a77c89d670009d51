"""Part D of BENCHMARKS.md: the analysis verbs against BERTopic 0.17.4 on identical topics (issue 10).

Runs verbs_over_time.py (topics_over_time, topics_per_class), verbs_hierarchy.py (hierarchical_topics,
merge_topics) and verbs_distribution.py (approximate_distribution, reduce_outliers), each in a fresh
process, then turns their results (benchmarks/results/verbs_*.json) into one table of rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCRIPTS = ("verbs_over_time.py", "verbs_hierarchy.py", "verbs_distribution.py")
COLUMNS = ["verb", "corpus", "docs", "bertopic_s", "topicscope_s", "ratio", "target", "notes"]


def _leaks(r: dict) -> str:
    w = r["leaked_words"]
    return (
        f"shown words absent from their cell: BERTopic {w['bertopic']}/{w['bertopic_shown']}, "
        f"topicscope {w['topicscope']}/{w['topicscope_shown']}"
    )


def _row(verb: str, corpus: str, docs: int, bt: float, ts: float, target: float | None, notes: str) -> dict:
    return {
        "verb": verb,
        "corpus": corpus,
        "docs": docs,
        "bertopic_s": bt,
        "topicscope_s": ts,
        "ratio": bt / ts,
        "target": "" if target is None else f">= {target:g}x",
        "target_value": target,
        "notes": notes,
    }


def rows_from_results() -> list[dict]:
    """The part-D rows from the JSON files the three scripts wrote."""
    ot = json.loads((RESULTS / "verbs_over_time.json").read_text())
    hi = json.loads((RESULTS / "verbs_hierarchy.json").read_text())
    di = json.loads((RESULTS / "verbs_distribution.json").read_text())
    tweets, news = ot["crisislex_tweets"]["documents"], ot["20newsgroups"]["documents"]
    rows = []
    for key, label in (("topics_over_time_nr_bins_20", "nr_bins=20"), ("topics_over_time_days", "one bin per day")):
        r = ot[key]
        notes = f"same Frequency: {'yes' if r['same_frequency'] else 'NO'}; {_leaks(r)}"
        if "speedup_unrecognised_docs" in r:
            notes += f"; docs not recognised (counted again): {r['speedup_unrecognised_docs']:.1f}x"
        rows.append(
            _row(
                f"topics_over_time, {label}", "crisislex_tweets", tweets, r["bertopic_s"], r["topicscope_s"], 10, notes
            )
        )
    r = ot["topics_per_class"]
    rows.append(
        _row(
            "topics_per_class",
            "20newsgroups",
            news,
            r["bertopic_s"],
            r["topicscope_s"],
            10,
            f"same Frequency: {'yes' if r['same_frequency'] else 'NO'}; {_leaks(r)}; docs not recognised "
            f"(counted again): {r['speedup_unrecognised_docs']:.1f}x",
        )
    )
    h = hi["hierarchical_topics_s"]
    rows.append(
        _row(
            f"hierarchical_topics, {hi['topics']} topics",
            hi["corpus"],
            hi["documents"],
            h["bertopic"],
            h["topicscope"],
            10,
            f"same tree given the same distances and linkage: "
            f"{hi['same_parents_given_same_distances']}/{hi['parents']} parents",
        )
    )
    m = hi["merge_topics_s"]
    words = hi["merge_unmerged_words_changed"]
    rows.append(
        _row(
            "merge_topics, 2 topics",
            hi["corpus"],
            hi["documents"],
            m["bertopic"],
            m["topicscope"],
            None,
            f"unmerged topics whose words changed: BERTopic {words['bertopic']}/{words['of']}, "
            f"topicscope {words['topicscope']}/{words['of']} (#1289)",
        )
    )
    for r in di["rows"]:
        if "topicscope_peak_mib" in r:
            notes = (
                f"peak memory {r['topicscope_peak_mib']:.0f} vs {r['bertopic_peak_mib']:.0f} MiB; NaN "
                f"{r['topicscope_nan']} vs {r['bertopic_nan']}; argmax = own topic {r['topicscope_own_topic_rate']:.2f}"
                f" vs {r['bertopic_own_topic_rate']:.2f}"
            )
            rows.append(_row(r["verb"], di["corpus"], di["n_docs"], r["bertopic_s"], r["topicscope_s"], 3, notes))
            rows[-1]["memory_ok"] = r["topicscope_peak_mib"] <= r["bertopic_peak_mib"]
        else:
            notes = (
                f"HDBSCAN model, {r['outliers_before']} outliers; left {r['topicscope_outliers_left']} vs "
                f"{r['bertopic_outliers_left']}; same new topic for {r['same_new_topic_share']:.0%}"
            )
            rows.append(_row(r["verb"], di["corpus"], di["n_docs"], r["bertopic_s"], r["topicscope_s"], None, notes))
    return rows


def part_d(log=print) -> list[dict]:
    """Run the three scripts (each fits its models), then read their results."""
    for script in SCRIPTS:
        log(f"D: {script}")
        subprocess.run([sys.executable, str(HERE / script)], cwd=HERE, check=True)
    return rows_from_results()


def verdicts_d(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["target_value"] is None:
            continue
        memory = ""
        if "memory_ok" in r:
            memory = f"; peak memory <= BERTopic's: {'met' if r['memory_ok'] else 'NOT met'}"
        speed_ok = r["ratio"] >= r["target_value"]
        out.append(
            f"D {r['verb']} ({r['corpus']}): {r['ratio']:.1f}x (target {r['target']}): "
            + ("met" if speed_ok else "NOT met")
            + memory
        )
    return out
