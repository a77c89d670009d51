"""LlamaCPP: topic labels from a local GGUF model run in-process by llama-cpp-python."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..exceptions import InputError, LLMResponseError, ModelNotFoundError, missing_extra
from ..representation.base import TopicContext
from .base import LLMLabeler
from .text import LlamaTokenizer

# Chat formats to use when a GGUF carries no chat template (llama-cpp-python would otherwise
# fall back to the Llama-2 format, which other model families answer with noise).
_FORMAT_BY_NAME = (
    ("gemma", "gemma"),
    ("zephyr", "zephyr"),
    ("mistral", "mistral-instruct"),
    ("qwen", "qwen"),
    ("llama-3", "llama-3"),
    ("llama3", "llama-3"),
    ("phi-3", "chatml"),
)
# Formats whose template drops the system message: it is prepended to the user message instead.
_NO_SYSTEM_ROLE = {"gemma", "mistral-instruct"}


def _guess_chat_format(llm: Any) -> str | None:
    metadata = getattr(llm, "metadata", None) or {}
    if metadata.get("tokenizer.chat_template"):
        return None
    name = " ".join(
        str(metadata.get(k, "")) for k in ("general.architecture", "general.name", "general.basename")
    ).lower()
    name += " " + Path(str(getattr(llm, "model_path", ""))).name.lower()
    for needle, fmt in _FORMAT_BY_NAME:
        if needle in name:
            return fmt
    return None


class LlamaCPP(LLMLabeler):
    """Label topics with a local GGUF model through llama-cpp-python (``pip install "topicscope[llm]"``).

    Parameters
    ----------
    model : path to a ``.gguf`` file (loaded on first use) or a loaded ``llama_cpp.Llama``.
    tokenizer : as in :class:`LLMLabeler`, plus "model" to count the model's own tokens.
    n_ctx : context window when loading from a path.
    chat_format : a llama-cpp-python chat format; None keeps the GGUF's chat template, or
        guesses one from the model's name when the file has none.
    llama_kwargs : further ``llama_cpp.Llama`` arguments when loading from a path.

    The other parameters are :class:`LLMLabeler`'s. Generation is sequential (one model).
    """

    _tokenizer_names = ("model",)

    def __init__(
        self,
        model: Any,
        prompt: str | None = None,
        system_prompt: str | None = None,
        nr_docs: int = 4,
        diversity: float | None = None,
        doc_length: int | None = None,
        tokenizer: Any = None,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        max_label_length: int = 80,
        n_ctx: int = 4096,
        chat_format: str | None = None,
        llama_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            prompt=prompt,
            system_prompt=system_prompt,
            nr_docs=nr_docs,
            diversity=diversity,
            doc_length=doc_length,
            tokenizer=tokenizer,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            stop=stop,
            generation_kwargs=generation_kwargs,
            max_label_length=max_label_length,
        )
        self.model = model
        self.n_ctx = n_ctx
        self.chat_format = chat_format
        self.llama_kwargs = llama_kwargs

    # ------------------------------------------------------------------ settings
    def _is_path(self) -> bool:
        return isinstance(self.model, (str, os.PathLike))

    def _validate(self) -> None:
        super()._validate()
        if not self._is_path() and not callable(getattr(self.model, "create_chat_completion", None)):
            raise InputError(
                f"model must be a path to a GGUF file or a llama_cpp.Llama; got {type(self.model).__name__}"
            )
        check_int(self.n_ctx, "n_ctx", minimum=64)
        if self.llama_kwargs is not None and not isinstance(self.llama_kwargs, dict):
            raise InputError(f"llama_kwargs must be a dict or None; got {type(self.llama_kwargs).__name__}")

    def _identity(self) -> dict[str, Any]:
        if self._is_path():
            path = Path(self.model).expanduser()
            try:
                stat = path.stat()
                file_id: Any = [str(path.resolve()), stat.st_size, int(stat.st_mtime)]
            except OSError:
                file_id = str(path)
        else:
            file_id = [str(getattr(self.model, "model_path", "")), id(self.model)]
        return {"backend": "llama.cpp", "model": file_id, "chat_format": self.chat_format}

    # ------------------------------------------------------------------ the model
    def _load(self) -> Any:
        """The ``llama_cpp.Llama`` in use, loaded on first call."""
        if not self._is_path():
            return self.model
        spec = (os.fspath(self.model), self.n_ctx, self.chat_format, repr(self.llama_kwargs))
        cached = getattr(self, "_llm", None)
        if cached is not None and getattr(self, "_llm_spec", None) == spec:
            return cached
        path = Path(self.model).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF model file not found: {str(path)!r} (LlamaCPP model=)")
        try:
            import llama_cpp
        except ImportError as exc:
            raise missing_extra("llama-cpp-python", "llm", exc) from exc
        kwargs: dict[str, Any] = {"n_ctx": self.n_ctx, "verbose": False}
        if self.chat_format is not None:
            kwargs["chat_format"] = self.chat_format
        if self.seed is not None:
            kwargs["seed"] = self.seed
        kwargs.update(self.llama_kwargs or {})
        try:
            llm = llama_cpp.Llama(model_path=str(path), **kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelNotFoundError(f"could not load the GGUF model {str(path)!r}: {exc}") from exc
        if self.chat_format is None and "chat_format" not in (self.llama_kwargs or {}):
            guessed = _guess_chat_format(llm)
            if guessed is not None:
                llm.chat_format = guessed
        self._llm, self._llm_spec = llm, spec
        return llm

    def _resolve_tokenizer(self) -> Any:
        if self.tokenizer == "model":
            return LlamaTokenizer(self._load())
        return self.tokenizer

    def _prepare(self, context: TopicContext) -> None:
        self._load()

    def _generate(self, prompt: str, system_prompt: str | None) -> str:
        llm = self._load()
        fmt = getattr(llm, "chat_format", None)
        if system_prompt and fmt in _NO_SYSTEM_ROLE and getattr(llm, "chat_handler", None) is None:
            messages = [{"role": "user", "content": f"{system_prompt}\n\n{prompt}"}]
        else:
            messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
                {"role": "user", "content": prompt}
            ]
        settings = self._generation_settings()
        stop = settings.pop("stop") or []
        try:
            response = llm.create_chat_completion(messages=messages, stop=stop, **settings)
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise LLMResponseError(f"llama.cpp could not answer: {exc}") from exc
        try:
            return response["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMResponseError(f"llama.cpp returned an unexpected response: {str(response)[:200]}") from exc
