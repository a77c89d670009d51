"""LlamaCPP: topic labels from a local GGUF model run in-process by llama-cpp-python.

A GGUF with a chat template (an instruction-tuned model) is asked through chat completion. A
GGUF without one (a base model) gets a completion prompt instead: a few made-up examples in a
"Keywords: ...\\nDocuments: ...\\nTopic label:" layout, then the topic's own, continued by the
model up to the end of the line.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..context import TopicContext, Words
from ..exceptions import InputError, LLMResponseError, ModelNotFoundError
from .base import LLMLabeler
from .gguf import load_llama
from .text import COMPLETION_EXAMPLES, DEFAULT_COMPLETION_PROMPT, DEFAULT_PROMPT, LlamaTokenizer, completion_examples

# Formats whose template drops the system message: it is prepended to the user message instead.
_NO_SYSTEM_ROLE = {"gemma", "mistral-instruct"}
# llama-cpp-python's chat format when a GGUF has no template and none was asked for.
_FALLBACK_FORMAT = "llama-2"

CHAT, COMPLETION = "chat", "completion"

# A llama.cpp context is not thread safe: one lock per loaded Llama, whoever holds it (labellers
# sharing a Llama they were given, or one labeller serving several describe calls at once).
_LLAMA_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_LLAMA_LOCKS_GUARD = threading.Lock()
_UNWEAKABLE_LOCK = threading.Lock()  # for a Llama-like object that takes no weak reference


def _llama_lock(llm: Any) -> threading.Lock:
    """The lock serialising generation with ``llm``."""
    with _LLAMA_LOCKS_GUARD:
        try:
            return _LLAMA_LOCKS.setdefault(llm, threading.Lock())
        except TypeError:
            return _UNWEAKABLE_LOCK


class LlamaCPP(LLMLabeler):
    """Label topics with a local GGUF model through llama-cpp-python (``pip install "topicscope[llm]"``).

    The first eight parameters are BERTopic 0.17's, in its order.

    Parameters
    ----------
    model : path to a ``.gguf`` file (loaded on first use) or a loaded ``llama_cpp.Llama``.
    prompt : the user prompt with ``[DOCUMENTS]`` and/or ``[KEYWORDS]``; None: the default for
        the prompt style (see below).
    system_prompt : None for the default system prompt, "" for none.
    pipeline_kwargs : BERTopic's name for generation settings passed to llama.cpp as they are
        (e.g. ``{"max_tokens": 20, "top_p": 0.9}``); merged with ``generation_kwargs`` (a key
        in both must not differ) and applied over ``max_tokens``/``temperature``/``seed``/``stop``.
    nr_docs, diversity, doc_length : as in :class:`LLMLabeler`.
    tokenizer : as in :class:`LLMLabeler`, plus "model" to count the model's own tokens.
    n_ctx : context window when loading from a path.
    chat_format : a llama-cpp-python chat format. None: chat completion when the GGUF has a chat
        template, completion otherwise. A name forces chat completion with that format (for an
        instruction-tuned GGUF whose file lacks its template).
    llama_kwargs : further ``llama_cpp.Llama`` arguments when loading from a path.
    extra_buffers : llama.cpp's weight repacking when loading from a path. None (default): on,
        except on CPUs with AMX under a llama.cpp built with AMX kernels, where it crashes the
        process (see ``topicscope.llm.gguf`` and docs/llm.md); True/False forces it. The choice
        and its reason are logged at INFO level and kept as ``load_decision_``.

    Prompt style (fitted attribute ``prompt_style_``): "chat" when the GGUF has a chat template
    (metadata ``tokenizer.chat_template``), ``chat_format`` is given, or a loaded ``Llama`` was
    given a chat format or handler; "completion" otherwise. In completion style the text sent is
    the system prompt, then (with the default prompt only) a few made-up examples, then the
    topic's filled prompt; generation stops at the end of the line unless ``stop`` is given. A
    user prompt is used in both styles; with completion it should end where the label begins.

    The other parameters are :class:`LLMLabeler`'s. Generation is sequential (one model).
    """

    _tokenizer_names = ("model",)

    def __init__(
        self,
        model: Any,
        prompt: str | None = None,
        system_prompt: str | None = None,
        pipeline_kwargs: dict[str, Any] | None = None,
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
        extra_buffers: bool | None = None,
    ) -> None:
        super().__init__(**self._base_args(locals()))
        self.model = model
        self.pipeline_kwargs = pipeline_kwargs
        self.n_ctx = n_ctx
        self.chat_format = chat_format
        self.llama_kwargs = llama_kwargs
        self.extra_buffers = extra_buffers

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
        if self.pipeline_kwargs is not None and not isinstance(self.pipeline_kwargs, dict):
            raise InputError(f"pipeline_kwargs must be a dict or None; got {type(self.pipeline_kwargs).__name__}")
        if self.extra_buffers is not None and not isinstance(self.extra_buffers, bool):
            raise InputError(
                f"extra_buffers must be True, False or None (decide from the CPU); got {self.extra_buffers!r}"
            )
        if self.chat_format is not None and (not isinstance(self.chat_format, str) or not self.chat_format.strip()):
            raise InputError(
                f"chat_format must be a llama-cpp-python chat format name or None; got {self.chat_format!r}"
            )
        self._extra_kwargs()

    def _extra_kwargs(self) -> dict[str, Any]:
        ours = dict(self.generation_kwargs or {})
        theirs = dict(self.pipeline_kwargs or {})
        for key, value in theirs.items():
            if key in ours and ours[key] != value:
                raise InputError(
                    f"pipeline_kwargs and generation_kwargs both set {key!r}, to {value!r} and {ours[key]!r}; "
                    "give it once"
                )
        for key in ("messages", "prompt", "stream"):
            if key in theirs or key in ours:
                raise InputError(
                    f"pipeline_kwargs/generation_kwargs must not set {key!r}: the labeller writes the prompt "
                    "and reads whole answers"
                )
        return {**ours, **theirs}

    def _file_id(self) -> Any:
        path = Path(self.model).expanduser()
        try:
            stat = path.stat()
        except OSError:
            return str(path)
        return [str(path.resolve()), stat.st_size, int(stat.st_mtime)]

    def _identity(self) -> dict[str, Any]:
        if self._is_path():
            file_id: Any = self._file_id()
        else:
            file_id = [str(getattr(self.model, "model_path", "")), id(self.model)]
        return {"backend": "llama.cpp", "model": file_id, "chat_format": self.chat_format}

    # ------------------------------------------------------------------ the model
    def _check_file(self) -> Path:
        path = Path(self.model).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF model file not found: {str(path)!r} (LlamaCPP model=)")
        return path

    def _load(self) -> Any:
        """The ``llama_cpp.Llama`` in use, loaded on first call."""
        if not self._is_path():
            return self.model
        spec = (os.fspath(self.model), self.n_ctx, self.chat_format, repr(self.llama_kwargs), self.extra_buffers)
        cached = getattr(self, "_llm", None)
        if cached is not None and getattr(self, "_llm_spec", None) == spec:
            return cached
        path = self._check_file()
        kwargs: dict[str, Any] = {"n_ctx": self.n_ctx, "verbose": False}
        if self.chat_format is not None:
            kwargs["chat_format"] = self.chat_format
        if self.seed is not None:
            kwargs["seed"] = self.seed
        kwargs.update(self.llama_kwargs or {})
        llm = load_llama(path, extra_buffers=self.extra_buffers, **kwargs)
        self.load_decision_ = llm.topicscope_load_decision
        self._llm, self._llm_spec = llm, spec
        return llm

    def _has_chat_template(self) -> bool:
        """Whether the GGUF carries a chat template (read without loading the weights)."""
        cached = getattr(self, "_llm", None)
        if cached is not None and getattr(self, "_llm_spec", (None,))[0] == os.fspath(self.model):
            return bool((cached.metadata or {}).get("tokenizer.chat_template"))
        file_id = self._file_id()
        known = getattr(self, "_template_seen", None)
        if known is not None and known[0] == file_id:
            return bool(known[1])
        path = self._check_file()
        vocab = load_llama(path, extra_buffers=self.extra_buffers, vocab_only=True, verbose=False)
        has = bool((vocab.metadata or {}).get("tokenizer.chat_template"))
        vocab.close()
        self._template_seen = (file_id, has)
        return has

    def _prompt_style(self) -> str:
        """The prompt style, CHAT or COMPLETION (see the class docstring)."""
        if self.chat_format is not None or "chat_format" in (self.llama_kwargs or {}):
            return CHAT
        if not self._is_path():
            llm = self.model
            if getattr(llm, "chat_handler", None) is not None:
                return CHAT
            if (getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template"):
                return CHAT
            return CHAT if getattr(llm, "chat_format", None) not in (None, _FALLBACK_FORMAT) else COMPLETION
        return CHAT if self._has_chat_template() else COMPLETION

    def _resolve_tokenizer(self) -> Any:
        if self.tokenizer == "model":
            return LlamaTokenizer(self._load())
        return self.tokenizer

    def _prepare(self, context: TopicContext) -> None:
        self._load()

    # ------------------------------------------------------------------ prompts
    def _completion(self) -> bool:
        return getattr(self, "prompt_style_", CHAT) == COMPLETION

    def _template(self) -> str:
        if self.prompt:
            return self.prompt
        return DEFAULT_COMPLETION_PROMPT if self._completion() else DEFAULT_PROMPT

    def _frame(self, filled: str) -> str:
        if not self._completion():
            return filled
        parts = [self._system() or ""]
        if not self.prompt:
            parts.append(completion_examples())
        parts.append(filled)
        return "\n\n".join(p for p in parts if p)

    def _example_labels(self) -> set[str]:
        if self._completion() and not self.prompt:
            return {label.casefold() for _, _, label in COMPLETION_EXAMPLES}
        return set()

    def _hint_prompt(self, prompt: str, label: str) -> str | None:
        # A base model continues text; it does not follow a request for another label. Duplicate
        # labels are qualified with a keyword instead.
        return None if self._completion() else super()._hint_prompt(prompt, label)

    def describe(self, context: TopicContext) -> dict[int, Words]:
        """Label every topic of ``context``: ``{topic: [(label, 1.0)]}``."""
        self._validate()
        self.prompt_style_ = self._prompt_style()
        return super().describe(context)

    # ------------------------------------------------------------------ generation
    def _generate(self, prompt: str, system_prompt: str | None, session: Any = None) -> str:
        with self._lock_named("_setup_lock"):
            llm = self._load()
        settings = self._generation_settings()
        stop = settings.pop("stop") or []
        if self._completion():
            return self._complete(llm, prompt, stop, settings)
        fmt = getattr(llm, "chat_format", None)
        if system_prompt and fmt in _NO_SYSTEM_ROLE and getattr(llm, "chat_handler", None) is None:
            messages = [{"role": "user", "content": f"{system_prompt}\n\n{prompt}"}]
        else:
            messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
                {"role": "user", "content": prompt}
            ]
        try:
            with _llama_lock(llm):
                response = llm.create_chat_completion(messages=messages, stop=stop, **settings)
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise LLMResponseError(f"llama.cpp could not answer: {exc}") from exc
        try:
            return response["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMResponseError(f"llama.cpp returned an unexpected response: {str(response)[:200]}") from exc

    def _complete(self, llm: Any, text: str, stop: list[str], settings: dict[str, Any]) -> str:
        """Continue ``text`` (completion style); the system prompt is already part of it."""
        if not stop:
            stop = ["\n\n"] if text.endswith("\n") else ["\n"]
        try:
            with _llama_lock(llm):
                response = llm.create_completion(prompt=text, stop=stop, **settings)
        except ValueError as exc:
            raise LLMResponseError(f"llama.cpp could not answer: {exc}") from exc
        try:
            return response["choices"][0]["text"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMResponseError(f"llama.cpp returned an unexpected response: {str(response)[:200]}") from exc
