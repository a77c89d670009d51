"""The fields of ``topicscope.json``, read as untrusted input: each checked, typed and named in errors.

``read_fields`` turns the parsed JSON into a ``Saved`` record (or raises ``PersistenceError``
naming the file and the field); ``info_json`` writes the typed extras back as the ``info`` object.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

from .._validation import MAX_N_GRAM
from ..embedding.backends import is_hub_name
from ..state import OnlineInfo, TopicState, ZeroShotInfo
from ..vectorize.vocabulary import COUNTING_SETTINGS
from .checks import Fields, token_pattern_problem

ARRAYS_FILE = "arrays.safetensors"
SCALAR_PARAMS = (
    "language",
    "low_memory",
    "top_n_words",
    "n_gram_range",
    "min_topic_size",
    "nr_topics",
    "calculate_probabilities",
    "seed_topic_list",
    "zeroshot_topic_list",
    "zeroshot_min_similarity",
    "verbose",
    "random_state",
    "fit_sample_size",
)


@dataclass
class Saved:
    """The checked contents of ``topicscope.json``."""

    version: int
    reference: dict[str, Any]
    embedding_dim: int
    params: dict[str, Any]
    ctfidf_params: dict[str, Any] | None
    has_ctfidf: bool
    topic_ids: list[int]
    sizes: list[int]
    vocabulary: list[str]
    words: dict[int, list[tuple[str, float]]]
    names: dict[int, str]
    aspects: dict[str, dict[int, list[tuple[str, float]]]]
    custom_labels: dict[int, str] | None
    zeroshot_names: dict[int, str]
    representative_docs: dict[int, list[str]]
    info: dict[str, Any]
    arrays: dict[str, Any] | None  # the integrity record (format version 2)
    labels_given: bool = False
    topic_mapper: dict[int, int] | None = None
    training_fingerprint: str = ""
    vectorizer_class: str | None = None  # the class of the vectorizer_model given at fit (informative)
    vectorizer: dict[str, Any] | None = None  # the fitted vectorizer's analyzer settings


def _optional(f: Fields, value: Any, field: str, read: Any) -> Any:
    return None if value is None else read(value, field)


def _n_gram_pair(f: Fields, value: Any, field: str) -> tuple[int, int]:
    """A pair (min_n, max_n) with 1 <= min_n <= max_n <= MAX_N_GRAM, the longest n-grams a fit counts."""
    lo, hi = (f.int_(v, f"{field}[{i}]", low=1, high=MAX_N_GRAM) for i, v in enumerate(f.list_(value, field, length=2)))
    if lo > hi:
        f.fail(field, "a pair (min_n, max_n) with min_n <= max_n", value)
    return (lo, hi)


def _param_readers(f: Fields) -> dict[str, Any]:
    def n_gram_range(value: Any, field: str) -> tuple[int, int]:
        return _n_gram_pair(f, value, field)

    def nr_topics(value: Any, field: str) -> int | str | None:
        return value if value in (None, "auto") else f.int_(value, field, low=1)

    def verbose(value: Any, field: str) -> bool | int:
        return value if isinstance(value, bool) else f.int_(value, field, low=0)

    return {
        "language": f.str_,
        "low_memory": f.bool_,
        "top_n_words": lambda v, k: f.int_(v, k, low=1, high=1_000_000),
        "n_gram_range": n_gram_range,
        "min_topic_size": lambda v, k: f.int_(v, k, low=1),
        "nr_topics": nr_topics,
        "calculate_probabilities": f.bool_,
        "seed_topic_list": lambda v, k: _optional(
            f, v, k, lambda v, k: [f.str_list(w, f"{k}[{i}]") for i, w in enumerate(f.list_(v, k))]
        ),
        "zeroshot_topic_list": lambda v, k: _optional(f, v, k, f.str_list),
        "zeroshot_min_similarity": lambda v, k: f.float_(v, k, low=-1.0, high=1.0),
        "verbose": verbose,
        "random_state": lambda v, k: _optional(f, v, k, lambda v, k: f.int_(v, k, low=0)),
        "fit_sample_size": lambda v, k: _optional(f, v, k, lambda v, k: f.int_(v, k, low=2)),
    }


def _read_params(f: Fields, raw: Any) -> dict[str, Any]:
    readers = _param_readers(f)
    out = {}
    for name, value in f.dict_(raw, "params").items():
        if name not in readers:
            f.fail("params", f"parameters among {list(SCALAR_PARAMS)}", name)
        out[name] = readers[name](value, f"params.{name}")
    return out


def _read_ctfidf_params(f: Fields, raw: Any) -> dict[str, Any] | None:
    from ..vectorize import ClassTfidfTransformer

    if raw is None:
        return None
    known = set(ClassTfidfTransformer().get_params())
    readers = {
        "bm25_weighting": f.bool_,
        "reduce_frequent_words": f.bool_,
        "seed_words": lambda v, k: _optional(f, v, k, f.str_list),
        "seed_multiplier": lambda v, k: f.float_(v, k, low=0.0, high=1e6),
        "exclusivity": lambda v, k: f.float_(v, k, low=0.0, high=100.0),
        "demote_filler_words": f.bool_,
    }
    out = {}
    for name, value in f.dict_(raw, "ctfidf").items():
        if name not in known:
            f.fail("ctfidf", f"parameters of ClassTfidfTransformer {sorted(known)}", name)
        out[name] = readers[name](value, f"ctfidf.{name}") if name in readers else value
    return out


def _read_reference(f: Fields, raw: Any, version: int) -> dict[str, Any]:
    ref = f.dict_(raw, "embedding_model")
    kind = f.str_(f.key(ref, "kind", "embedding_model.kind"), "embedding_model.kind")
    if version == 1 and kind == "sentence-transformers":
        # Version 1 stored local folders as given (absolute paths included): keep only the base name.
        name = f.str_(f.key(ref, "name", "embedding_model.name"), "embedding_model.name")
        if is_hub_name(name):
            return {"kind": "hub", "name": name}
        return {"kind": "local", "name": PurePath(name).name[:255]}
    if kind == "default":
        out = {"kind": "default", "name": ref.get("name", "default")}
        if "long_documents" in ref:
            reading = f.str_(ref["long_documents"], "embedding_model.long_documents")
            if reading not in ("windows", "truncate"):
                f.fail("embedding_model.long_documents", "'windows' or 'truncate'", reading)
            out["long_documents"] = reading
        return out
    if kind == "hub":
        name = f.str_(f.key(ref, "name", "embedding_model.name"), "embedding_model.name")
        if not is_hub_name(name):
            f.fail(
                "embedding_model.name",
                "a Hugging Face model id such as 'owner/name' (never a path: absolute or with '..')",
                name,
            )
        return {"kind": "hub", "name": name}
    if kind == "local":
        name = f.str_(f.key(ref, "name", "embedding_model.name"), "embedding_model.name")
        if not name or len(name) > 255 or PurePath(name).name != name or name in (".", "..") or "\\" in name:
            f.fail("embedding_model.name", "the base name of a folder (never a path)", name)
        return {"kind": "local", "name": name}
    if kind == "custom":
        return {"kind": "custom", "class": f.str_(ref.get("class", "?"), "embedding_model.class")[:300]}
    if kind == "none":
        return {"kind": "none"}
    f.fail("embedding_model.kind", "one of 'default', 'hub', 'local', 'custom', 'none'", kind)


def info_json(state: TopicState) -> dict[str, Any]:
    """The typed extras of ``state`` as the JSON field ``info``."""
    info: dict[str, Any] = {}
    if state.zeroshot is not None:
        zs = state.zeroshot
        info["zeroshot"] = {
            "labels": list(zs.labels),
            "topic_ids": list(zs.topic_ids),
            "min_similarity": float(zs.min_similarity),
            "report": zs.report,
        }
    if state.merge_mappings is not None:
        info["merge_mappings"] = [{str(t): int(m) for t, m in mapping.items()} for mapping in state.merge_mappings]
    if state.online is not None:
        info["online"] = asdict(state.online)
    return info


def _read_info(f: Fields, raw: Any, topics: set[int]) -> dict[str, Any]:
    """The field ``info`` checked and turned into TopicState's typed extras (keyword arguments)."""
    info = f.dict_(raw, "info")
    out: dict[str, Any] = {"zeroshot": None, "merge_mappings": None, "online": None}
    zs = info.get("zeroshot")
    if zs is not None:
        zs = f.dict_(zs, "info.zeroshot")
        ids: list[int | None] = []
        for i, t in enumerate(f.list_(f.key(zs, "topic_ids", "info.zeroshot.topic_ids"), "info.zeroshot.topic_ids")):
            if t is not None and f.int_(t, f"info.zeroshot.topic_ids[{i}]") not in topics:
                f.fail(f"info.zeroshot.topic_ids[{i}]", "one of the model's topics (field 'topic_ids') or null", t)
            ids.append(None if t is None else int(t))
        labels = f.str_list(zs["labels"], "info.zeroshot.labels") if "labels" in zs else [""] * len(ids)
        if len(labels) != len(ids):
            f.fail("info.zeroshot.labels", f"one label per entry of info.zeroshot.topic_ids ({len(ids)})", labels)
        out["zeroshot"] = ZeroShotInfo(
            labels=labels,
            topic_ids=ids,
            min_similarity=f.float_(
                f.key(zs, "min_similarity", "info.zeroshot.min_similarity"), "info.zeroshot.min_similarity"
            ),
            report=f.dict_(zs.get("report", {}), "info.zeroshot.report"),
        )
    if "merge_mappings" in info:
        mappings = []
        for i, mapping in enumerate(f.list_(info["merge_mappings"], "info.merge_mappings")):
            one = {}
            for src, dst in f.dict_(mapping, f"info.merge_mappings[{i}]").items():
                if f.int_(dst, f"info.merge_mappings[{i}][{src}]") not in topics:
                    f.fail(f"info.merge_mappings[{i}][{src}]", "one of the model's topics (field 'topic_ids')", dst)
                one[_int_key(f, src, f"info.merge_mappings[{i}]")] = int(dst)
            mappings.append(one)
        out["merge_mappings"] = mappings
    if "online" in info:
        online = f.dict_(info["online"], "info.online")
        counts = {
            name: f.int_(f.key(online, name, f"info.online.{name}"), f"info.online.{name}", low=0)
            for name in ("batches", "documents")
        }
        rows = f.int_(online.get("index_rows_per_topic", 0), "info.online.index_rows_per_topic", low=0)
        decay = online.get("decay")
        out["online"] = OnlineInfo(
            **counts,
            index_rows_per_topic=rows,
            decay=None if decay is None else f.float_(decay, "info.online.decay", low=0.0, high=1.0),
        )
    if "labels" in info:  # written by format version 1 (the LLM labels, also in field 'names')
        for key, value in f.dict_(info["labels"], "info.labels").items():
            f.str_(value, f"info.labels[{key}]")
    return out


