"""A static embedding model distilled locally from a sentence-transformer (the opt-in fast path).

``StaticEmbedder.distill()`` runs the transformer once over every token of its vocabulary and
keeps one vector per token, weighted down for frequent tokens (by vocabulary rank, a proxy for
frequency in WordPiece vocabularies). A document's embedding is then the weighted mean of its
tokens' vectors: no transformer at inference, tens of thousands of documents a second on a CPU.
The vectors are cached (safetensors) so distillation runs once per model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from .._logging import logger, progress
from ..exceptions import InputError, missing_extra
from .backends import _normalise, _resolve_model_path
from .cache_files import cache_dir, check_cached, write_cached


class StaticEmbedder:
    """Token vectors distilled from a sentence-transformer; embeds by weighted token averaging.

    Use ``StaticEmbedder.distill("default")`` (or a model folder) and pass the result as
    ``embedding_model``. Much faster than the transformer, at some cost in quality (BENCHMARKS.md).
    """

    def __init__(self, vectors: np.ndarray, tokenizer_path: str, name: str = "static") -> None:
        self.vectors = vectors
        self.tokenizer_path = tokenizer_path
        self.name = name
        self._tokenizer: Any = None

    @classmethod
    def distill(
        cls, model: str = "default", *, batch_size: int = 512, cache: bool = True, verbose: bool = False
    ) -> StaticEmbedder:
        from safetensors.numpy import load, save

        path = _resolve_model_path(model)
        tokenizer_path = str(path / "tokenizer.json")
        if not Path(tokenizer_path).is_file():
            raise InputError(f"model {model!r} has no tokenizer.json at {path}; a fast tokenizer is needed")
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        cache_file = cache_dir() / f"static-{path.name}-{digest}.safetensors"
        if cache and check_cached(cache_file, "static token vectors"):
            return cls(load(cache_file.read_bytes())["vectors"], tokenizer_path, model)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - core dependency
            raise missing_extra("sentence-transformers", "sentence-transformers", exc) from exc
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(tokenizer_path)
        vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
        words = [w for w, _ in vocab]
        st = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        logger.info("distilling %d token vectors from %s", len(words), path)
        chunks = []
        for start in progress(range(0, len(words), batch_size), verbose=verbose, desc="distilling"):
            chunks.append(
                st.encode(words[start : start + batch_size], batch_size=batch_size, normalize_embeddings=True)
            )
        vectors = np.concatenate(chunks).astype(np.float32)
        # Down-weight frequent tokens: WordPiece ids grow roughly with rarity.
        rank = np.arange(len(words), dtype=np.float32)
        vectors *= np.log1p(rank + 1)[:, None] / np.log1p(len(words))
        if cache:
            write_cached(cache_file, save({"vectors": vectors}))
        return cls(vectors, tokenizer_path, model)

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(self.tokenizer_path)
            self._tokenizer.no_padding()
            self._tokenizer.no_truncation()
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        for i, enc in enumerate(encodings):
            if enc.ids:
                out[i] = self.vectors[enc.ids[:512]].mean(axis=0)
        return _normalise(out, len(texts), "StaticEmbedder")
