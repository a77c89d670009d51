"""Topic labels written by language models.

``LlamaCPP`` runs a local GGUF model in-process (llama-cpp-python): chat completion for a GGUF
with a chat template, a few-shot completion prompt for a base model without one. ``OpenAI``
talks to any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp) over
httpx, or through an ``openai.OpenAI`` client as in BERTopic. Both
share :class:`LLMLabeler`: the prompt, document choice and truncation, label cleaning,
distinct labels, keyword fallbacks and an answer cache. Client libraries load on first use.
"""

from __future__ import annotations

from .base import LLMLabeler
from .gguf import LoadDecision, decide_extra_buffers, load_llama
from .llamacpp import LlamaCPP
from .openai import OpenAI
from .secret import Secret
from .text import (
    DEFAULT_COMPLETION_PROMPT,
    DEFAULT_PROMPT,
    DEFAULT_SYSTEM_PROMPT,
    LlamaTokenizer,
    clean_label,
    truncate,
)

__all__ = [
    "DEFAULT_COMPLETION_PROMPT",
    "DEFAULT_PROMPT",
    "DEFAULT_SYSTEM_PROMPT",
    "LLMLabeler",
    "LlamaCPP",
    "LlamaTokenizer",
    "LoadDecision",
    "OpenAI",
    "Secret",
    "clean_label",
    "decide_extra_buffers",
    "load_llama",
    "truncate",
]
