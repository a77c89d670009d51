"""The ``topicscope`` command: a thin adapter over the public API (parse, call, print)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .exceptions import TopicscopeError

EXIT_USAGE = 2


class CLIError(Exception):
    """A user error reported as one line on stderr with exit code 2."""


def read_frame(path: Path) -> Any:
    """Read a corpus file into a DataFrame: .txt (one document a line, column ``text``), .csv, .tsv,
    .jsonl or .parquet."""
    import pandas as pd

    if not path.is_file():
        raise CLIError(f"input file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        with path.open(encoding="utf-8") as fh:
            return pd.DataFrame({"text": [line.rstrip("\n") for line in fh]})
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise CLIError('reading .parquet needs pyarrow: pip install "topicscope[parquet]"') from exc
    if suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if suffix in {".csv", ".tsv"}:
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    raise CLIError(f"unsupported input type {suffix!r}: use .txt, .csv, .tsv, .jsonl or .parquet")


def frame_column(frame: Any, column: str, path: Path, option: str) -> Any:
    """``frame[column]``, or a CLIError naming the option and the columns there are."""
    if column not in frame.columns:
        raise CLIError(
            f"column {column!r} not found in {path.name}; columns are {list(frame.columns)[:20]} "
            f"(choose one with {option})"
        )
    return frame[column]


def frame_documents(frame: Any, path: Path, text_column: str | None) -> list[str]:
    docs = frame_column(frame, text_column or "text", path, "--text-column").fillna("").astype(str).tolist()
    if not any(d.strip() for d in docs):
        raise CLIError(f"the corpus in {path} is empty")
    return docs


def read_documents(path: Path, text_column: str | None) -> list[str]:
    """Read documents from .txt (one a line), .csv/.tsv/.jsonl/.parquet (with a text column)."""
    return frame_documents(read_frame(path), path, text_column)


def _load_embeddings(path: str | None) -> Any:
    if path is None:
        return None
    import numpy as np

    if not Path(path).is_file():
        raise CLIError(f"embeddings file not found: {path}")
    return np.load(path, allow_pickle=False).astype("float32")


def _print_table(model: Any, limit: int) -> None:
    import pandas as pd

    table = model.get_topic_info()[["Topic", "Count", "Name"]]
    with pd.option_context("display.max_colwidth", 80, "display.width", 160):
        print(table.head(limit).to_string(index=False))
    if len(table) > limit:
        print(f"... {len(table) - limit} more topics")


def cmd_fit(args: argparse.Namespace) -> None:
    from .model import TopicModel

    nr_topics: Any = args.nr_topics
    if nr_topics is not None and nr_topics != "auto":
        try:
            nr_topics = int(nr_topics)
        except ValueError:
            raise CLIError(f"--nr-topics must be an integer or 'auto'; got {nr_topics!r}") from None
    sample: dict[str, Any] = {}
    if args.sample_size is not None:
        sample["fit_sample_size"] = None if args.sample_size == 0 else args.sample_size
    model = TopicModel(
        embedding_model=args.embedding_model,
        min_topic_size=args.min_topic_size,
        nr_topics=nr_topics,
        top_n_words=args.top_n_words,
        n_gram_range=(1, args.max_ngram),
        random_state=args.random_state,
        verbose=not args.quiet,
        **sample,
    )
    if args.engine == "dask":
        n_docs = _fit_dask(model, args)
    else:
        if args.scheduler or args.workers:
            raise CLIError("--scheduler and --workers need --engine dask")
        docs = read_documents(Path(args.input), args.text_column)
        n_docs = len(docs)
        topics, probs = model.fit_transform(docs, embeddings=_load_embeddings(args.embeddings))
        if args.topics_out:
            _write_topics(args.topics_out, topics, probs)
    model.save(args.out, save_documents=args.save_documents)
    _print_table(model, args.show)
    n = len(model.topic_sizes_)
    outliers = model.topic_sizes_.get(-1, 0)
    print(f"{n_docs} documents, {n - (outliers > 0)} topics, {outliers} outliers; model saved to {args.out}")


def _write_topics(path: str, topics: list[int], probs: Any) -> None:
    """Each document's row, topic and probability as parquet (the same columns as the Dask engine's)."""
    import numpy as np
    import pandas as pd

    prob = probs if probs.ndim == 1 else probs.max(axis=1, initial=0.0)
    frame = pd.DataFrame({"row": np.arange(len(topics), dtype=np.int64), "Topic": topics, "Probability": prob})
    try:
        frame.to_parquet(path, index=False)
    except ImportError as exc:
        raise CLIError('writing parquet needs pyarrow: pip install "topicscope[parquet]"') from exc
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _fit_dask(model: Any, args: argparse.Namespace) -> int:
    """``topicscope fit --engine dask``: the input is a file, folder or glob of parquet or JSON-lines files."""
    from . import distributed as tsd

    if args.scheduler and args.workers:
        raise CLIError("--scheduler and --workers exclude each other: a scheduler's cluster has its own workers")
    if args.workers is not None and args.workers < 1:
        raise CLIError(f"--workers must be an integer >= 1; got {args.workers}")
    client: Any = args.scheduler
    cluster = None
    if args.workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
    try:
        tsd.fit(
            model,
            args.input,
            text_column=args.text_column or "text",
            embeddings=args.embeddings,
            client=client,
            topics_out=args.topics_out,
        )
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    return len(model.topics_)


def cmd_info(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    _print_table(model, args.show)


def _load(cls: Any, path: str) -> Any:
    if not Path(path).is_dir():
        raise CLIError(f"model folder not found: {path}")
    return cls.load(path)


def cmd_transform(args: argparse.Namespace) -> None:
    import pandas as pd

    from .model import TopicModel

    model = _load(TopicModel, args.model)
    docs = read_documents(Path(args.input), args.text_column)
    topics, probs = model.transform(docs, embeddings=_load_embeddings(args.embeddings))
    names = model.topic_labels_
    prob = probs if probs.ndim == 1 else probs.max(axis=1, initial=0.0)
    out = pd.DataFrame(
        {"document": range(len(docs)), "topic": topics, "name": [names[t] for t in topics], "probability": prob}
    )
    custom = _custom_names(model)
    if custom:
        out["custom_name"] = [custom[t] for t in topics]
    write_csv(out, args.output)
    _status(
        f"wrote topics of {len(docs)} documents to {'standard output' if args.output == '-' else args.output}", args
    )


def _custom_names(model: Any) -> dict[int, str] | None:
    """Topic id -> custom label (``custom_labels_`` is a list in topic order), or None without labels."""
    custom = model.custom_labels_
    return None if custom is None else dict(zip(model.topic_labels_, custom))


def _status(message: str, args: argparse.Namespace) -> None:
    """A progress line: on stderr when the data itself goes to standard output (``--output -``)."""
    print(message, file=sys.stderr if getattr(args, "output", None) == "-" else sys.stdout)


#: First characters that make a spreadsheet read a cell as a formula (OWASP's "CSV injection" list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``= + - @``, a tab or a carriage return gets a leading single quote,
    which spreadsheets show as text (OWASP's advice for CSV injection). Numeric columns are left
    alone: a topic id -1 or a negative number stays a number.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        out[column] = ["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values.tolist()]
    return out


def write_csv(frame: Any, output: str) -> None:
    """Write ``frame`` as CSV (formulas neutralised) to the file ``output``, or to standard output for ``-``."""
    safe = neutralise_formulas(frame)
    if output == "-":
        safe.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
        return
    try:
        safe.to_csv(output, index=False)
    except OSError as exc:
        raise CLIError(f"cannot write {output}: {exc.strerror or exc}") from exc


def cmd_merge(args: argparse.Namespace) -> None:
    from .model import TopicModel

    models = [_load(TopicModel, p) for p in args.models]
    merged = TopicModel.merge_models(models, min_similarity=args.min_similarity)
    merged.save(args.out)
    _print_table(merged, args.show)
    print(f"merged {len(models)} models into {len(merged.topic_sizes_)} topics; saved to {args.out}")


def cmd_corpus(args: argparse.Namespace) -> None:
    from .corpora import docstrings_corpus

    rows = docstrings_corpus(max_per_package=args.max_per_package, min_chars=args.min_chars)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    packages = len({r["label"] for r in rows})
    print(f"wrote {len(rows)} docstrings from {packages} installed packages to {args.out}")


def _corpus_topics(model: Any, docs: list[str], embeddings: str | None) -> list[int] | None:
    """None when ``docs`` are the model's training documents (their topics are known), else their topics
    from ``transform`` (with ``--embeddings`` when given)."""
    from ._topics import training_topics

    if training_topics(model.state_, docs) is not None:
        return None
    _status_err("the corpus is not the model's training corpus: assigning its documents with transform")
    topics, _ = model.transform(docs, embeddings=_load_embeddings(embeddings))
    return topics


def _status_err(message: str) -> None:
    print(f"topicscope: {message}", file=sys.stderr)


def cmd_over_time(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    path = Path(args.input)
    frame = read_frame(path)
    docs = frame_documents(frame, path, args.text_column)
    timestamps = frame_column(frame, args.timestamp_column, path, "--timestamp-column").tolist()
    if args.nr_bins is not None and args.nr_bins < 1:
        raise CLIError(f"--nr-bins must be an integer >= 1; got {args.nr_bins}")
    table = model.topics_over_time(
        docs,
        timestamps,
        topics=_corpus_topics(model, docs, args.embeddings),
        nr_bins=args.nr_bins,
        datetime_format=args.datetime_format,
    )
    write_csv(table, args.output)
    _status(f"wrote {len(table)} rows (topic x time bin) to {args.output}", args)


def cmd_per_class(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    path = Path(args.input)
    frame = read_frame(path)
    docs = frame_documents(frame, path, args.text_column)
    classes = frame_column(frame, args.class_column, path, "--class-column").tolist()
    topics = _corpus_topics(model, docs, args.embeddings)
    table = model.topics_per_class(docs, classes, topics=topics)
    write_csv(table, args.output)
    _status(f"wrote {len(table)} rows (topic x class) to {args.output}", args)


def cmd_hierarchy(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    docs = read_documents(Path(args.input), args.text_column) if args.input else None
    hier = model.hierarchical_topics(docs)
    print(model.get_topic_tree(hier, max_distance=args.max_distance, tight_layout=args.tight), end="")


def cmd_find(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    topics, similarities = model.find_topics(args.term, top_n=args.top_n)
    names = _custom_names(model) or model.topic_labels_
    for topic, similarity in zip(topics, similarities):
        print(f"{topic}\t{similarity:.3f}\t{names[topic]}")


def cmd_report(args: argparse.Namespace) -> None:
    from .model import TopicModel

    model = _load(TopicModel, args.model)
    docs = timestamps = classes = None
    if args.input:
        path = Path(args.input)
        frame = read_frame(path)
        docs = frame_documents(frame, path, args.text_column)
        if args.timestamp_column:
            timestamps = frame_column(frame, args.timestamp_column, path, "--timestamp-column").tolist()
        if args.class_column:
            classes = frame_column(frame, args.class_column, path, "--class-column").tolist()
    else:
        options = {
            "--with-documents": args.with_documents,
            "--text-column": args.text_column,
            "--timestamp-column": args.timestamp_column,
            "--class-column": args.class_column,
        }
        given = [option for option, value in options.items() if value]
        if given:
            verb = "needs" if len(given) == 1 else "need"
            raise CLIError(f"{', '.join(given)} {verb} the corpus: topicscope report MODEL CORPUS --out FILE")
    out = model.report(
        args.out,
        docs,
        with_documents=args.with_documents,
        timestamps=timestamps,
        classes=classes,
        title=args.title,
        embeddings=_load_embeddings(args.embeddings),
    )
    size = out.stat().st_size / 1e6
    text = "with document text" if args.with_documents else "without document text"
    print(f"wrote {out} ({size:.1f} MB, {text}, {len(model.topics_)} documents): it opens offline in any browser")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="topicscope", description="Topic modelling from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit a topic model on a corpus and save it")
    fit.add_argument(
        "input", help=".txt (a document a line), .csv, .tsv, .jsonl or .parquet; with --engine dask a glob or folder"
    )
    fit.add_argument("--out", required=True, help="folder to save the model in")
    fit.add_argument("--text-column", help="column holding the text (default: text)")
    fit.add_argument(
        "--embeddings",
        help="precomputed embeddings (.npy), one row per document; with --engine dask .npy shards or a column name",
    )
    fit.add_argument("--embedding-model", default=None, help="sentence-transformers name or local path")
    fit.add_argument("--min-topic-size", type=int, default=10)
    fit.add_argument("--nr-topics", default=None, help="an integer, or 'auto'")
    fit.add_argument("--top-n-words", type=int, default=10)
    fit.add_argument("--max-ngram", type=int, default=1, help="largest n-gram in topic words")
    fit.add_argument("--random-state", type=int, default=42)
    fit.add_argument("--save-documents", action="store_true", help="store representative documents' text")
    fit.add_argument("--show", type=int, default=30, help="topics to print")
    fit.add_argument("--quiet", action="store_true", help="no progress bars")
    fit.add_argument(
        "--engine", choices=("local", "dask"), default="local", help="dask: a Dask cluster fits the corpus"
    )
    fit.add_argument("--scheduler", default=None, help="with --engine dask: the scheduler's address (tcp://host:8786)")
    fit.add_argument("--workers", type=int, default=None, help="with --engine dask: start N local worker processes")
    fit.add_argument(
        "--sample-size",
        type=int,
        default=None,
        help="fit the topics on a seeded sample of N documents and assign the rest (0: never sample; default 100000)",
    )
    fit.add_argument("--topics-out", default=None, help="write each document's topic and probability (parquet)")
    fit.set_defaults(func=cmd_fit)

    info = sub.add_parser("info", help="print the topic table of a saved model")
    info.add_argument("model")
    info.add_argument("--show", type=int, default=50)
    info.set_defaults(func=cmd_info)

    tr = sub.add_parser("transform", help="assign topics to new documents")
    tr.add_argument("model")
    tr.add_argument("input")
    tr.add_argument(
        "--output",
        required=True,
        help="CSV to write (document, topic, name, probability; custom_name when labels were set), or - for stdout",
    )
    tr.add_argument("--text-column")
    tr.add_argument("--embeddings")
    tr.set_defaults(func=cmd_transform)

    merge = sub.add_parser("merge", help="merge saved models by topic similarity")
    merge.add_argument("models", nargs="+")
    merge.add_argument("--out", required=True)
    merge.add_argument("--min-similarity", type=float, default=0.7)
    merge.add_argument("--show", type=int, default=30)
    merge.set_defaults(func=cmd_merge)

    over = sub.add_parser("over-time", help="topics over time: words and document counts per topic and time bin")
    over.add_argument("model")
    over.add_argument("input", help="a corpus with a text column and a timestamp column")
    over.add_argument("--timestamp-column", required=True)
    over.add_argument("--nr-bins", type=int, default=None, help="equal-width time bins (default: one per timestamp)")
    over.add_argument("--datetime-format", default=None, help="strptime format of the timestamps (default: inferred)")
    over.add_argument("--output", required=True, help="CSV to write (Topic, Words, Frequency, Timestamp), or -")
    over.add_argument("--text-column")
    over.add_argument("--embeddings", help="embeddings of the corpus (.npy) when it is not the training corpus")
    over.set_defaults(func=cmd_over_time)

    per_class = sub.add_parser("per-class", help="topics per class: words and document counts per topic and class")
    per_class.add_argument("model")
    per_class.add_argument("input", help="a corpus with a text column and a class column")
    per_class.add_argument("--class-column", required=True)
    per_class.add_argument("--output", required=True, help="CSV to write (Topic, Words, Frequency, Class), or -")
    per_class.add_argument("--text-column")
    per_class.add_argument("--embeddings", help="embeddings of the corpus (.npy) when it is not the training corpus")
    per_class.set_defaults(func=cmd_per_class)

    hierarchy = sub.add_parser("hierarchy", help="print the hierarchy of a saved model's topics as a tree")
    hierarchy.add_argument("model")
    hierarchy.add_argument("input", nargs="?", help="the training corpus (optional: it is checked, not needed)")
    hierarchy.add_argument("--text-column")
    hierarchy.add_argument("--max-distance", type=float, default=None, help="collapse branches joined above this")
    hierarchy.add_argument("--tight", action="store_true", help="narrow indentation")
    hierarchy.set_defaults(func=cmd_hierarchy)

    find = sub.add_parser("find", help="the topics most similar to a search term")
    find.add_argument("model")
    find.add_argument("term")
    find.add_argument("--top-n", type=int, default=5)
    find.set_defaults(func=cmd_find)

    report = sub.add_parser("report", help="write a self-contained HTML report of a saved model (works offline)")
    report.add_argument("model")
    report.add_argument("input", nargs="?", help="the training corpus (needed for the options below)")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.add_argument("--with-documents", action="store_true", help="include document snippets (off by default)")
    report.add_argument("--text-column")
    report.add_argument("--timestamp-column", help="add topics over time from this column")
    report.add_argument("--class-column", help="add topics per class from this column")
    report.add_argument("--title", help="the report's title")
    report.add_argument("--embeddings", help="training embeddings (.npy), for a model that keeps none (merged, online)")
    report.set_defaults(func=cmd_report)

    corpus = sub.add_parser("corpus", help="build a real offline corpus: docstrings of installed packages")
    corpus.add_argument("--out", required=True, help=".jsonl to write (text, label = package)")
    corpus.add_argument("--max-per-package", type=int, default=50)
    corpus.add_argument("--min-chars", type=int, default=200)
    corpus.set_defaults(func=cmd_corpus)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (CLIError, TopicscopeError) as exc:
        print(f"topicscope: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
