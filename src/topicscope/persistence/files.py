"""Save and load models in a safe format: JSON for metadata, safetensors for arrays.

Loading parses JSON and raw arrays only: nothing in a saved model can execute code. The
folder holds ``topicscope.json`` (format version, parameters, embedding model reference, topics,
and the shape, dtype and sha256 checksum of the arrays) and ``arrays.safetensors``. The fitted
reducer and clusterer are not saved: ``transform`` needs only the neighbour index (training
embeddings in float16 and their topics).

Saves are atomic: both files are written into a temporary folder beside the target, then swapped
in with renames, so a crash mid-save leaves the previous model at that path as it was. Loads treat
the folder as untrusted input (``persistence.checks``): every malformed file raises
``PersistenceError`` naming the file and the field.

Format versions: 2 (this one) adds the integrity record (``arrays``), ``save_ctfidf`` and
path-free embedding references; version-1 files still load (without the checksum check, and with
a local embedding model path turned into a ``local`` reference that is never followed).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import scipy.sparse as sp

from .._logging import logger
from .._neighbors import NO_TOPIC
from ..embedding.backends import UnavailableEmbedder, embedding_reference, is_hub_name
from ..exceptions import InputError, PersistenceError
from ..state import TopicState
from ..vectorize.vocabulary import analyzer_settings, rebuild_vectorizer
from .checks import Fields, check_csr, check_topic_values, parse_json, show
from .fields import ARRAYS_FILE, SCALAR_PARAMS, Saved, info_json, read_fields, read_vectorizer

if TYPE_CHECKING:
    from .._components import FittedComponents
    from ..settings import FitSettings

FORMAT = "topicscope-model"
FORMAT_VERSION = 2
META_FILE = "topicscope.json"
SERIALIZATIONS = ("safetensors", "pytorch")  # both write this safe format; "pickle" is refused
_OWN_FILES = {META_FILE, ARRAYS_FILE, META_FILE + ".tmp"}  # what a folder saved by any version holds
# name -> (dtype, number of dimensions); the c-TF-IDF arrays are absent with save_ctfidf=False.
_ARRAYS = {
    "topic_embeddings": ("float32", 2),
    "class_term_data": ("float64", 1),
    "class_term_indices": ("int64", 1),
    "class_term_indptr": ("int64", 1),
    "ctfidf_data": ("float64", 1),
    "ctfidf_indices": ("int64", 1),
    "ctfidf_indptr": ("int64", 1),
    "doc_topics": ("int64", 1),
    "index_embeddings": ("float16", 2),
    "index_topics": ("int64", 1),
    "zeroshot_embeddings": ("float32", 2),
    "neighbor_topics": ("int64", 2),
    "neighbor_weights": ("float32", 2),
    "doc_layout": ("float32", 2),
    "term_doc_share": ("float32", 1),
}
_CTFIDF_ARRAYS = ("ctfidf_data", "ctfidf_indices", "ctfidf_indptr")
_SINCE_V2 = ("neighbor_topics", "neighbor_weights")  # absent from version-1 files
_OPTIONAL = ("doc_layout", "term_doc_share")  # absent from files written before they existed


# ---------------------------------------------------------------------------------------- saving
def _words_json(words: dict[int, list[tuple[str, float]]]) -> dict[str, list[list[Any]]]:
    return {str(t): [[w, float(s)] for w, s in ws] for t, ws in words.items()}


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


def check_save_options(serialization: Any, save_ctfidf: Any, save_embedding_model: Any) -> None:
    """Validate BERTopic's ``save`` arguments (see ``TopicModel.save``)."""
    if serialization == "pickle":
        raise InputError(
            'serialization="pickle" is refused: loading a pickle can run arbitrary code, so topicscope never '
            'writes or reads one; use serialization="safetensors" (JSON + safetensors, the default)'
        )
    if not isinstance(serialization, str) or serialization not in SERIALIZATIONS:
        raise InputError(f"serialization must be one of {list(SERIALIZATIONS)}; got {serialization!r}")
    if not isinstance(save_ctfidf, bool):
        raise InputError(f"save_ctfidf must be True or False; got {save_ctfidf!r}")
    if isinstance(save_embedding_model, str):
        if not is_hub_name(save_embedding_model):
            raise InputError(
                "save_embedding_model must be True, False or a Hugging Face model id such as "
                f"'sentence-transformers/all-MiniLM-L6-v2' (a saved model never stores a local path); "
                f"got {save_embedding_model!r}"
            )
    elif not isinstance(save_embedding_model, bool):
        raise InputError(
            f"save_embedding_model must be True, False or a model name; got {type(save_embedding_model).__name__}"
        )


