"""topicscope vs BERTopic in the same run: quality (A, B), speed and memory (C).

    python benchmarks/run.py                 # everything, writes BENCHMARKS.md (about an hour on 2 cores)
    python benchmarks/run.py --quick         # one seed, nr_topics 10/30/50, for iterating
    python benchmarks/run.py --parts B,C     # a subset

Needs the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality
import speed

ROOT = Path(__file__).resolve().parents[1]


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def table(rows: list[dict], cols: list[str]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def summarise_a(rows: list[dict]) -> tuple[list[dict], list[str]]:
    out, verdicts = [], []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        agg = {}
        for lib in ("BERTopic", "topicscope"):
            sel = [r for r in rows if r["corpus"] == corpus and r["lib"] == lib]
            agg[lib] = {k: float(np.nanmean([r[k] for r in sel])) for k in ("npmi", "diversity", "nmi", "outliers")}
            out.append({"corpus": corpus, "lib": lib, "runs": len(sel), **agg[lib]})
        b, t = agg["BERTopic"], agg["topicscope"]
        ok = t["npmi"] >= b["npmi"] + 0.02 and t["diversity"] >= b["diversity"] and t["nmi"] >= b["nmi"]
        verdicts.append(
            f"A {corpus}: NPMI {t['npmi']:.3f} vs {b['npmi']:.3f} (target >= +0.02: {t['npmi'] - b['npmi']:+.3f}), "
            f"diversity {t['diversity']:.3f} vs {b['diversity']:.3f}, NMI {t['nmi']:.3f} vs {b['nmi']:.3f}: "
            + ("met" if ok else "NOT met")
        )
    return out, verdicts


def verdicts_b(rows: list[dict]) -> list[str]:
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        b = next(r for r in rows if r["corpus"] == corpus and r["lib"] == "BERTopic")
        t = next(r for r in rows if r["corpus"] == corpus and r["lib"] == "topicscope")
        checks = {
            "topics within 2x of gold": t["gold"] / 2 <= t["n_topics"] <= t["gold"] * 2,
            "outliers <= 10%": t["outliers"] <= 0.10,
            "NMI >= BERTopic's": t["nmi"] >= b["nmi"],
            "stop words <= 2%": t["stop_share"] <= 0.02,
        }
        out.append(f"B {corpus}: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in checks.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parts", default="A,B,C")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    parts = set(args.parts.upper().split(","))
    log_lines: list[str] = []

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_lines.append(msg)

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sections = [
        f"# Benchmarks: topicscope vs BERTopic\n\nRun {started} on {_machine()}.\n"
        f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{'' if parts == {'A', 'B', 'C'} else ' --parts ' + args.parts}`. "
        "Both libraries get the same precomputed all-MiniLM-L6-v2 embeddings from `../shared/data`.\n"
    ]
    verdicts: list[str] = []
    raw: dict[str, list] = {}
    if "A" in parts:
        kw = {"nr_topics": (10, 30, 50), "seeds": (0,)} if args.quick else {}
        rows = quality.part_a(log=log, **kw)
        raw["A"] = rows
        summary, v = summarise_a(rows)
        verdicts += v
        sections.append(
            "## A. Quality under the BERTopic paper's protocol\n\nMeans over nr_topics x random_state "
            "(NPMI: gensim c_npmi of the top-10 words, the corpus as reference; outlier topic excluded).\n\n"
            + table(summary, ["corpus", "lib", "runs", "npmi", "diversity", "nmi", "outliers"])
            + "\n\nPer run:\n\n"
            + table(rows, ["corpus", "lib", "seed", "nr_topics", "n_topics", "npmi", "diversity", "nmi", "outliers"])
        )
    if "B" in parts:
        rows = quality.part_b(log=log)
        raw["B"] = rows
        verdicts += verdicts_b(rows)
        sections.append(
            "## B. Defaults on raw text\n\n"
            + table(
                rows, ["corpus", "lib", "gold", "n_topics", "outliers", "nmi", "ari", "stop_share", "npmi", "fit_s"]
            )
        )
    if "C" in parts:
        w = speed.warm(log=log)
        c = speed.cold(log=log)
        e = speed.embedding(log=log)
        raw["C"] = [w, c, e]
        for r in w:
            verdicts.append(
                f"C warm {r['corpus']}: {r['ratio']:.1f}x (target >= 5x): {'met' if r['ratio'] >= 5 else 'NOT met'}"
            )
        for r in c:
            verdicts.append(
                f"C cold {r['corpus']}: {r['ratio']:.1f}x (target >= 10x): {'met' if r['ratio'] >= 10 else 'NOT met'}; "
                f"peak memory {r['topicscope_peak_mib']:.0f} vs {r['bertopic_peak_mib']:.0f} MiB: "
                f"{'met' if r['topicscope_peak_mib'] <= r['bertopic_peak_mib'] else 'NOT met'}"
            )
        default, fast = e[1], e[2]
        verdicts.append(
            f"C embedding, default path: {default['speedup']:.2f}x plain sentence-transformers (target >= 2x): "
            f"{'met' if default['speedup'] >= 2 else 'NOT met'}; min cosine {default['min_cosine']:.4f}"
        )
        verdicts.append(
            f"C embedding, fast path: {fast['speedup']:.0f}x (target >= 50x): "
            f"{'met' if fast['speedup'] >= 50 else 'NOT met'}; bbc_news NMI {fast['bbc_nmi']:.3f} "
            f"vs {default['bbc_nmi']:.3f} with the transformer"
        )
        sections.append(
            "## C. Speed and memory\n\nWarm: a second fit in the same process. Cold: a fresh process "
            "(topicscope's CLI vs the same read-fit-save job with BERTopic), import included.\n\n"
            + table(w, ["corpus", "docs", "bertopic_s", "topicscope_s", "ratio"])
            + "\n\n"
            + table(
                c,
                [
                    "corpus",
                    "bertopic_s",
                    "topicscope_s",
                    "ratio",
                    "bertopic_peak_mib",
                    "topicscope_peak_mib",
                    "memory_ratio",
                ],
            )
            + "\n\n"
            + table(e, list(e[0]))
        )
    sections.insert(1, "## Targets\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n")
    tried = Path(__file__).resolve().parent / "tried.md"
    if tried.is_file():
        sections.append(tried.read_text(encoding="utf-8"))
    Path(args.out).write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(raw, indent=1, default=float))
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