def _read_vectorizer_class(f: Fields, raw: Any) -> str | None:
    value = f.dict_(raw, "components").get("vectorizer_model")
    return None if value is None else f.str_(value, "components.vectorizer_model")


def read_vectorizer(f: Fields, raw: Any) -> dict[str, Any] | None:
    """The saved counting settings (vectorize.vocabulary.COUNTING_SETTINGS), each checked.

    They decide how every document the loaded model counts is split into terms, so they are held to
    what a fitted vectorizer can have and counts in bounded time: n-grams of at most MAX_N_GRAM, a
    token_pattern that passes ``checks.token_pattern_problem``. ``binary`` is absent from
    files saved before it was saved (their vectorizer counted with binary=False).
    """
    if raw is None:
        return None
    out: dict[str, Any] = {}
    for name, value in f.dict_(raw, "vectorizer").items():
        where = f"vectorizer.{name}"
        if name in ("lowercase", "binary"):
            out[name] = f.bool_(value, where)
        elif name == "strip_accents":
            if value not in (None, "ascii", "unicode"):
                f.fail(where, "null, 'ascii' or 'unicode'", value)
            out[name] = value
        elif name == "stop_words":
            out[name] = value if value in (None, "english") else f.str_list(value, where)
        elif name == "token_pattern":
            if value is not None:
                problem = token_pattern_problem(f.str_(value, where))
                if problem is not None:
                    f.fail(where, problem, value)
            out[name] = value
        elif name == "ngram_range":
            out[name] = list(_n_gram_pair(f, value, where))
        elif name == "analyzer":
            if value not in ("word", "char", "char_wb"):
                f.fail(where, "'word', 'char' or 'char_wb'", value)
            out[name] = value
        else:
            f.fail("vectorizer", f"settings among {', '.join(COUNTING_SETTINGS)}", name)
    if "ngram_range" not in out:
        f.fail("vectorizer.ngram_range", "a pair (min_n, max_n)", None)
    if out.get("analyzer", "word") == "word" and "token_pattern" in out and out["token_pattern"] is None:
        f.fail("vectorizer.token_pattern", "a token pattern (a string) when vectorizer.analyzer is 'word'", None)
    return out


