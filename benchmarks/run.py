"""topicscope vs BERTopic in the same run: quality (A, B), speed and memory (C).

    python benchmarks/run.py                      # everything, writes BENCHMARKS.md and BENCHMARKS.json
    python benchmarks/run.py --quick              # one seed, nr_topics 10/30/50 in part A, for iterating
    python benchmarks/run.py --parts C            # only part C (its five sections)
    python benchmarks/run.py --parts fit_transform,transform   # only some sections of part C
    python benchmarks/run.py --parts C --merge    # rerun C, keep A and B from BENCHMARKS.json, rewrite both
    python benchmarks/run.py --parts C --limit 2000   # part C on samples of 2,000 documents: a smoke test

Parts: R (raw text: benchmarks/raw_text.py), A, B, C, D; C's sections: warm (fit), fit_transform,
transform (new documents), cold, embedding;
D: the analysis verbs (benchmarks/verbs.py); E: plots and the report (benchmarks/seeing.py); F: scale
(benchmarks/scale_part.py: about an hour).
A run of every part without --limit writes BENCHMARKS.md / BENCHMARKS.json at the project root; any
other run writes benchmarks/results/last.md / .json unless --out (or --merge) says otherwise.

Needs the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
C_SECTIONS = ("warm", "fit_transform", "transform", "cold", "embedding")
ALL_SECTIONS = ("R", "A", "B", *(f"C_{s}" for s in C_SECTIONS), "D", "E", "F")


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
        return "n/a" if np.isnan(v) else f"{v:.3f}"
    return str(v)


def table(rows: list[dict], cols: list[str]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def parse_parts(spec: str) -> list[str]:
    """``"A,C"`` -> the section keys to run, in report order; ``C`` stands for its five sections."""
    wanted: set[str] = set()
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        if token.upper() in ("R", "A", "B", "D", "E", "F"):
            wanted.add(token.upper())
        elif token.upper() == "C":
            wanted.update(f"C_{s}" for s in C_SECTIONS)
        elif token.lower() in C_SECTIONS:
            wanted.add(f"C_{token.lower()}")
        else:
            raise SystemExit(f"--parts: expected R, A, B, C, D, E, F or one of {', '.join(C_SECTIONS)}; got {token!r}")
    return [s for s in ALL_SECTIONS if s in wanted]


# ------------------------------------------------------------------------------------------ verdicts
def summarise_a(rows: list[dict]) -> tuple[list[dict], list[str]]:
    out, verdicts = [], []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        agg = {}
        for lib in ("BERTopic", "Topeax", "topicscope"):
            sel = [r for r in rows if r["corpus"] == corpus and r["lib"] == lib]
            if not sel:
                continue
            keys = ("n_topics", "npmi", "diversity", "nmi", "outliers")
            agg[lib] = {k: float(np.nanmean([r[k] for r in sel])) for k in keys}
            out.append({"corpus": corpus, "lib": lib, "runs": len(sel), **agg[lib]})
        b, t = agg["BERTopic"], agg["topicscope"]
        ok = t["npmi"] >= b["npmi"] + 0.02 and t["diversity"] >= b["diversity"] and t["nmi"] >= b["nmi"]
        x = agg.get("Topeax")
        verdicts.append(
            f"A {corpus}: NPMI {t['npmi']:.3f} vs {b['npmi']:.3f} (target >= +0.02: {t['npmi'] - b['npmi']:+.3f}), "
            f"diversity {t['diversity']:.3f} vs {b['diversity']:.3f}, NMI {t['nmi']:.3f} vs {b['nmi']:.3f}: "
            + ("met" if ok else "NOT met")
            + (f"; Topeax (its own {x['n_topics']:.0f} topics): NPMI {x['npmi']:.3f}, NMI {x['nmi']:.3f}" if x else "")
        )
    return out, verdicts


def verdicts_b(rows: list[dict]) -> list[str]:
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        by = {r["lib"]: r for r in rows if r["corpus"] == corpus}
        t, b = by["topicscope"], by["BERTopic"]
        peers = [r for lib, r in by.items() if lib != "topicscope"]
        best_nmi = max(r["nmi"] for r in peers)
        best_npmi = max(r["npmi"] for r in peers)
        names = "best of " + " and ".join(r["lib"] for r in peers)
        checks = {
            f"topics within 2x of gold ({t['n_topics']} vs {t['gold']})": t["gold"] / 2
            <= t["n_topics"]
            <= t["gold"] * 2,
            f"outliers <= 10% ({t['outliers']:.1%})": t["outliers"] <= 0.10,
            f"NMI >= {names} ({t['nmi']:.3f} vs {best_nmi:.3f})": t["nmi"] >= best_nmi,
            f"NPMI >= {names} ({t['npmi']:.3f} vs {best_npmi:.3f})": t["npmi"] >= best_npmi,
            f"fit_transform >= 5x BERTopic's ({b['fit_s'] / t['fit_s']:.1f}x)": b["fit_s"] >= 5 * t["fit_s"],
            f"stop words <= 2% ({t['stop_share']:.1%})": t["stop_share"] <= 0.02,
        }
        if "filler_share" in t:
            checks[f"no filler word in a topic's first 3 words ({t['filler_share']:.1%} of topics)"] = (
                t["filler_share"] == 0
            )
        out.append(f"B {corpus}: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in checks.items()))
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _nmi_pair(r: dict) -> str:
    if np.isnan(r["topicscope_nmi"]):
        return "no gold labels"
    return f"NMI {r['topicscope_nmi']:.3f} vs BERTopic's {r['bertopic_nmi']:.3f}"


def verdicts_c(raw: dict) -> list[str]:
    out = []
    for r in raw.get("C_warm", []):
        out.append(f"C warm fit {r['corpus']}: {r['ratio']:.1f}x (target >= 5x): {_met(r['ratio'] >= 5)}")
    for r in raw.get("C_fit_transform", []):
        out.append(
            f"C warm fit_transform {r['corpus']}: {r['ratio']:.1f}x (target >= 5x): {_met(r['ratio'] >= 5)}; "
            + _nmi_pair(r)
        )
    for r in raw.get("C_transform", []):
        out.append(
            f"C transform, {r['new_docs']:,} new documents from {r['new_from']} (fitted on {r['fit_docs']:,} "
            f"{r['fit_on']}): {r['ratio']:.1f}x (target >= 2x): {_met(r['ratio'] >= 2)}; " + _nmi_pair(r)
        )
    for r in raw.get("C_cold", []):
        out.append(
            f"C cold {r['corpus']}: {r['ratio']:.1f}x (target >= 10x): {_met(r['ratio'] >= 10)}; "
            f"peak memory {r['topicscope_peak_mib']:.0f} vs {r['bertopic_peak_mib']:.0f} MiB: "
            + _met(r["topicscope_peak_mib"] <= r["bertopic_peak_mib"])
        )
    e = raw.get("C_embedding")
    if e:
        import speed

        by = {key: next((r for r in e if r["path"].startswith(p)), None) for key, p in speed.EMBEDDING_PATHS.items()}
        default, fast = by["default"], by["static"]
        out.append(
            f"C embedding, default path, bbc_news: {default['speedup']:.2f}x plain sentence-transformers "
            f"(target >= 2x): {_met(default['speedup'] >= 2)}; min cosine {default['min_cosine']:.4f} "
            f"(target >= 0.99): {_met(default['min_cosine'] >= 0.99)}"
            + (f"; NMI {default['bbc_nmi']:.3f} from its own embeddings" if by["shared"] else "")
        )
        if "dblp_speedup" in default:
            out.append(
                f"C embedding, default path, octis_dblp: {default['dblp_speedup']:.2f}x plain sentence-transformers "
                f"(target >= 2x): {_met(default['dblp_speedup'] >= 2)}; min cosine {default['dblp_min_cosine']:.4f} "
                f"(target >= 0.99): {_met(default['dblp_min_cosine'] >= 0.99)}"
            )
        out.append(
            f"C embedding, fast path: {fast['speedup']:.0f}x (target >= 50x): {_met(fast['speedup'] >= 50)}; "
            f"bbc_news NMI {fast['bbc_nmi']:.3f} vs {default['bbc_nmi']:.3f} with the transformer"
        )
    return out


# ------------------------------------------------------------------------------------------ report
VERBS_NOTES = """\
Both libraries work on identical topics: topicscope is fitted with its defaults (hierarchy:
`nr_topics=100`) on the precomputed embeddings, then BERTopic is fitted in manual mode
(`BaseCluster`, `BaseDimensionalityReduction`) on topicscope's labels. Each row times the call a
user makes, the same on both sides, given the training documents (topicscope recognises them by a
fingerprint and reuses fit's counts; the notes give the time when it must count them again).
topicscope: best of 3 calls; BERTopic: one call (its calls take seconds). Scripts:
benchmarks/verbs_over_time.py, verbs_hierarchy.py, verbs_distribution.py."""

SEEING_NOTES = """\
The ~100k corpus is real: octis_dblp + crisislex_tweets + 17,472 package_summaries (embedded with
the packaged MiniLM), fitted with defaults; the report's large case is octis_dblp +
crisislex_tweets (82,528). Times to interactive: the page's own clock when its ready flag is set
after the first draw, median of 3 loads, file:// with every network request blocked and counted.
Scripts: benchmarks/viz_documents.py, benchmarks/report_budget.py."""

TRANSFORM_NOTES = """\
transform: each library fits a default model (BERTopic(), TopicModel()) on `fit_docs` documents
with their precomputed embeddings, untimed; then one warm-up `transform` of up to 200 other unseen
documents; then the timed `transform(new_docs, embeddings=new_emb)`. Splits come from a seeded
permutation (seed 0) and are disjoint: fitted, warm-up and timed documents never overlap. On
20newsgroups and octis_dblp 10,000 documents are held out and the model is fitted on the rest.
bbc_news has only 2,225 articles, so it appears twice: its held-out 20% (445 articles, with NMI
against the sections), and a model fitted on all of bbc_news given 10,000 unseen 20newsgroups posts
(the target's size; no NMI, the newsgroups are not BBC sections). NMI: the new documents' topics
against their gold labels, BERTopic's outliers (-1) counted as one cluster as in parts A and B;
`*_outliers` is the share of new documents given -1."""


def render(raw: dict, meta: dict) -> tuple[str, list[str]]:
    """(the Markdown report, the target verdicts) of the measured sections in ``raw``."""
    sections = [
        f"# Benchmarks: topicscope vs BERTopic\n\nRun {meta['run']} on {meta['machine']}.\n"
        f"Command: `{meta['command']}`. "
        "Both libraries get the same precomputed all-MiniLM-L6-v2 embeddings from `../shared/data`.\n"
        + (
            "\nSections kept from an earlier run (BENCHMARKS.json): "
            + ", ".join(f"{k} ({v})" for k, v in meta["kept"].items())
            + ".\n"
            if meta.get("kept")
            else ""
        )
        + (
            f"\nSmoke run: part C on seeded samples of at most {meta['limit']:,} documents a corpus "
            "(transform hold-outs shrink to at most half the sample). Indicative only.\n"
            if meta.get("limit")
            else ""
        )
    ]
    verdicts: list[str] = []
    if "R" in raw:
        import raw_text

        verdicts += raw_text.verdicts_r(raw["R"])
        sections.append(
            "## R. From raw text: what users call\n\n`fit_transform(docs)` with no `embeddings=` on either side, "
            "each library in its own process, warmed up on 300 other documents first. BERTopic: its defaults with "
            "`SentenceTransformer(<the packaged all-MiniLM-L6-v2 folder>)`, its documented default model; "
            "topicscope: its defaults. `embed_share`: the share of `fit_s` spent in the embedding model's "
            "entry point; `peak_mib`: the process's peak resident memory, warm-up included; `nmi_own_embeddings`: "
            "topicscope's defaults on the packaged MiniLM's own (sentence-transformers) embeddings of the same "
            "documents. Targets (issue 21): >= 5x BERTopic's wall time, NMI >= BERTopic's and within 0.01 of "
            "`nmi_own_embeddings`.\n\n"
            + table(
                raw["R"],
                [
                    *("corpus", "n_docs", "lib", "fit_s", "embed_share", "peak_mib"),
                    *("n_topics", "outliers", "nmi", "nmi_own_embeddings"),
                ],
            )
        )
    if "A" in raw:
        summary, v = summarise_a(raw["A"])
        verdicts += v
        sections.append(
            "## A. Quality under the BERTopic paper's protocol\n\nMeans over nr_topics x random_state "
            "(NPMI: gensim c_npmi of the top-10 words, the corpus as reference; outlier topic excluded).\n\n"
            + table(summary, ["corpus", "lib", "runs", "n_topics", "npmi", "diversity", "nmi", "outliers"])
            + "\n\nPer run:\n\n"
            + table(
                raw["A"], ["corpus", "lib", "seed", "nr_topics", "n_topics", "npmi", "diversity", "nmi", "outliers"]
            )
        )
    if "B" in raw:
        verdicts += verdicts_b(raw["B"])
        sections.append(
            "## B. Defaults on raw text\n\n`fit_s`: one `fit_transform` call of each library, not warmed up apart. "
            "Topeax: turftopic's `Topeax` with its defaults (random_state=0), given the MiniLM encoder object "
            "and the same embeddings. `npmi`: gensim c_npmi of the top-10 words against the corpus itself, "
            "lower-cased, scikit-learn's default token pattern, nothing removed (issue 14's definition: a stop "
            "word among the top 10 is scored like any other word); `npmi_nostop`: the same with English stop "
            "words removed from the reference and the words (this table's NPMI before issue 14), which scores a "
            "topic on its remaining words only. `filler_share`: the share of topics whose first 3 words include a word "
            "that is among the top 10 of more than half of that system's topics or in more than 30% of the "
            "documents.\n\n"
            + table(
                raw["B"],
                ["corpus", "lib", "gold", "n_topics", "outliers", "nmi", "ari", "stop_share"]
                + (["filler_share"] if all("filler_share" in r for r in raw["B"]) else [])
                + ["npmi"]
                + (["npmi_nostop"] if all("npmi_nostop" in r for r in raw["B"]) else [])
                + ["fit_s"],
            )
        )
    verdicts += verdicts_c(raw)
    c = []
    if "C_warm" in raw:
        c.append(
            "### fit (warm)\n\nA second `fit` in the same process, defaults, precomputed embeddings.\n\n"
            + table(raw["C_warm"], ["corpus", "docs", "bertopic_s", "topicscope_s", "ratio"])
        )
    if "C_fit_transform" in raw:
        c.append(
            "### fit_transform (warm)\n\nThe same call on both sides, `fit_transform(docs, embeddings=emb)` "
            "on a fresh default model after one warm-up call; NMI of the returned topics against the gold "
            "labels (outliers as one cluster).\n\n"
            + table(
                raw["C_fit_transform"],
                ["corpus", "docs", "bertopic_s", "topicscope_s", "ratio", "bertopic_nmi", "topicscope_nmi"],
            )
        )
    if "C_transform" in raw:
        c.append(
            "### transform of new documents\n\n"
            + TRANSFORM_NOTES
            + "\n\n"
            + table(
                raw["C_transform"],
                [
                    "fit_on",
                    "new_from",
                    "fit_docs",
                    "new_docs",
                    "bertopic_s",
                    "topicscope_s",
                    "ratio",
                    "bertopic_nmi",
                    "topicscope_nmi",
                    "bertopic_outliers",
                    "topicscope_outliers",
                ],
            )
        )
    if "C_cold" in raw:
        c.append(
            "### Cold fit\n\nA fresh process each (topicscope's CLI vs the same read-fit-save job with "
            "BERTopic), import included.\n\n"
            + table(
                raw["C_cold"],
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
        )
    if "C_embedding" in raw:
        c.append(
            "### Embedding\n\nDocs/s on the first 500 bbc_news articles (long: most reach the model's 256-token "
            "limit) and, in the `dblp_` columns, on the first 4,000 octis_dblp titles (short), each warmed up on "
            "other documents. sentence-transformers' `encode` (PyTorch, float32) and topicscope's default path "
            "take turns, best of 3, the default path's text cache emptied before each call. `min_cosine`: the "
            "lowest per-document cosine to sentence-transformers' vectors (all of bbc_news; the timed titles). "
            "`bbc_nmi`: NMI against the sections of `TopicModel(random_state=0)` fitted on all of bbc_news with "
            "the embeddings that row's path computed itself; the last row is the shared precomputed file, for "
            "reference (`min_cosine` there: to the sentence-transformers row's vectors).\n\n"
            + table(raw["C_embedding"], list(raw["C_embedding"][0]))
        )
    if c:
        sections.append("## C. Speed and memory\n\n" + "\n\n".join(c))
    if "D" in raw:
        import verbs

        verdicts += verbs.verdicts_d(raw["D"])
        sections.append("## D. Analysis verbs\n\n" + VERBS_NOTES + "\n\n" + table(raw["D"], verbs.COLUMNS))
    if "E" in raw:
        import seeing

        verdicts += seeing.verdicts_e(raw["E"])
        sections.append("## E. Plots and the report\n\n" + SEEING_NOTES + "\n\n" + table(raw["E"], seeing.COLUMNS))
    if "F" in raw:
        import scale_part

        verdicts += scale_part.verdicts_f(raw["F"])
        sections.append(scale_part.render(raw["F"]))
    sections.insert(1, "## Targets\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n")
    tried = Path(__file__).resolve().parent / "tried.md"
    if tried.is_file():
        sections.append(tried.read_text(encoding="utf-8"))
    return "\n\n".join(sections) + "\n", verdicts


def load_previous(json_path: Path) -> tuple[dict, str]:
    """The sections of an earlier BENCHMARKS.json and the date of that run. Reads the layout before
    the sections were keyed (``"C": [warm, cold, embedding]``, the date in the Markdown) too."""
    data = json.loads(json_path.read_text(encoding="utf-8"))
    meta = data.pop("meta", None)
    if meta is not None:
        return data, meta["run"]
    if "C" in data:
        data["C_warm"], data["C_cold"], data["C_embedding"] = data.pop("C")
    md = json_path.with_suffix(".md")
    found = re.search(r"^Run (.+?) on ", md.read_text(encoding="utf-8"), re.M) if md.is_file() else None
    return data, found.group(1) if found else "date unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="part A on one seed and nr_topics 10/30/50")
    parser.add_argument("--parts", default="A,B,C", help="A, B, C or C's sections: " + ", ".join(C_SECTIONS))
    parser.add_argument("--limit", type=int, default=None, help="part C on seeded samples of at most N documents")
    parser.add_argument("--merge", action="store_true", help="keep the sections not rerun from the --out JSON")
    parser.add_argument(
        "--f-steps",
        default="e2e,e2e_default,curves,quality",
        help="part F's measurements to rerun (e2e, e2e_default, curves, quality); the others come from "
        "benchmarks/results",
    )
    parser.add_argument("--out", default=None, help="Markdown file to write (its .json beside it)")
    args = parser.parse_args()
    run = parse_parts(args.parts)
    if args.limit is not None and args.limit < 100:
        raise SystemExit(f"--limit must be >= 100 documents; got {args.limit}")
    if args.merge and args.limit:
        raise SystemExit("--merge with --limit would mix a smoke run into the full results; use one of them")
    full = run == list(ALL_SECTIONS) and args.limit is None
    out = Path(args.out or (ROOT / "BENCHMARKS.md" if full or args.merge else ROOT / "benchmarks/results/last.md"))
    out.parent.mkdir(parents=True, exist_ok=True)

    import quality
    import speed

    def log(msg: str) -> None:
        print(msg, flush=True)

    command = "python benchmarks/run.py" + "".join(
        flag
        for flag, on in (
            (" --quick", args.quick),
            (f" --parts {args.parts}", args.parts != "A,B,C"),
            (f" --limit {args.limit}", args.limit is not None),
            (" --merge", args.merge),
        )
        if on
    )
    meta = {
        "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": _machine(),
        "command": command,
        "limit": args.limit,
        "kept": {},
    }
    raw: dict[str, list] = {}
    if args.merge and out.with_suffix(".json").is_file():
        previous, when = load_previous(out.with_suffix(".json"))
        for key in ALL_SECTIONS:
            if key in previous and key not in run:
                raw[key] = previous[key]
                meta["kept"][key] = when
    lim = {"limit": args.limit}
    for key in run:
        if key == "R":
            import raw_text

            raw[key] = raw_text.part_r(log=log, **lim)
        elif key == "A":
            kw = {"nr_topics": (10, 30, 50), "seeds": (0,)} if args.quick else {}
            raw[key] = quality.part_a(log=log, **kw)
        elif key == "B":
            raw[key] = quality.part_b(log=log)
        elif key == "C_warm":
            raw[key] = speed.warm(log=log, **lim)
        elif key == "C_fit_transform":
            raw[key] = speed.warm_fit_transform(log=log, **lim)
        elif key == "C_transform":
            raw[key] = speed.transform_new(log=log, **lim)
        elif key == "C_cold":
            raw[key] = speed.cold(log=log, **lim)
        elif key == "C_embedding":
            raw[key] = speed.embedding(log=log, **lim)
        elif key == "D":
            import verbs

            raw[key] = verbs.part_d(log=log)
        elif key == "E":
            import seeing

            raw[key] = seeing.part_e(log=log)
        elif key == "F":
            import scale_part

            raw[key] = scale_part.part_f(log=log, steps=tuple(args.f_steps.split(",")))
    raw = {k: raw[k] for k in ALL_SECTIONS if k in raw}
    text, verdicts = render(raw, meta)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, **raw}, indent=1, default=float))
    print("\n".join(verdicts))
    print(f"wrote {out} and {out.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
