"""Scale benchmarks on package_summaries (862,756 one-line package summaries): issue 12.

    cd benchmarks && nice -n 10 ../.venv/bin/python scale.py e2e      # Dask, 2 workers, end to end
    cd benchmarks && nice -n 10 ../.venv/bin/python scale.py curves   # single-process fits, 50k-400k

``e2e``: the corpus is written as parquet partitions (timed apart), then
``topicscope.distributed.fit_transform`` runs on ``LocalCluster(n_workers=2, threads_per_worker=1)``
with the static fast path (``StaticEmbedder.distill()``) as the model's embedding model, so the
workers embed their partitions (the embedder is pickled to each worker once, by the engine's
worker plugin), fit the topic structure on the default sample, assign every document and count
exact words. The engine's stage timings are captured from the "topicscope" logger; peak memory
is each process's VmHWM (driver, which also hosts the scheduler; each worker; each nanny).
Writes results/scale_e2e.json.

``curves``: ``TopicModel().fit`` with ``fit_sample_size=None`` and the default at 50k-400k
documents (a seeded permutation of the corpus; each size a prefix of it) and BERTopic 0.17.4
``BERTopic().fit(docs, embeddings=emb)`` at 50k, 100k (and 200k when 100k took under 6 min), all
with the same static-path embeddings (computed once, cached in /tmp). Each point runs in a fresh
process; its time is the ``fit`` call and its peak the process's VmHWM. The exponent of each
curve is a least-squares fit of log(time) and log(peak) against log(n). Writes
results/scale_curves.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _peak import status_mib

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[0].parent / "shared" / "data" / "package_summaries" / "docs.jsonl"
RESULTS = HERE / "results"
WORK = Path(os.environ.get("TOPICSCOPE_SCALE_WORK", "/tmp/topicscope_scale"))
SIZES = (50_000, 100_000, 200_000, 400_000)
BERTOPIC_SIZES = (50_000, 100_000, 200_000)
BERTOPIC_TIMEOUT_S = 15 * 60
FULL_N = 862_756
EMBEDDING_NAMES = {
    "static": "StaticEmbedder.distill() as embedding_model, embedded on the workers (engine's worker plugin)",
    "default": "the default embedding model (int8 all-MiniLM-L6-v2 on ONNX Runtime, as TopicModel() builds it), "
    "embedded on the workers (engine's worker plugin)",
}


def load_corpus() -> tuple[list[str], list[str]]:
    texts, names = [], []
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            names.append(f"{row.get('source', '')}:{row.get('name', '')}")
    return texts, names


def exponent(ns: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(n)."""
    if len(ns) < 2:
        return float("nan")
    return float(np.polyfit(np.log(ns), np.log(values), 1)[0])


def write_json(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / name
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out}")
    return out


# --------------------------------------------------------------------------------------------- e2e


class StageLog(logging.Handler):
    """Collects the "topicscope" logger's messages with their times since the run started."""

    def __init__(self, start: float) -> None:
        super().__init__(logging.INFO)
        self.start = start
        self.records: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.records.append({"t_s": round(record.created - self.start, 2), "message": message})
        print(f"  [{record.created - self.start:7.1f}s] {message}", file=sys.stderr, flush=True)


STAGE = re.compile(r"^(?P<name>.+) done in (?P<seconds>[0-9.]+)s$")


def write_partitions(folder: Path, partitions: int, limit: int | None = None) -> tuple[float, int]:
    import pandas as pd

    start = time.perf_counter()
    texts, names = load_corpus()
    texts, names = texts[:limit], names[:limit]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    bounds = np.linspace(0, len(texts), partitions + 1).astype(int)
    for i in range(partitions):
        lo, hi = bounds[i], bounds[i + 1]
        frame = pd.DataFrame({"id": np.arange(lo, hi, dtype=np.int64), "name": names[lo:hi], "text": texts[lo:hi]})
        frame.to_parquet(folder / f"part.{i:03d}.parquet", index=False)
    return time.perf_counter() - start, len(texts)