def _read_fingerprint(f: Fields, raw: Any) -> str:
    value = f.str_(raw, "training_fingerprint")
    if value and (len(value) != 32 or any(c not in "0123456789abcdef" for c in value)):
        f.fail("training_fingerprint", "'' or 32 lowercase hex digits", value)
    return value


def _read_topic_mapper(f: Fields, raw: Any, topics: set[int]) -> dict[int, int] | None:
    """Fit-time topic id -> current topic id (absent from version-1 files: the identity)."""
    if raw is None:
        return None
    out = {}
    for key, value in f.dict_(raw, "topic_mapper").items():
        src = f.int_(_int_key(f, key, "topic_mapper"), f"topic_mapper key {key!r}")
        dst = f.int_(value, f"topic_mapper[{key}]")
        if dst not in topics:
            f.fail(f"topic_mapper[{key}]", "one of the model's topics (field 'topic_ids')", dst)
        out[src] = dst
    return out


def _int_key(f: Fields, key: str, field: str) -> int:
    try:
        return int(key)
    except ValueError:
        f.fail(field, "integer topic ids as keys", key)
        raise  # unreachable: fail raises


def _read_arrays_record(f: Fields, raw: Any) -> dict[str, Any]:
    record = f.dict_(raw, "arrays")
    name = f.key(record, "file", "arrays.file")
    if name != ARRAYS_FILE:
        f.fail("arrays.file", repr(ARRAYS_FILE), name)
    digest = f.str_(f.key(record, "sha256", "arrays.sha256"), "arrays.sha256")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        f.fail("arrays.sha256", "a sha256 digest (64 lower-case hex digits)", digest)
    tensors = {}
    for tname, spec in f.dict_(f.key(record, "tensors", "arrays.tensors"), "arrays.tensors").items():
        where = f"arrays.tensors.{tname}"
        spec = f.dict_(spec, where)
        dtype = f.str_(f.key(spec, "dtype", f"{where}.dtype"), f"{where}.dtype")
        shape = f.list_(f.key(spec, "shape", f"{where}.shape"), f"{where}.shape")
        tensors[tname] = (dtype, tuple(f.int_(n, f"{where}.shape[{i}]", low=0) for i, n in enumerate(shape)))
    return {
        "bytes": f.int_(f.key(record, "bytes", "arrays.bytes"), "arrays.bytes", low=0),
        "sha256": digest,
        "tensors": tensors,
    }


