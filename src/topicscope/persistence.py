"""Save and load models in a safe format: JSON for metadata, safetensors for arrays.

Loading parses JSON and raw arrays only: nothing in a saved model can execute code. The
folder holds ``topicscope.json`` (format version, parameters, embedding model reference, topics)
and ``arrays.safetensors``. The fitted reducer and clusterer are not saved: ``transform`` needs
only the neighbour index (training embeddings in float16 and their topics).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .embedding import embedding_reference
from .exceptions import InputError, PersistenceError
from .state import TopicState

FORMAT = "topicscope-model"
FORMAT_VERSION = 1
META_FILE = "topicscope.json"
ARRAYS_FILE = "arrays.safetensors"
_SCALAR_PARAMS = (
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
)


def _words_json(words: dict[int, list[tuple[str, float]]]) -> dict[str, list[list[Any]]]:
    return {str(t): [[w, float(s)] for w, s in ws] for t, ws in words.items()}


def _words_from(data: dict[str, list[list[Any]]]) -> dict[int, list[tuple[str, float]]]:
    return {int(t): [(str(w), float(s)) for w, s in ws] for t, ws in data.items()}


def _jsonable(value: Any) -> Any:
    """Parameters as JSON values (numpy scalars and tuples included)."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _component_name(component: Any) -> Any:
    if isinstance(component, dict):
        return {str(k): _component_name(v) for k, v in component.items()}
    if isinstance(component, (list, tuple)):
        return [_component_name(v) for v in component]
    return f"{type(component).__module__}.{type(component).__qualname__}"


def save_model(model: Any, path: Path, *, save_documents: bool = False) -> None:
    from safetensors.numpy import save_file

    state: TopicState = model._state()
    if path.exists() and not path.is_dir():
        raise InputError(f"path must be a folder to save the model in; {str(path)!r} is a file")
    path.mkdir(parents=True, exist_ok=True)
    params = {name: _jsonable(getattr(model, name)) for name in _SCALAR_PARAMS}
    # Class names only: a component's repr can hold local paths (a GGUF file) or secrets.
    components = {
        name: _component_name(getattr(model, name))
        for name in ("umap_model", "hdbscan_model", "vectorizer_model", "ctfidf_model", "representation_model")
        if getattr(model, name) is not None
    }
    ctfidf = model.stages_.ctfidf if getattr(model, "stages_", None) else None
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "embedding_model": embedding_reference(model.embedding_model),
        "embedding_dim": state.embedding_dim,
        "params": params,
        "components": components,
        "ctfidf": ctfidf.get_params() if ctfidf is not None else None,
        "topic_ids": [int(t) for t in state.topic_ids],
        "sizes": [int(s) for s in state.sizes],
        "vocabulary": [str(v) for v in state.vocabulary],
        "words": _words_json(state.words),
        "names": {str(t): n for t, n in state.names.items()},
        "aspects": {a: _words_json(w) for a, w in state.aspects.items()},
        "custom_labels": None if state.custom_labels is None else {str(t): v for t, v in state.custom_labels.items()},
        "zeroshot_names": {str(t): v for t, v in state.zeroshot_names.items()},
        "representative_docs": {str(t): d for t, d in state.representative_docs.items()} if save_documents else None,
        "info": state.info,
    }
    ct = sp.csr_matrix(state.class_term)
    cw = sp.csr_matrix(state.ctfidf)
    arrays = {
        "topic_embeddings": np.ascontiguousarray(state.topic_embeddings, dtype=np.float32),
        "class_term_data": ct.data.astype(np.float64),
        "class_term_indices": ct.indices.astype(np.int64),
        "class_term_indptr": ct.indptr.astype(np.int64),
        "ctfidf_data": cw.data.astype(np.float64),
        "ctfidf_indices": cw.indices.astype(np.int64),
        "ctfidf_indptr": cw.indptr.astype(np.int64),
        "doc_topics": state.doc_topics.astype(np.int64),
        "index_embeddings": np.ascontiguousarray(state.index_embeddings, dtype=np.float16),
        "index_topics": state.index_topics.astype(np.int64),
        "zeroshot_embeddings": np.ascontiguousarray(state.zeroshot_embeddings, dtype=np.float32),
    }
    tmp = path / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    save_file(arrays, str(path / ARRAYS_FILE), metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)})
    tmp.replace(path / META_FILE)


def read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise PersistenceError(f"no saved topicscope model at {str(path)!r} (missing {META_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PersistenceError(f"{meta_path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PersistenceError(f"{meta_path} is not a topicscope model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise PersistenceError(
            f"{meta_path} has format_version {version!r}; this topicscope reads versions up to {FORMAT_VERSION}"
        )
    return meta


def load_model(cls: type, path: Path, *, embedding_model: Any = None) -> Any:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from .pipeline import Stages
    from .vectorize import ClassTfidfTransformer

    meta = read_meta(path)
    try:
        arrays = load_file(str(path / ARRAYS_FILE))
    except (OSError, SafetensorError) as exc:
        raise PersistenceError(f"cannot read {path / ARRAYS_FILE}: {exc}") from exc
    ref = meta["embedding_model"]
    if embedding_model is None:
        if ref["kind"] == "custom":
            raise InputError(
                f"this model was fitted with a custom embedding object ({ref['class']}); "
                "pass it again: TopicModel.load(path, embedding_model=...)"
            )
        embedding_model = None if ref["kind"] == "default" else ref["name"]
    params = dict(meta["params"])
    if params.get("n_gram_range") is not None:
        params["n_gram_range"] = tuple(params["n_gram_range"])
    model = cls(embedding_model=embedding_model, **params)
    n_topics = len(meta["topic_ids"])
    vocab = np.array(meta["vocabulary"], dtype=object)

    def csr(prefix: str) -> sp.csr_matrix:
        return sp.csr_matrix(
            (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
            shape=(n_topics, len(vocab)),
        )

    state = TopicState(
        topic_ids=np.array(meta["topic_ids"], dtype=np.int64),
        sizes=np.array(meta["sizes"], dtype=np.int64),
        vocabulary=vocab,
        class_term=csr("class_term"),
        ctfidf=csr("ctfidf"),
        topic_embeddings=arrays["topic_embeddings"],
        words=_words_from(meta["words"]),
        names={int(t): n for t, n in meta["names"].items()},
        aspects={a: _words_from(w) for a, w in meta["aspects"].items()},
        representative_docs={int(t): d for t, d in (meta["representative_docs"] or {}).items()},
        custom_labels=None if meta["custom_labels"] is None else {int(t): v for t, v in meta["custom_labels"].items()},
        zeroshot_names={int(t): v for t, v in meta["zeroshot_names"].items()},
        zeroshot_embeddings=arrays["zeroshot_embeddings"],
        doc_topics=arrays["doc_topics"],
        index_embeddings=arrays["index_embeddings"],
        index_topics=arrays["index_topics"],
        info=meta["info"],
    )
    model.state_ = state
    ctfidf = ClassTfidfTransformer(**meta["ctfidf"]) if meta.get("ctfidf") else ClassTfidfTransformer()
    model.stages_ = Stages(reducer=None, clusterer=None, vectorizer=None, ctfidf=ctfidf)
    return model
