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


def read_documents(path: Path, text_column: str | None) -> list[str]:
    """Read documents from .txt (one a line), .csv/.tsv/.jsonl/.parquet (with a text column)."""
    if not path.is_file():
        raise CLIError(f"input file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        with path.open(encoding="utf-8") as fh:
            docs = [line.rstrip("\n") for line in fh]
    elif suffix in {".csv", ".tsv", ".jsonl", ".parquet"}:
        import pandas as pd

        if suffix == ".parquet":
            try:
                frame = pd.read_parquet(path)
            except ImportError as exc:
                raise CLIError('reading .parquet needs pyarrow: pip install "topicscope[parquet]"') from exc
        elif suffix == ".jsonl":
            frame = pd.read_json(path, lines=True)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        column = text_column or "text"
        if column not in frame.columns:
            raise CLIError(
                f"column {column!r} not found in {path.name}; columns are {list(frame.columns)[:20]} "
                "(choose one with --text-column)"
            )
        docs = frame[column].fillna("").astype(str).tolist()
    else:
        raise CLIError(f"unsupported input type {suffix!r}: use .txt, .csv, .tsv, .jsonl or .parquet")
    if not any(d.strip() for d in docs):
        raise CLIError(f"the corpus in {path} is empty")
    return docs


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

    docs = read_documents(Path(args.input), args.text_column)
    nr_topics: Any = args.nr_topics
    if nr_topics is not None and nr_topics != "auto":
        try:
            nr_topics = int(nr_topics)
        except ValueError:
            raise CLIError(f"--nr-topics must be an integer or 'auto'; got {nr_topics!r}") from None
    model = TopicModel(
        embedding_model=args.embedding_model,
        min_topic_size=args.min_topic_size,
        nr_topics=nr_topics,
        top_n_words=args.top_n_words,
        n_gram_range=(1, args.max_ngram),
        random_state=args.random_state,
        verbose=not args.quiet,
    )
    model.fit(docs, embeddings=_load_embeddings(args.embeddings))
    model.save(args.out, save_documents=args.save_documents)
    _print_table(model, args.show)
    n = len(model.topic_sizes_)
    outliers = model.topic_sizes_.get(-1, 0)
    print(f"{len(docs)} documents, {n - (outliers > 0)} topics, {outliers} outliers; model saved to {args.out}")


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
    custom = model.custom_labels_
    if custom:
        out["custom_name"] = [custom.get(t, names[t]) for t in topics]
    write_csv(out, args.output)
    _status(
        f"wrote topics of {len(docs)} documents to {'standard output' if args.output == '-' else args.output}", args
    )


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="topicscope", description="Topic modelling from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit a topic model on a corpus and save it")
    fit.add_argument("input", help=".txt (a document a line), .csv, .tsv, .jsonl or .parquet")
    fit.add_argument("--out", required=True, help="folder to save the model in")
    fit.add_argument("--text-column", help="column holding the text (default: text)")
    fit.add_argument("--embeddings", help="precomputed embeddings (.npy), one row per document")
    fit.add_argument("--embedding-model", default=None, help="sentence-transformers name or local path")
    fit.add_argument("--min-topic-size", type=int, default=10)
    fit.add_argument("--nr-topics", default=None, help="an integer, or 'auto'")
    fit.add_argument("--top-n-words", type=int, default=10)
    fit.add_argument("--max-ngram", type=int, default=1, help="largest n-gram in topic words")
    fit.add_argument("--random-state", type=int, default=42)
    fit.add_argument("--save-documents", action="store_true", help="store representative documents' text")
    fit.add_argument("--show", type=int, default=30, help="topics to print")
    fit.add_argument("--quiet", action="store_true", help="no progress bars")
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