def read_fields(meta: dict[str, Any], f: Fields) -> Saved:
    version = meta["format_version"]
    raw_ids = f.list_(f.key(meta, "topic_ids"), "topic_ids")
    topic_ids = [f.int_(t, f"topic_ids[{i}]") for i, t in enumerate(raw_ids)]
    if not topic_ids or any(a >= b for a, b in itertools.pairwise(topic_ids)):
        f.fail("topic_ids", "a non-empty list of topic ids in increasing order", raw_ids)
    topics = set(topic_ids)
    raw_sizes = f.list_(f.key(meta, "sizes"), "sizes", length=len(topic_ids))
    sizes = [f.int_(s, f"sizes[{i}]", low=0) for i, s in enumerate(raw_sizes)]
    names = f.str_map(f.key(meta, "names"), "names", topics)
    if set(names) != topics:
        missing = sorted(topics - set(names))[:10]
        f.fail("names", "a name for every topic in field 'topic_ids'", f"no names for topics {missing}")
    aspects = {
        f.str_(a, "aspects key"): f.words(w, f"aspects.{a}", topics)
        for a, w in f.dict_(f.key(meta, "aspects"), "aspects").items()
    }
    custom = f.key(meta, "custom_labels")
    reps = f.key(meta, "representative_docs")
    has_ctfidf = f.bool_(meta.get("save_ctfidf", True), "save_ctfidf")
    return Saved(
        version=version,
        reference=_read_reference(f, f.key(meta, "embedding_model"), version),
        embedding_dim=f.int_(f.key(meta, "embedding_dim"), "embedding_dim", low=1, high=1 << 20),
        params=_read_params(f, f.key(meta, "params")),
        ctfidf_params=_read_ctfidf_params(f, meta.get("ctfidf")),
        has_ctfidf=has_ctfidf,
        topic_ids=topic_ids,
        sizes=sizes,
        vocabulary=f.str_list(f.key(meta, "vocabulary"), "vocabulary"),
        words=f.words(f.key(meta, "words"), "words", topics),
        names=names,
        aspects=aspects,
        custom_labels=None if custom is None else f.str_map(custom, "custom_labels", topics),
        zeroshot_names=f.str_map(f.key(meta, "zeroshot_names"), "zeroshot_names", topics),
        representative_docs={}
        if reps is None
        else {
            f.topic_key(t, "representative_docs", topics): f.str_list(d, f"representative_docs[{t}]")
            for t, d in f.dict_(reps, "representative_docs").items()
        },
        info=_read_info(f, f.key(meta, "info"), topics),
        arrays=_read_arrays_record(f, f.key(meta, "arrays")) if version >= 2 else None,
        labels_given=f.bool_(meta.get("labels_given", False), "labels_given"),
        topic_mapper=_read_topic_mapper(f, meta.get("topic_mapper"), topics),
        training_fingerprint=_read_fingerprint(f, meta.get("training_fingerprint", "")),
        vectorizer_class=_read_vectorizer_class(f, meta.get("components", {})),
        vectorizer=read_vectorizer(f, meta.get("vectorizer")),
    )