def _proc_peak() -> dict:
    import os as _os

    out = {"pid": _os.getpid()}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def e2e(args: argparse.Namespace) -> None:
    from distributed import Client, LocalCluster

    from topicscope import TopicModel
    from topicscope import distributed as tsd
    from topicscope.embedding import StaticEmbedder

    folder = WORK / "parquet"
    # In a child process, so that reading the JSON lines does not count in the driver's peak.
    cmd = [sys.executable, str(Path(__file__).resolve()), "_partitions", "--partitions", str(args.partitions)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    done = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    write_s, n_docs = done["write_s"], done["documents"]
    print(f"wrote {n_docs} documents as {args.partitions} parquet partitions in {write_s:.1f} s (not in the total)")

    t0 = time.perf_counter()
    if args.embedding == "static":
        embedder: object = StaticEmbedder.distill()  # cached after the first run
        print(f"static embedder loaded in {time.perf_counter() - t0:.1f} s")
    else:
        # The default path exactly as a user gets it, TopicModel() with no embedding_model (int8
        # MiniLM on ONNX Runtime); the model is loaded inside the timed call.
        embedder = None
    load_static_s = time.perf_counter() - t0

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    client = Client(cluster)
    worker_pids_before = {k: v["pid"] for k, v in client.run(_proc_peak).items()}
    logger = logging.getLogger("topicscope")
    start_wall = time.time()
    handler = StageLog(start_wall)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    topics_out = WORK / "topics"
    model = TopicModel(embedding_model=embedder, fit_sample_size=args.sample_size, random_state=0, verbose=True)
    try:
        t0 = time.perf_counter()
        frame = tsd.fit_transform(
            model, str(folder / "*.parquet"), id_column="id", client=client, topics_out=str(topics_out)
        )
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        per_topic = frame["Topic"].value_counts().compute()
        check_s = time.perf_counter() - t0
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    workers = client.run(_proc_peak)
    nannies = client.run(_proc_peak, nanny=True)
    restarted = sorted(k for k, v in workers.items() if worker_pids_before.get(k) != v["pid"])
    client.close()
    cluster.close()
    driver = _proc_peak()

    stages = []
    for rec in handler.records:
        m = STAGE.match(rec["message"])
        if m:
            stages.append({"stage": m["name"], "seconds": float(m["seconds"]), "ended_at_s": rec["t_s"]})
    staged = sum(s["seconds"] for s in stages)
    info = model.get_topic_info()
    sizes = sorted(((int(t), int(c)) for t, c in model.topic_sizes_.items() if t != -1), key=lambda tc: -tc[1])
    largest = [
        {"topic": t, "size": c, "words": [w for w, _ in model.get_topic(t)[:10]]}  # type: ignore[index]
        for t, c in sizes[:20]
    ]
    mem = {
        "driver_and_scheduler_mib": round(driver["VmHWM"], 1),
        "workers_mib": {k: round(v["VmHWM"], 1) for k, v in workers.items()},
        "nannies_mib": {k: round(v["VmHWM"], 1) for k, v in nannies.items()},
        "pids": {
            "driver": driver["pid"],
            "workers": {k: v["pid"] for k, v in workers.items()},
            "nannies": {k: v["pid"] for k, v in nannies.items()},
        },
    }
    # LocalCluster's nannies live in the driver process (same pid): each process is counted once.
    procs = {driver["pid"]: driver["VmHWM"]} | {v["pid"]: v["VmHWM"] for v in [*workers.values(), *nannies.values()]}
    total_peak = sum(procs.values())
    payload: dict = {
        "corpus": "package_summaries",
        "documents": n_docs,
        "partitions": args.partitions,
        "cluster": "LocalCluster(n_workers=2, threads_per_worker=1)",
        "embedding": EMBEDDING_NAMES[args.embedding],
        "fit_sample_size": model.fit_sample_size,
        "write_parquet_s": round(write_s, 1),
        "load_static_embedder_s": round(load_static_s, 1),
        "fit_transform_s": round(fit_s, 1),
        "end_to_end_s": round(load_static_s + fit_s, 1),
        "topic_counts_check_s": round(check_s, 1),
        "stages": stages,
        "stages_sum_s": round(staged, 1),
        "log": handler.records,
        "peak_memory": mem,
        "total_peak_mib": round(total_peak, 1),
        "workers_restarted": restarted,
        "topics": len([t for t in model.topic_sizes_ if t != -1]),
        "outliers": int(model.topic_sizes_.get(-1, 0)),
        "assigned_rows_check": int(per_topic.sum()),
        "largest_topics": largest,
        "topic_info_rows": len(info),
        # Issue 12's static-path target, issue 21's for the default model (both: 6 GB on this machine).
        "targets": {"end_to_end_s": 600 if args.embedding == "static" else 1200, "total_peak_mib": 6 * 1024},
    }
    if args.embedding == "default":
        payload["threads"] = "each worker runs ONNX Runtime on as many threads as it has Dask threads (one here)"
    if args.limit:  # a smoke test: kept out of results/
        print(json.dumps({k: v for k, v in payload.items() if k != "log"})[:3000])
    else:
        write_json("scale_e2e.json" if args.embedding == "static" else "scale_e2e_default.json", payload)

    print(f"\npackage_summaries, {n_docs} documents, {args.partitions} partitions, 2 workers x 1 thread")
    print(f"{'stage':<58} {'s':>8}")
    print(f"{'write parquet partitions (not in the total)':<58} {write_s:8.1f}")
    print(f"{'load the embedder (driver)':<58} {load_static_s:8.1f}")
    for s in stages:
        print(f"{s['stage'][:58]:<58} {s['seconds']:8.1f}")
    print(f"{'fit_transform total':<58} {fit_s:8.1f}")
    print(f"{'end to end (embedder load + fit_transform)':<58} {load_static_s + fit_s:8.1f}")
    print(f"\n{'process':<40} {'peak MiB':>9}")
    print(f"{'driver (+ scheduler)':<40} {driver['VmHWM']:9.0f}")
    for k, v in workers.items():
        print(f"{'worker ' + k:<40} {v['VmHWM']:9.0f}")
    for k, v in nannies.items():
        if v["pid"] != driver["pid"]:
            print(f"{'nanny ' + k:<40} {v['VmHWM']:9.0f}")
    print(f"{'total (distinct processes)':<40} {total_peak:9.0f}   target <= {6 * 1024}")
    if restarted:
        print(f"WARNING: workers restarted during the run (peaks lost): {restarted}")
    print(f"\n{payload['topics']} topics, {payload['outliers']} outliers; the 20 largest:")
    for row in largest:
        print(f"{row['topic']:>5} {row['size']:>7}  {' '.join(row['words'])}")


# ------------------------------------------------------------------------------------------ curves


def curve_inputs() -> tuple[Path, Path]:
    """The 400k-document prefix of a seeded permutation and its static-path embeddings (cached)."""
    docs_path = WORK / "curves_docs.jsonl"
    emb_path = WORK / "curves_static.npy"
    if docs_path.is_file() and emb_path.is_file():
        return docs_path, emb_path
    from topicscope.embedding import StaticEmbedder

    WORK.mkdir(parents=True, exist_ok=True)
    texts, _ = load_corpus()
    order = np.random.default_rng(0).permutation(len(texts))[: max(SIZES)]
    chosen = [texts[i] for i in order]
    start = time.perf_counter()
    emb = StaticEmbedder.distill().embed(chosen)
    print(f"embedded {len(chosen)} documents with the static path in {time.perf_counter() - start:.1f} s")
    np.save(emb_path, emb.astype(np.float16))
    with docs_path.open("w", encoding="utf-8") as fh:
        for t in chosen:
            fh.write(json.dumps({"text": t}) + "\n")
    return docs_path, emb_path


def point(args: argparse.Namespace) -> None:
    """One fit in this (fresh) process; prints one JSON line."""
    docs_path, emb_path = WORK / "curves_docs.jsonl", WORK / "curves_static.npy"
    with docs_path.open(encoding="utf-8") as fh:
        docs = [json.loads(line)["text"] for _, line in zip(range(args.n), fh)]
    emb = np.load(emb_path, mmap_mode="r")[: args.n].astype(np.float32)
    rss_before = status_mib("VmRSS")
    if args.lib == "bertopic":
        from bertopic import BERTopic

        start = time.perf_counter()
        model = BERTopic().fit(docs, embeddings=emb)
        seconds = time.perf_counter() - start
        topics = len(set(model.topics_) - {-1})
    else:
        from topicscope import TopicModel

        size = None if args.sample == "none" else 100_000
        start = time.perf_counter()
        model = TopicModel(fit_sample_size=size, random_state=0).fit(docs, embeddings=emb)
        seconds = time.perf_counter() - start
        topics = len([t for t in model.topic_sizes_ if t != -1])
    print(
        json.dumps(
            {
                "lib": args.lib,
                "n": args.n,
                "sample": args.sample,
                "fit_s": round(seconds, 1),
                "peak_mib": round(status_mib("VmHWM")),
                "rss_before_fit_mib": round(rss_before),
                "topics": topics,
            }
        ),
        flush=True,
    )


def run_point(lib: str, n: int, sample: str, timeout: float | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "_point", "--lib", lib, "--n", str(n), "--sample", sample]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        row = {"lib": lib, "n": n, "sample": sample, "fit_s": None, "timeout_s": timeout, "status": "> 15 min"}
        print(json.dumps(row), flush=True)
        return row
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        row = {"lib": lib, "n": n, "sample": sample, "fit_s": None, "status": f"failed ({proc.returncode})"}
        row["stderr_tail"] = proc.stderr[-2000:]
        print(json.dumps(row), flush=True)
        return row
    row = json.loads(lines[-1]) | {"status": "ok", "process_s": round(time.perf_counter() - start, 1)}
    print(json.dumps(row), flush=True)
    return row


def curves(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    curve_inputs()
    print(f"inputs ready in {time.perf_counter() - t0:.1f} s")
    rows: list[dict] = []
    libs = args.only or ["none", "default", "bertopic"]
    if "none" in libs:
        for n in SIZES:
            rows.append(run_point("topicscope", n, "none", None))
    if "default" in libs:
        for n in SIZES:
            if n <= 100_000 and any(r["lib"] == "topicscope" and r["n"] == n and r["sample"] == "none" for r in rows):
                # At most fit_sample_size documents the default fit IS the unsampled fit (docs/scale.md).
                same = next(r for r in rows if r["lib"] == "topicscope" and r["n"] == n and r["sample"] == "none")
                rows.append(same | {"sample": "default", "status": "same fit as sample=none (n <= 100,000)"})
                continue
            rows.append(run_point("topicscope", n, "default", None))
    if "bertopic" in libs:
        for n in BERTOPIC_SIZES:
            if n == 200_000:
                prev = next((r for r in rows if r["lib"] == "bertopic" and r["n"] == 100_000), None)
                if prev is None or prev.get("fit_s") is None or prev["fit_s"] >= 360:
                    print("BERTopic at 200k skipped: 100k took 6 minutes or more")
                    continue
            rows.append(run_point("bertopic", n, "none", BERTOPIC_TIMEOUT_S))

    fits = {}
    for lib, sample in (("topicscope", "none"), ("topicscope", "default"), ("bertopic", "none")):
        ok = [r for r in rows if r["lib"] == lib and r["sample"] == sample and r.get("fit_s")]
        if not ok:
            continue
        ns = [r["n"] for r in ok]
        time_exp = exponent(ns, [r["fit_s"] for r in ok])
        fit = {
            "points": len(ok),
            "time_exponent": round(time_exp, 2),
            "memory_exponent": round(exponent(ns, [r["peak_mib"] for r in ok]), 2),
        }
        if len(ok) >= 2:
            slope, intercept = np.polyfit(np.log(ns), np.log([r["fit_s"] for r in ok]), 1)
            fit["projected_fit_s_at_862k"] = round(float(np.exp(intercept + slope * np.log(FULL_N))), 0)
        fits[f"{lib}/{sample}"] = fit
    write_json(
        "scale_curves.json",
        {
            "corpus": "package_summaries (seeded permutation, seed 0; each size a prefix)",
            "embeddings": "StaticEmbedder.distill(), computed once; the same for every point",
            "rows": rows,
            "exponents": fits,
        },
    )
    print(f"\n{'library':<12} {'sample':<8} {'n':>8} {'fit s':>8} {'peak MiB':>9} {'topics':>7}")
    for r in rows:
        fit_s = f"{r['fit_s']:8.1f}" if r.get("fit_s") else f"{r['status']:>8}"
        peak = f"{r['peak_mib']:9.0f}" if r.get("peak_mib") else f"{'':>9}"
        print(f"{r['lib']:<12} {r['sample']:<8} {r['n']:>8} {fit_s} {peak} {r.get('topics', ''):>7}")
    print()
    for k, v in fits.items():
        print(f"{k:<22} time ~ n^{v['time_exponent']}, peak ~ n^{v['memory_exponent']}", end="")
        print(f", projected {v['projected_fit_s_at_862k']:.0f} s at 862k" if "projected_fit_s_at_862k" in v else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("e2e", help="Dask LocalCluster end to end on all 862,756 documents")
    p.add_argument("--partitions", type=int, default=16)
    p.add_argument("--limit", type=int, help="only the first LIMIT documents (a smoke test)")
    p.add_argument("--sample-size", type=int, default=100_000, help="fit_sample_size (default 100,000)")
    p.add_argument(
        "--embedding",
        choices=["static", "default"],
        default="static",
        help="static: StaticEmbedder.distill() (results/scale_e2e.json); default: the default model, int8 MiniLM "
        "(results/scale_e2e_default.json, issue 21 section 4)",
    )
    p = sub.add_parser("curves", help="single-process fit curves, topicscope and BERTopic")
    p.add_argument("--only", nargs="+", choices=["none", "default", "bertopic"], help="run only these curves")
    p = sub.add_parser("_partitions", help=argparse.SUPPRESS)
    p.add_argument("--partitions", type=int, default=16)
    p.add_argument("--limit", type=int)
    p = sub.add_parser("_point", help=argparse.SUPPRESS)
    p.add_argument("--lib", choices=["topicscope", "bertopic"], required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--sample", choices=["none", "default"], default="none")
    args = parser.parse_args()
    if args.command == "_partitions":
        write_s, n = write_partitions(WORK / "parquet", args.partitions, args.limit)
        print(json.dumps({"write_s": round(write_s, 1), "documents": n}))
        return
    {"e2e": e2e, "curves": curves, "_point": point}[args.command](args)


if __name__ == "__main__":
    main()