def _saved_reference(spec: Any, save_embedding_model: bool | str) -> dict[str, Any]:
    if save_embedding_model is False:
        return {"kind": "none"}
    if isinstance(save_embedding_model, str):
        return embedding_reference(save_embedding_model)
    return embedding_reference(spec)


def _target_folder(path: Path) -> Path:
    """The folder to (re)place, checked: never a file, never a folder holding anything but a model."""
    target = path.expanduser()
    if target.is_symlink() or target.name in ("", ".", ".."):
        target = target.resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"path must be a folder to save the model in; {str(path)!r} is a file")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in _OWN_FILES)
        if foreign:
            raise InputError(
                f"path {str(path)!r} holds files that are not part of a saved topicscope model ({foreign[:5]}); "
                "saving replaces the whole folder, so pass a new or empty folder"
            )
    return target


def _write_bytes(file: Path, data: bytes) -> None:
    with file.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _sha256(file: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with file.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its renames are durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` at ``target``: old folder aside, new one in, old one removed."""
    if not target.exists():
        os.rename(tmp, target)
        _fsync_dir(target.parent)
        return
    aside = target.parent / f".{target.name}.replaced-{secrets.token_hex(4)}"
    os.rename(target, aside)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside, target)
        raise
    _fsync_dir(target.parent)
    shutil.rmtree(aside, ignore_errors=True)
    if aside.exists():
        logger.warning("the previous model could not be removed from %s", aside)


class _SaveChecks(Fields):
    """The loader's checks of a field, run by save on the fitted vectorizer's settings before writing them."""

    def fail(self, field: str, expected: str, got: Any) -> NoReturn:
        setting = field.removeprefix("vectorizer.")
        raise InputError(
            f"the fitted vectorizer_model cannot be saved in a form topicscope.load reads back: its {setting} must "
            f"be {expected}; got {show(got)}"
        )


def save_model(
    path: Path,
    settings: FitSettings,
    state: TopicState,
    stages: FittedComponents | None,
    *,
    serialization: str = "safetensors",
    save_ctfidf: bool = True,
    save_embedding_model: bool | str = True,
    save_documents: bool = False,
) -> None:
    """Write a fitted model (its ``settings``, ``state`` and fitted ``stages``) to the folder ``path``
    atomically (see the module docstring); ``TopicModel.save`` calls it."""
    from safetensors.numpy import save_file

    check_save_options(serialization, save_ctfidf, save_embedding_model)
    vectorizer = analyzer_settings(getattr(stages, "vectorizer", None))
    if vectorizer is not None:
        read_vectorizer(_SaveChecks(Path("topicscope.json")), vectorizer)  # save writes only what load reads
    target = _target_folder(path)
    params = {name: _jsonable(getattr(settings, name)) for name in SCALAR_PARAMS}
    # Class names only: a component's repr can hold local paths (a GGUF file) or secrets.
    components = {
        name: _component_name(getattr(settings, name))
        for name in ("umap_model", "hdbscan_model", "vectorizer_model", "ctfidf_model", "representation_model")
        if getattr(settings, name) is not None
    }
    ctfidf = stages.ctfidf if stages else None
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "embedding_model": _saved_reference(settings.embedding_model, save_embedding_model),
        "embedding_dim": state.embedding_dim,
        "params": params,
        "components": components,
        "ctfidf": ctfidf.get_params() if ctfidf is not None else None,
        "vectorizer": vectorizer,
        "save_ctfidf": save_ctfidf,
        "topic_ids": [int(t) for t in state.topic_ids],
        "sizes": [int(s) for s in state.sizes],
        "vocabulary": [str(v) for v in state.vocabulary],
        "words": _words_json(state.words),
        "names": {str(t): n for t, n in state.names.items()},
        "aspects": {a: _words_json(w) for a, w in state.aspects.items()},
        "custom_labels": None if state.custom_labels is None else {str(t): v for t, v in state.custom_labels.items()},
        "zeroshot_names": {str(t): v for t, v in state.zeroshot_names.items()},
        "representative_docs": {str(t): d for t, d in state.representative_docs.items()} if save_documents else None,
        "info": info_json(state),
        "labels_given": bool(state.labels_given),
        "topic_mapper": {str(t): int(m) for t, m in state.topic_mapper.items()},
        "training_fingerprint": state.training_fingerprint,
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
        "neighbor_topics": np.ascontiguousarray(state.neighbor_topics, dtype=np.int64),
        "neighbor_weights": np.ascontiguousarray(state.neighbor_weights, dtype=np.float32),
        "doc_layout": np.ascontiguousarray(state.doc_layout, dtype=np.float32),
        "term_doc_share": np.ascontiguousarray(state.term_doc_share, dtype=np.float32),
    }
    if not save_ctfidf:  # derived from class_term at load (class_term stays: reduce, merge and online need it)
        for name in _CTFIDF_ARRAYS:
            del arrays[name]
    record = {name: {"dtype": str(a.dtype), "shape": [int(n) for n in a.shape]} for name, a in arrays.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        arrays_file = tmp / ARRAYS_FILE
        save_file(arrays, str(arrays_file), metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)})
        digest, size = _sha256(arrays_file)
        with arrays_file.open("rb") as fh:
            os.fsync(fh.fileno())
        meta["arrays"] = {"file": ARRAYS_FILE, "bytes": size, "sha256": digest, "tensors": record}
        _write_bytes(tmp / META_FILE, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
        _fsync_dir(tmp)
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------------------- loading
def read_meta(path: Path) -> dict[str, Any]:
    """The parsed ``topicscope.json`` of a model folder, with its format and version checked."""
    meta_path = path / META_FILE
    if not meta_path.is_file():
        hint = ""
        leftovers = sorted(path.parent.glob(f".{path.name}.replaced-*")) if path.name else []
        if leftovers:
            hint = f"; a save was interrupted: the previous model is in {str(leftovers[0])!r}"
        raise PersistenceError(f"no saved topicscope model at {str(path)!r} (missing {META_FILE}){hint}")
    meta = parse_json(meta_path)
    if meta.get("format") != FORMAT:
        raise PersistenceError(
            f"{meta_path} is not a topicscope model file: field 'format' must be {FORMAT!r}; "
            f"got {show(meta.get('format'))}"
        )
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise PersistenceError(
            f"{meta_path} has format_version {show(version)}; this topicscope reads versions 1 to {FORMAT_VERSION}"
        )
    return meta


def _load_arrays(path: Path, saved: Saved, meta_path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    file = path / ARRAYS_FILE
    if saved.arrays is not None:
        try:
            digest, size = _sha256(file)
        except OSError as exc:
            raise PersistenceError(f"cannot read {file}: {exc}") from exc
        if size != saved.arrays["bytes"]:
            raise PersistenceError(
                f"{file} is {size} bytes but {meta_path} field 'arrays.bytes' records {saved.arrays['bytes']}: "
                "the file is truncated or was replaced"
            )
        if digest != saved.arrays["sha256"]:
            raise PersistenceError(
                f"{file} does not match the checksum in {meta_path} field 'arrays.sha256': the file is corrupt "
                "or was replaced"
            )
    try:
        arrays = load_file(str(file))
    except (SafetensorError, OSError, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise PersistenceError(f"cannot read {file}: {exc}") from exc
    expected = {
        k: v
        for k, v in _ARRAYS.items()
        if (saved.has_ctfidf or k not in _CTFIDF_ARRAYS)
        and (saved.version >= 2 or k not in _SINCE_V2)
        and (k not in _OPTIONAL or k in arrays)
    }
    if set(arrays) != set(expected):
        missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
        raise PersistenceError(f"{file} must hold the arrays {sorted(expected)}; missing {missing}, unexpected {extra}")
    for name, (dtype, ndim) in expected.items():
        a = arrays[name]
        if str(a.dtype) != dtype or a.ndim != ndim:
            raise PersistenceError(f"{file}: array {name!r} must be {ndim}-D {dtype}; got {a.ndim}-D {a.dtype}")
        if saved.arrays is not None:
            recorded = saved.arrays["tensors"].get(name)
            if recorded != (dtype, a.shape):
                raise PersistenceError(
                    f"{file}: array {name!r} is {dtype} of shape {list(a.shape)} but {meta_path} field "
                    f"'arrays.tensors.{name}' records {recorded}"
                )
    if saved.arrays is not None and set(saved.arrays["tensors"]) != set(expected):
        raise PersistenceError(f"{meta_path}: field 'arrays.tensors' must describe the arrays {sorted(expected)}")
    _check_arrays(arrays, saved, file)
    return arrays


def _check_arrays(arrays: dict[str, np.ndarray], saved: Saved, file: Path) -> None:
    """The arrays agree with each other and with the JSON (topics, vocabulary, embedding_dim)."""
    k, n_terms, dim = len(saved.topic_ids), len(saved.vocabulary), saved.embedding_dim
    topics = np.array(saved.topic_ids, dtype=np.int64)

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise PersistenceError(f"{file}: {message}")

    te = arrays["topic_embeddings"]
    need(
        te.shape == (k, dim),
        f"array 'topic_embeddings' has shape {list(te.shape)}; expected [{k}, {dim}] "
        "(topics in field 'topic_ids', field 'embedding_dim')",
    )
    check_csr(arrays, "class_term", (k, n_terms), file, non_negative=True)
    if saved.has_ctfidf:
        check_csr(arrays, "ctfidf", (k, n_terms), file, non_negative=False)
    index, index_topics = arrays["index_embeddings"], arrays["index_topics"]
    need(
        index.shape[0] == 0 or index.shape[1] == dim,
        f"array 'index_embeddings' has {index.shape[1]} columns; expected {dim} (field 'embedding_dim')",
    )
    need(
        index_topics.shape[0] == index.shape[0],
        f"array 'index_topics' has {index_topics.shape[0]} entries but 'index_embeddings' has {index.shape[0]} rows",
    )
    check_topic_values(index_topics, topics, file, "index_topics")
    check_topic_values(arrays["doc_topics"], topics, file, "doc_topics")
    if "neighbor_topics" in arrays:
        nt, nw = arrays["neighbor_topics"], arrays["neighbor_weights"]
        n_docs = arrays["doc_topics"].shape[0]
        need(
            nt.shape == nw.shape and nt.shape[0] == n_docs,
            f"arrays 'neighbor_topics' {list(nt.shape)} and 'neighbor_weights' {list(nw.shape)} must both have "
            f"one row per document ({n_docs} in 'doc_topics') and the same shape",
        )
        check_topic_values(nt[nt != NO_TOPIC], topics, file, "neighbor_topics")
        need(
            bool(np.isfinite(nw).all()) and bool((nw >= 0).all()),
            "array 'neighbor_weights' must hold finite numbers >= 0",
        )
    zs = arrays["zeroshot_embeddings"]
    need(
        zs.shape[0] == 0 or zs.shape[1] == dim,
        f"array 'zeroshot_embeddings' has {zs.shape[1]} columns; expected {dim} (field 'embedding_dim')",
    )
    zs_info = saved.info["zeroshot"]
    if zs_info is not None and zs.shape[0]:
        need(
            zs.shape[0] == len(zs_info.topic_ids),
            f"array 'zeroshot_embeddings' has {zs.shape[0]} rows; expected one per zero-shot name "
            f"({len(zs_info.topic_ids)} in field 'info.zeroshot.topic_ids')",
        )
    for name in ("topic_embeddings", "index_embeddings", "zeroshot_embeddings"):
        need(bool(np.isfinite(arrays[name]).all()), f"array {name!r} must hold finite numbers")
    layout = arrays.get("doc_layout")
    if layout is not None:
        rows = arrays["doc_topics"].shape[0]
        need(
            layout.shape[1] == 2 and layout.shape[0] in (0, rows),
            f"array 'doc_layout' has shape {list(layout.shape)}; expected 0 or {rows} rows (one per document, "
            "array 'doc_topics') of 2 columns",
        )
        need(bool(np.isfinite(layout).all()), "array 'doc_layout' must hold finite numbers")
    share = arrays.get("term_doc_share")
    if share is not None:
        terms = len(saved.vocabulary)
        need(
            share.shape[0] in (0, terms),
            f"array 'term_doc_share' has {share.shape[0]} values; expected 0 or {terms} (one per term of field "
            "'vocabulary')",
        )
        bad = share[~(np.isfinite(share) & (share >= 0) & (share <= 1))]
        need(not len(bad), f"array 'term_doc_share' must hold shares in [0, 1]; got {bad[:1].tolist()}")


@dataclass
class LoadedModel:
    """What a model folder holds: the parameters to construct the model with, its state and stages."""

    params: dict[str, Any]  # constructor arguments (the saved parameters and the embedding model)
    state: TopicState
    stages: FittedComponents


def load_model(path: Path, *, embedding_model: Any = None) -> LoadedModel:
    """Read the model folder ``path`` (see the module docstring); ``TopicModel.load`` builds the model.

    ``embedding_model``: the model to use; None takes the one the file names (the default model or
    a hub name), else an ``UnavailableEmbedder`` that says how to pass one.
    """
    from .._components import FittedComponents
    from .._topics import ctfidf_weights_of
    from ..pipeline.guided import seed_words
    from ..vectorize import ClassTfidfTransformer

    meta = read_meta(path)
    meta_path = path / META_FILE
    saved = read_fields(meta, Fields(meta_path))
    arrays = _load_arrays(path, saved, meta_path)
    ref = saved.reference
    if embedding_model is None:
        if ref["kind"] == "hub":
            embedding_model = ref["name"]
        elif ref["kind"] == "default" and ref.get("long_documents") == "windows":
            from ..embedding.quantized import QuantizedEmbedder

            embedding_model = QuantizedEmbedder(long_documents="windows")
        elif ref["kind"] != "default":
            embedding_model = UnavailableEmbedder(ref)
    n_topics = len(saved.topic_ids)
    vocab = np.array(saved.vocabulary, dtype=object)

    def csr(prefix: str) -> sp.csr_matrix:
        return sp.csr_matrix(
            (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
            shape=(n_topics, len(vocab)),
        )

    ctfidf_params = dict(saved.ctfidf_params or {})
    if "term_doc_share" not in arrays:  # written before the filler-word rule: its words were made without it
        ctfidf_params.setdefault("demote_filler_words", False)
    ctfidf_model = ClassTfidfTransformer(**ctfidf_params)
    class_term = csr("class_term")
    if saved.has_ctfidf:
        weights = csr("ctfidf")
    else:  # the same computation describe_topics ran when the words were made
        weights = ctfidf_weights_of(
            ctfidf_model,
            class_term,
            vocab,
            np.array(saved.topic_ids, dtype=np.int64),
            arrays.get("term_doc_share", np.zeros(0, dtype=np.float32)),
            seed_words(saved.params.get("seed_topic_list")),
        )
    state = TopicState(
        topic_ids=np.array(saved.topic_ids, dtype=np.int64),
        sizes=np.array(saved.sizes, dtype=np.int64),
        vocabulary=vocab,
        class_term=class_term,
        ctfidf=weights,
        topic_embeddings=arrays["topic_embeddings"],
        words=saved.words,
        names=saved.names,
        aspects=saved.aspects,
        representative_docs=saved.representative_docs,
        custom_labels=saved.custom_labels,
        zeroshot_names=saved.zeroshot_names,
        zeroshot_embeddings=arrays["zeroshot_embeddings"],
        doc_topics=arrays["doc_topics"],
        index_embeddings=arrays["index_embeddings"],
        index_topics=arrays["index_topics"],
        **saved.info,
        neighbor_topics=arrays.get("neighbor_topics", arrays["doc_topics"][:, None]),
        neighbor_weights=arrays.get("neighbor_weights", np.ones((len(arrays["doc_topics"]), 1), dtype=np.float32)),
        labels_given=saved.labels_given,
        training_fingerprint=saved.training_fingerprint,
        doc_layout=arrays.get("doc_layout", np.zeros((0, 2), dtype=np.float32)),
        term_doc_share=arrays.get("term_doc_share", np.zeros(0, dtype=np.float32)),
        topic_mapper=saved.topic_mapper
        if saved.topic_mapper is not None
        else {int(t): int(t) for t in saved.topic_ids},
    )
    vectorizer = None
    if saved.vectorizer is not None:
        vectorizer = rebuild_vectorizer(saved.vectorizer, vocab)
    elif saved.vectorizer_class is not None:
        logger.info(
            "%s: the vectorizer_model (%s) was not saved (only CountVectorizer settings are): new documents are "
            "counted with the default analyzer over the saved vocabulary",
            path,
            saved.vectorizer_class.rsplit(".", 1)[-1],
        )
    stages = FittedComponents(reducer=None, clusterer=None, vectorizer=vectorizer, ctfidf=ctfidf_model)
    return LoadedModel(params={"embedding_model": embedding_model, **saved.params}, state=state, stages=stages)
