"""Part F of BENCHMARKS.md: scale (issue 12), from scale.py (e2e, curves) and sample_quality.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
STAGE_COLUMNS = ["stage", "seconds"]
CURVE_COLUMNS = ["lib", "fit_sample_size", "documents", "fit_s", "peak_mib", "topics"]


# Issue 21 section 4: the default embedding model end to end from raw text, <= 20 min and <= 6 GB.
DEFAULT_TARGET_S = 20 * 60


def load() -> dict:
    e2e = json.loads((RESULTS / "scale_e2e.json").read_text())
    curves = json.loads((RESULTS / "scale_curves.json").read_text())
    quality = json.loads((RESULTS / "sample_quality.json").read_text())
    out = {"e2e": e2e, "curves": curves, "quality": quality}
    default = RESULTS / "scale_e2e_default.json"
    if default.is_file():
        out["e2e_default"] = json.loads(default.read_text())
    return out


STEPS = {
    "e2e": ["scale.py", "e2e"],
    "e2e_default": ["scale.py", "e2e", "--embedding", "default"],
    "curves": ["scale.py", "curves"],
    "quality": ["sample_quality.py"],
}


def part_f(log=print, steps=tuple(STEPS)) -> dict:
    """Run the measurements named in ``steps`` (all three fit corpora of up to 862k documents: about
    an hour here); the others are read from their last results in benchmarks/results."""
    for args in (STEPS[s] for s in steps):
        log(f"F: {' '.join(args)}")
        subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], cwd=HERE, check=True)
    return load()


def _quality(q: dict) -> tuple[float, float, float]:
    """(mean NMI of full fits, of 10% samples, the gap) against the gold labels over the seeds."""
    full = [r["nmi_labels"] for r in q["rows"] if r["fraction"] == 1.0]
    tenth = [r["nmi_labels"] for r in q["rows"] if abs(r["fraction"] - 0.1) < 1e-9]
    return float(np.mean(full)), float(np.mean(tenth)), float(np.mean(full) - np.mean(tenth))


def _throughput(static_s: float | None) -> str:
    """The default model's projected embedding time (embed_throughput.py), when it was measured."""
    path = RESULTS / "embed_throughput.json"
    if not path.is_file():
        return ""
    t = json.loads(path.read_text())
    proj = t["projected_embedding_s"]
    return (
        f"The default embedding model (the int8 ONNX graph) embeds {t['docs_per_s_per_worker']:.0f} package "
        f"summaries a second per worker (one thread, {t['documents_timed']:,} timed; benchmarks/embed_throughput.py): "
        f"all {t['corpus_documents']:,} would take {proj['2'] / 60:.0f} min on this machine's 2 workers, "
        f"{proj['16'] / 60:.1f} min on 16 and {proj['64'] / 60:.1f} min on 64"
        + (f", against the {static_s:.0f} s the static fast path took above" if static_s is not None else "")
        + ".\n\n"
    )


def _stages(e: dict) -> list[dict]:
    rows = [{"stage": s["stage"], "seconds": s["seconds"]} for s in e["stages"]]
    rows.append({"stage": "end to end (fit_transform, topics written as parquet)", "seconds": e["end_to_end_s"]})
    return rows


def _peak(e: dict) -> str:
    peak = e["peak_memory"]
    workers = ", ".join(f"{v:.0f}" for v in peak["workers_mib"].values())
    return (
        f"Peak memory (VmHWM): driver and scheduler {peak['driver_and_scheduler_mib']:.0f} MiB, workers "
        f"{workers} MiB; total {e['total_peak_mib']:.0f} MiB. {e['topics']} topics, {e['outliers']} outliers."
    )


def render_default(e: dict) -> str:
    """The default embedding model, from raw text (issue 21 section 4)."""
    from run import table

    embed = next((s["seconds"] for s in e["stages"] if s["stage"].startswith("reading and embedding")), None)
    rate = f" ({e['documents'] / embed:,.0f} documents a second over both workers)" if embed else ""
    largest = "\n".join(f"- {t['topic']} ({t['size']:,}): {' '.join(t['words'])}" for t in e["largest_topics"][:10])
    return (
        "### From raw text with the default embedding model\n\n"
        f"The same job with no embeddings given and `TopicModel()`'s own embedding model: {e['embedding']}; "
        f"{e.get('threads', 'each worker ran ONNX Runtime on one thread per core (two here)')}{rate}. "
        f"{e['documents']:,} documents, "
        f"{e['partitions']} partitions, {e['cluster']}, `fit_sample_size` {e['fit_sample_size']:,}; run "
        f"{e.get('measured', 'on an otherwise idle machine')}. `verbose=True` shows a progress bar per stage that "
        "moves as each partition is embedded and assigned.\n\n"
        + table(_stages(e), STAGE_COLUMNS)
        + f"\n\n{_peak(e)} The 10 largest:\n\n{largest}\n\n"
    )


