"""Part R: ``fit_transform(docs)`` from raw text, each library with its default embedding model.

No ``embeddings=`` on either side; each (library, corpus) runs in its own process
(``_raw_fit.py`` under ``_peak.py``: wall time and peak resident memory). The corpora and sizes
are issue 21's: bbc_news whole (long articles), a seeded 3,889 of 20newsgroups, 6,000
crisislex_tweets and 10,000 octis_dblp titles.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPORA: tuple[tuple[str, int | None], ...] = (
    ("bbc_news", None),
    ("20newsgroups", 3889),
    ("crisislex_tweets", 6000),
    ("octis_dblp", 10000),
)
LIBS = ("BERTopic", "topicscope")


def _run(lib: str, corpus: str, limit: int | None, tmp: str) -> dict:
    out = Path(tmp) / f"{lib}-{corpus}.json"
    args = [str(HERE / "_raw_fit.py"), lib, corpus, "all" if limit is None else str(limit), str(out)]
    proc = subprocess.run([sys.executable, str(HERE / "_peak.py"), *args], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} on {corpus} failed:\n{proc.stderr[-3000:]}")
    peak = json.loads(proc.stderr.strip().splitlines()[-1])
    return {**json.loads(out.read_text(encoding="utf-8")), "peak_mib": peak["peak_mib"]}


def part_r(corpora=CORPORA, log=print, limit: int | None = None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for corpus, size in corpora:
            n = size if limit is None else min(size or limit, limit)
            for lib in LIBS:
                row = _run(lib, corpus, n, tmp)
                log(
                    f"R {corpus} {lib}: {row['fit_s']:.1f} s ({row['embed_share']:.0%} embedding), "
                    f"{row['peak_mib']:.0f} MiB, K={row['n_topics']}, outliers {row['outliers']:.1%}, "
                    f"NMI {row['nmi']:.3f}"
                )
                rows.append(row)
    return rows


def verdicts_r(rows: list[dict]) -> list[str]:
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        by = {r["lib"]: r for r in rows if r["corpus"] == corpus}
        t, b = by["topicscope"], by["BERTopic"]
        speed = b["fit_s"] / t["fit_s"]
        gap = t["nmi_own_embeddings"] - t["nmi"]
        checks = {
            f"fit_transform >= 5x BERTopic's ({speed:.1f}x)": speed >= 5,
            f"NMI >= BERTopic's ({t['nmi']:.3f} vs {b['nmi']:.3f})": t["nmi"] >= b["nmi"],
            f"NMI within 0.01 of MiniLM's own embeddings ({t['nmi']:.3f} vs {t['nmi_own_embeddings']:.3f})": gap
            <= 0.01,
        }
        missed = [k for k, ok in checks.items() if not ok]
        out.append(
            f"R {corpus} ({t['n_docs']} documents): "
            + "; ".join(checks)
            + (": met" if not missed else f": NOT met ({'; '.join(missed)})")
        )
    return out
