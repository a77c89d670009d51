"""OpenAI: topic labels from any OpenAI-compatible chat-completions server, over httpx.

Works with OpenAI, vLLM, Ollama (``/v1``), ``llama_cpp.server`` and llama.cpp's server. Requests
run ``max_concurrency`` at a time; each has a timeout; 429 and 5xx answers are retried with
exponential backoff (honouring a bounded ``Retry-After``); an unreachable server raises
:class:`~topicscope.exceptions.LLMConnectionError` at once.
"""

from __future__ import annotations

import email.utils
import os
import threading
import time
from typing import Any

from .._logging import logger
from .._validation import check_float, check_int
from ..exceptions import InputError, LLMConnectionError, LLMResponseError, missing_extra
from ..representation.base import TopicContext
from .base import LLMLabeler

RETRY_STATUS = {408, 409, 425, 429}
FATAL_STATUS = {401, 403, 404}


class _FatalResponseError(LLMResponseError):
    """An answer that no retry or other topic will fix (bad key, unknown model or endpoint)."""

    fatal = True


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAI(LLMLabeler):
    """Label topics with an OpenAI-compatible chat-completions API (``pip install "topicscope[llm]"``).

    Parameters
    ----------
    model : the model name the server knows (e.g. "gpt-4o-mini", "llama3.1").
    base_url : the API root, ending before ``/chat/completions`` (e.g. "http://127.0.0.1:8000/v1").
    api_key_env : the environment variable holding the API key; unset or empty sends no key
        (local servers need none). None: never send a key.
    timeout : seconds allowed per request (connecting is capped at 10 s).
    max_retries : retries after a 429/5xx answer or a timeout (0: no retry).
    backoff : first retry delay in seconds, doubled at each retry.
    max_wait : the longest wait before one retry, Retry-After included.
    max_concurrency : requests in flight at once.

    The other parameters are :class:`LLMLabeler`'s; ``generation_kwargs`` are added to the
    request body as they are.
    """

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key_env: str | None = "OPENAI_API_KEY",
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
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        max_concurrency: int = 4,
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
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_concurrency = max_concurrency

    @property
    def _max_concurrency(self) -> int:  # type: ignore[override]
        return int(self.max_concurrency)

    def _validate(self) -> None:
        super()._validate()
        if not isinstance(self.model, str) or not self.model.strip():
            raise InputError(f"model must be the model name the server knows; got {self.model!r}")
        if not isinstance(self.base_url, str) or not self.base_url.startswith(("http://", "https://")):
            raise InputError(f"base_url must be an http:// or https:// URL; got {self.base_url!r}")
        if self.api_key_env is not None and not isinstance(self.api_key_env, str):
            raise InputError(f"api_key_env must be an environment variable name or None; got {self.api_key_env!r}")
        check_float(self.timeout, "timeout", low=0.001, high=3600.0)
        check_int(self.max_retries, "max_retries", minimum=0)
        check_float(self.backoff, "backoff", low=0.0, high=600.0)
        check_float(self.max_wait, "max_wait", low=0.0, high=3600.0)
        check_int(self.max_concurrency, "max_concurrency", minimum=1)

    def _identity(self) -> dict[str, Any]:
        return {"backend": "openai-compatible", "base_url": self.base_url.rstrip("/"), "model": self.model}

    # ------------------------------------------------------------------ the client
    def _prepare(self, context: TopicContext) -> None:
        try:
            import httpx
        except ImportError as exc:
            raise missing_extra("httpx", "llm", exc) from exc
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(float(self.timeout), connect=min(float(self.timeout), 10.0))
        limits = httpx.Limits(max_connections=int(self.max_concurrency))
        self._client = httpx.Client(headers=headers, timeout=timeout, limits=limits, trust_env=False)
        self._stop_event = threading.Event()

    def _abort(self) -> None:
        event = getattr(self, "_stop_event", None)
        if event is not None:
            event.set()

    def _finish(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            self._stop_event.set()
            client.close()
            self._client = None

    def _body(self, prompt: str, system_prompt: str | None) -> dict[str, Any]:
        messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
            {"role": "user", "content": prompt}
        ]
        settings = self._generation_settings()
        extra = self.generation_kwargs or {}
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": False}
        for key, value in settings.items():
            if value is not None or key in extra:
                body[key] = value
        return body

    def _wait(self, attempt: int, header: str | None) -> float:
        delay = float(self.backoff) * (2**attempt)
        hinted = _retry_after(header)
        if hinted is not None:
            delay = max(delay, hinted)
        return min(delay, float(self.max_wait))

    def _generate(self, prompt: str, system_prompt: str | None) -> str:
        import httpx

        url = self.base_url.rstrip("/") + "/chat/completions"
        body = self._body(prompt, system_prompt)
        attempt = 0
        while True:
            retry_header: str | None = None
            try:
                response = self._client.post(url, json=body)
            except httpx.ConnectError as exc:
                raise LLMConnectionError(f"cannot reach the LLM server at {self.base_url}: {exc}") from exc
            except httpx.TimeoutException as exc:
                problem: str = f"no answer from {self.base_url} within {self.timeout}s ({type(exc).__name__})"
                if attempt >= self.max_retries:
                    raise LLMConnectionError(problem) from exc
            except httpx.TransportError as exc:
                problem = f"connection to {self.base_url} failed: {type(exc).__name__}: {exc}"
                if attempt >= self.max_retries:
                    raise LLMConnectionError(problem) from exc
            else:
                status = response.status_code
                if status < 300:
                    return self._parse(response)
                detail = response.text[:300].replace("\n", " ")
                problem = f"{url} answered HTTP {status}: {detail}"
                if status in FATAL_STATUS:
                    hint = f" (is the key in ${self.api_key_env} right?)" if status in (401, 403) else ""
                    raise _FatalResponseError(problem + hint)
                if not (status in RETRY_STATUS or status >= 500) or attempt >= self.max_retries:
                    raise LLMResponseError(problem)
                retry_header = response.headers.get("Retry-After")
            delay = self._wait(attempt, retry_header)
            attempt += 1
            logger.info("%s; retry %d/%d in %.1fs", problem, attempt, self.max_retries, delay)
            if self._stop_event.wait(delay):
                raise LLMConnectionError(f"labelling was stopped while waiting to retry: {problem}")

    def _parse(self, response: Any) -> str:
        try:
            data = response.json()
        except ValueError as exc:
            raise LLMResponseError(f"the server's answer is not JSON: {response.text[:200]!r}") from exc
        try:
            choice = data["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content") if isinstance(message, dict) else None
            if content is None:
                content = choice.get("text")  # completions-style servers
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMResponseError(f"the server's answer has no choices[0].message: {str(data)[:200]!r}") from exc
        if content is not None and not isinstance(content, str):
            raise LLMResponseError(f"the server's answer content is not text: {str(content)[:200]!r}")
        return content or ""