def render(f: dict) -> str:
    from run import table

    e = f["e2e"]
    stages = _stages(e)
    largest = "\n".join(f"- {t['topic']} ({t['size']:,}): {' '.join(t['words'])}" for t in e["largest_topics"][:20])
    curves = [
        {
            "lib": r["lib"],
            "fit_sample_size": r["sample"],
            "documents": r["n"],
            "fit_s": r["fit_s"],
            "peak_mib": r["peak_mib"],
            "topics": r["topics"],
        }
        for r in f["curves"]["rows"]
    ]
    exps = "\n".join(
        f"- {k}: time ~ n^{v['time_exponent']}, memory ~ n^{v['memory_exponent']}, projected fit at 862k "
        f"{v['projected_fit_s_at_862k']:.0f} s"
        for k, v in f["curves"]["exponents"].items()
    )
    full, tenth, gap = _quality(f["quality"])
    return (
        "## F. Scale\n\n"
        f"End to end on {e['documents']:,} package summaries, {e['partitions']} parquet partitions, "
        f"{e['cluster']}, `fit_sample_size` {e['fit_sample_size']:,}; embeddings: {e['embedding']}. "
        "Run on an otherwise idle machine (2026-12-01; an earlier run that shared the 2 cores with other "
        "jobs, load average 5-7, took 663 s).\n\n"
        + table(stages, STAGE_COLUMNS)
        + f"\n\n{_peak(e)} The 20 largest:\n\n{largest}\n\n"
        + (render_default(f["e2e_default"]) if "e2e_default" in f else "")
        + _throughput(next((s["seconds"] for s in e["stages"] if s["stage"].startswith("reading and embedding")), None))
        + "Single-process `fit`, a fresh process per point, the same static embeddings on both sides "
        "(package_summaries, a seeded permutation; fit_sample_size 'default' is 100,000, which at or below "
        "100k is the unsampled fit). BERTopic's exponent is flattened by a fixed per-process start-up cost "
        "and the machine's load: read its projection as a lower bound.\n\n"
        + table(curves, CURVE_COLUMNS)
        + f"\n\n{exps}\n\n"
        f"Sampling quality (octis_dblp, {len(f['quality']['rows'])} fits over seeds and fractions, "
        f"benchmarks/sample_quality.py): NMI against the labels {full:.3f} for full fits, {tenth:.3f} for a 10% "
        f"sample plus assignment (gap {gap:.3f}, target <= 0.02)."
    )


def verdicts_f(f: dict) -> list[str]:
    e = f["e2e"]
    t = e["targets"]
    gap = _quality(f["quality"])[2]
    total = e["total_peak_mib"]
    out = []
    if "e2e_default" in f:
        d = f["e2e_default"]
        out.append(
            f"F end to end from raw text with the default embedding model (issue 21), {d['documents']:,} documents "
            f"on 2 workers: {d['end_to_end_s']:.0f} s (target <= {DEFAULT_TARGET_S} s): "
            + ("met" if d["end_to_end_s"] <= DEFAULT_TARGET_S else "NOT met")
            + f"; total peak memory {d['total_peak_mib']:.0f} MiB (target <= {6 * 1024} MiB): "
            + ("met" if d["total_peak_mib"] <= 6 * 1024 else "NOT met")
        )
    return [
        *out,
        f"F end to end, {e['documents']:,} documents on 2 workers: {e['end_to_end_s']:.0f} s (target <= "
        f"{t['end_to_end_s']} s): {'met' if e['end_to_end_s'] <= t['end_to_end_s'] else 'NOT met'}; total peak "
        f"memory {total:.0f} MiB (target <= {t['total_peak_mib']} MiB): "
        + ("met" if total <= t["total_peak_mib"] else "NOT met"),
        f"F sampling quality, octis_dblp: NMI gap of a 10% sample {gap:.3f} (target <= 0.02): "
        + ("met" if gap <= 0.02 else "NOT met"),
    ]
