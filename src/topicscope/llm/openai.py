"""OpenAI: topic labels from any OpenAI-compatible chat-completions server.

Two ways to reach the server. BERTopic's: pass an ``openai.OpenAI`` client (or ``AzureOpenAI``)
first, and its ``chat.completions.create`` is called. Ours: pass the model name first (or
``model=``) and a ``base_url``, and requests go out over httpx; this works with OpenAI, vLLM,
Ollama (``/v1``), ``llama_cpp.server`` and llama.cpp's server. Either way requests run
``max_concurrency`` at a time; each has a timeout; 429 and 5xx answers are retried with
exponential backoff (honouring a bounded ``Retry-After``); an unreachable server raises
:class:`~topicscope.exceptions.LLMConnectionError` at once.

API keys: a key read from the environment (``api_key_env``) is sent only over ``https://`` to
OpenAI's API host, or to a host named in ``api_key_hosts``; any other ``base_url`` gets a key
only when it is passed as ``api_key=``. An ``api_key=`` is stored as a :class:`Secret`, so no
repr, ``get_params`` or notebook view shows it; keys are taken out of error messages and logs.

Threads: each ``describe`` opens its own client (a :class:`_Session`), so one labeller can
serve several calls at once; ``delay_in_seconds`` paces the requests of all of them together.
"""

from __future__ import annotations

import copy
import email.utils
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .._logging import logger
from .._validation import check_float, check_int
from ..context import TopicContext
from ..exceptions import InputError, LLMConnectionError, LLMError, LLMResponseError, missing_extra
from .base import LLMLabeler
from .secret import Secret, redact

RETRY_STATUS = {408, 409, 425, 429}
FATAL_STATUS = {401, 403, 404}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_API_HOSTS = frozenset({"api.openai.com"})
BERTOPIC_BACKOFF_RETRIES = 10  # BERTopic's exponential_backoff retries up to 10 times
_REFUSED_GENERATOR_KEYS = ("messages", "prompt", "stream")


class _FatalResponseError(LLMResponseError):
    """An answer that no retry or other topic will fix (bad key, unknown model or endpoint)."""

    fatal = True


class _Retry(Exception):
    """A failed attempt worth retrying; ``final`` is raised when no retry is left."""

    def __init__(self, final: LLMError, retry_after: str | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after


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


def _host_names(hosts: str | Sequence[str] | None) -> set[str]:
    if hosts is None:
        return set()
    items = [hosts] if isinstance(hosts, str) else list(hosts)
    return {h.strip().lower().rstrip(".") for h in items}


def key_allowed(url: str, api_key_hosts: str | Sequence[str] | None = None) -> bool:
    """Whether an API key read from the environment may be sent to ``url``.

    Yes for ``https://`` URLs of OpenAI's API host, and for a host the caller names in
    ``api_key_hosts`` ("host" or "host:port", any scheme); no otherwise.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return False
    named = _host_names(api_key_hosts)
    if host in named or (port is not None and f"{host}:{port}" in named):
        return True
    return parts.scheme == "https" and host in OPENAI_API_HOSTS


@dataclass
class _Session:
    """One ``describe`` call's link to the server: never shared with another call."""

    stop: threading.Event  # set when the call ends or fails: its waits (retries, pacing) stop
    http: Any = None  # our httpx.Client, holding the Authorization header
    client: Any = None  # BERTopic's form: the openai client, with our timeout and no retries of its own
    key_withheld: bool = False  # the environment held a key that the host rule kept back
    secrets: tuple[str, ...] = field(default=(), repr=False)  # keys taken out of error messages and logs


def _is_client(value: Any) -> bool:
    chat = getattr(value, "chat", None)
    return callable(getattr(getattr(chat, "completions", None), "create", None))


def _rebuild_client(recipe: dict[str, Any], api_key_env: str | None, api_key_hosts: Any) -> Any:
    """An ``openai`` client like the pickled one; its key comes from the environment (same rule)."""
    import importlib

    cls = getattr(importlib.import_module(recipe["module"]), recipe["qualname"])
    kwargs = dict(recipe["kwargs"])
    env_key = os.environ.get(api_key_env, "") if api_key_env else ""
    allowed = env_key and key_allowed(str(kwargs.get("base_url", "")), api_key_hosts)
    # The openai package refuses a missing key; a placeholder sends none that means anything.
    kwargs["api_key"] = env_key if allowed else "no-key"
    return cls(**kwargs)


class OpenAI(LLMLabeler):
    """Label topics with an OpenAI-compatible chat-completions API (``pip install "topicscope[llm]"``).

    Two forms, both kept:

    * BERTopic's: ``OpenAI(client, model="gpt-4o-mini", prompt=None, ...)`` with ``client`` an
      ``openai.OpenAI`` (or ``AzureOpenAI``) object. Its ``chat.completions.create`` is called
      (with our timeout and retries); ``base_url`` and the key come from the client.
    * Ours: ``OpenAI("llama3.1", base_url="http://127.0.0.1:11434/v1")``. A string first
      argument is the model name (``model=`` is then ignored); requests go out over httpx.

    Parameters
    ----------
    client : an ``openai.OpenAI`` client, or the model name (str), or None (then ``model``).
    model : the model name the server knows (e.g. "gpt-4o-mini", "llama3.1").
    prompt, system_prompt, nr_docs, diversity, doc_length, tokenizer : as in :class:`LLMLabeler`.
    generator_kwargs : BERTopic's name for extra request fields; merged with
        ``generation_kwargs`` (a key in both must not differ). A "model" key sets the model, as
        in BERTopic; "messages", "prompt" and "stream" are refused (the labeller writes them).
    delay_in_seconds : BERTopic's pacing: requests start at least this many seconds apart.
    exponential_backoff : BERTopic's switch; True raises the retries to at least 10. Retries
        with exponential backoff happen either way, up to ``max_retries``.
    base_url : the API root, ending before ``/chat/completions`` (e.g.
        "http://127.0.0.1:8000/v1"); only for the httpx form.
    api_key_env : the environment variable holding the API key; unset or empty sends no key
        (local servers need none). None: never read one. The key is sent only over
        ``https://`` to OpenAI's API host (api.openai.com) or to a host in ``api_key_hosts``.
    api_key : a key sent to ``base_url`` whatever its host (the caller's explicit choice): a
        string or a :class:`~topicscope.llm.Secret`. It is stored as a Secret (a string given
        here or to ``set_params`` is wrapped), so ``repr``, ``get_params`` and scikit-learn's
        HTML view show ``Secret('***')``; ``labeller.api_key.get()`` gives it back.
    api_key_hosts : host names ("host" or "host:port") that may receive the environment's key,
        e.g. ``["my-vllm.internal"]``.
    timeout : seconds allowed per request (connecting is capped at 10 s).
    max_retries : retries after a 429/5xx answer or a timeout (0: no retry).
    backoff : first retry delay in seconds, doubled at each retry.
    max_wait : the longest wait before one retry, Retry-After included.
    max_concurrency : requests in flight at once.
    chat : BERTopic 0.16's switch; True (chat completions) is the only mode. False, the legacy
        completions endpoint, is refused.

    The other parameters are :class:`LLMLabeler`'s; ``generation_kwargs`` are added to the
    request body as they are.

    Copies and pickles: ``copy.deepcopy`` shares the ``openai`` client (it is a thread-safe
    connection pool). A pickle stores how to rebuild the client (its class, base_url,
    organisation, project) but not its API key: the unpickled client reads the key from
    ``api_key_env`` under the rule above (where the rule withholds it, the client sends a
    placeholder, which a server needing a key refuses with HTTP 401). An explicit ``api_key=``
    is pickled as given.
    """

    def __init__(
        self,
        client: Any = None,
        model: str = "gpt-4o-mini",
        prompt: str | None = None,
        system_prompt: str | None = None,
        generator_kwargs: dict[str, Any] | None = None,
        delay_in_seconds: float | None = None,
        exponential_backoff: bool = False,
        nr_docs: int = 4,
        diversity: float | None = None,
        doc_length: int | None = None,
        tokenizer: Any = None,
        base_url: str = DEFAULT_BASE_URL,
        api_key_env: str | None = "OPENAI_API_KEY",
        api_key: str | Secret | None = None,
        api_key_hosts: Sequence[str] | None = None,
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
        chat: bool = True,
    ) -> None:
        super().__init__(**self._base_args(locals()))
        self.client = client
        self.model = model
        self.generator_kwargs = generator_kwargs
        self.delay_in_seconds = delay_in_seconds
        self.exponential_backoff = exponential_backoff
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.api_key = api_key
        self.api_key_hosts = api_key_hosts
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_concurrency = max_concurrency
        self.chat = chat

    _TRANSIENT = (*LLMLabeler._TRANSIENT, "_pace_lock", "_next_start")

    # ------------------------------------------------------------------ the key
    @property
    def api_key(self) -> Any:
        """The explicit API key: a :class:`Secret` (or None, or the invalid value given)."""
        return self.__dict__.get("_api_key")

    @api_key.setter
    def api_key(self, value: Any) -> None:
        # A Secret is kept as it is (sklearn's clone checks the object given is the one stored);
        # a string is wrapped; anything else is stored for _validate to refuse.
        self.__dict__["_api_key"] = Secret(value) if isinstance(value, str) else value

    # ------------------------------------------------------------------ settings
    @property
    def _max_concurrency(self) -> int:  # type: ignore[override]
        return int(self.max_concurrency)

    def _uses_client(self) -> bool:
        return self.client is not None and not isinstance(self.client, str)

    def _model_name(self) -> Any:
        """The model asked: generator_kwargs["model"], else a str first argument, else ``model``."""
        from_kwargs = (self.generator_kwargs or {}).get("model") if isinstance(self.generator_kwargs, dict) else None
        if from_kwargs:
            return from_kwargs
        return self.client if isinstance(self.client, str) else self.model

    def _retries(self) -> int:
        retries = int(self.max_retries)
        return max(retries, BERTOPIC_BACKOFF_RETRIES) if self.exponential_backoff else retries

    def _extra_kwargs(self) -> dict[str, Any]:
        ours = dict(self.generation_kwargs or {})
        theirs = {k: v for k, v in (self.generator_kwargs or {}).items() if k != "model"}
        for key, value in theirs.items():
            if key in ours and ours[key] != value:
                raise InputError(
                    f"generator_kwargs and generation_kwargs both set {key!r}, to {value!r} and {ours[key]!r}; "
                    "give it once"
                )
        return {**ours, **theirs}

    def _validate(self) -> None:
        super()._validate()
        if self._uses_client():
            if not _is_client(self.client):
                raise InputError(
                    "client must be an openai.OpenAI client (with chat.completions.create), a model name "
                    f"(str) or None; got {type(self.client).__name__}"
                )
            if self.base_url != DEFAULT_BASE_URL:
                raise InputError(
                    f"base_url is for the form without a client; the client given talks to its own base_url "
                    f"({getattr(self.client, 'base_url', '?')}). Got base_url={self.base_url!r}: drop one of them"
                )
            if self.api_key is not None:
                raise InputError("api_key is for the form without a client; the client given holds its own key")
        elif self.client is not None and not self.client.strip():
            raise InputError("client must be an openai.OpenAI client or a model name; got an empty string")
        if isinstance(self.model, str) and self.model.startswith(("http://", "https://")):
            raise InputError(
                f"model must be a model name; got the URL {self.model!r} (pass the server as base_url=...)"
            )
        if not isinstance(self.model, str) or not self.model.strip():
            raise InputError(f"model must be the model name the server knows; got {self.model!r}")
        if self.generator_kwargs is not None:
            if not isinstance(self.generator_kwargs, dict):
                raise InputError(f"generator_kwargs must be a dict or None; got {type(self.generator_kwargs).__name__}")
            refused = [k for k in _REFUSED_GENERATOR_KEYS if k in self.generator_kwargs]
            if refused:
                raise InputError(
                    f"generator_kwargs must not set {', '.join(map(repr, refused))}: the labeller writes the "
                    "messages from prompt/system_prompt and reads whole answers"
                )
            if "model" in self.generator_kwargs and not (
                isinstance(self.generator_kwargs["model"], str) and self.generator_kwargs["model"].strip()
            ):
                raise InputError(
                    f"generator_kwargs['model'] must be a model name; got {self.generator_kwargs['model']!r}"
                )
        self._extra_kwargs()
        if not isinstance(self.base_url, str) or not self.base_url.startswith(("http://", "https://")):
            raise InputError(f"base_url must be an http:// or https:// URL; got {self.base_url!r}")
        if self.api_key_env is not None and not isinstance(self.api_key_env, str):
            raise InputError(f"api_key_env must be an environment variable name or None; got {self.api_key_env!r}")
        if self.api_key is not None and (not isinstance(self.api_key, Secret) or not self.api_key.get().strip()):
            given = "an empty string" if isinstance(self.api_key, Secret) else type(self.api_key).__name__
            raise InputError(f"api_key must be a non-empty string, a Secret or None; got {given}")
        hosts = self.api_key_hosts
        if hosts is not None and (
            isinstance(hosts, bytes)
            or not isinstance(hosts, (str, list, tuple, set, frozenset))
            or not all(isinstance(h, str) and h.strip() for h in ([hosts] if isinstance(hosts, str) else hosts))
        ):
            raise InputError(f"api_key_hosts must be a list of host names (e.g. ['my-vllm.internal']); got {hosts!r}")
        if self.delay_in_seconds is not None:
            check_float(self.delay_in_seconds, "delay_in_seconds", low=0.0, high=3600.0)
        if not isinstance(self.exponential_backoff, bool):
            raise InputError(f"exponential_backoff must be True or False; got {self.exponential_backoff!r}")
        if self.chat is not True:
            raise InputError(
                f"chat must be True; got {self.chat!r}. topicscope's OpenAI always uses chat completions "
                "(BERTopic 0.17 does too); the legacy completions endpoint is not supported: use a chat model"
            )
        check_float(self.timeout, "timeout", low=0.001, high=3600.0)
        check_int(self.max_retries, "max_retries", minimum=0)
        check_float(self.backoff, "backoff", low=0.0, high=600.0)
        check_float(self.max_wait, "max_wait", low=0.0, high=3600.0)
        check_int(self.max_concurrency, "max_concurrency", minimum=1)

    def _server(self) -> str:
        if self._uses_client():
            return str(getattr(self.client, "base_url", "the client's server")).rstrip("/")
        return self.base_url.rstrip("/")

    def _identity(self) -> dict[str, Any]:
        backend = "openai-client" if self._uses_client() else "openai-compatible"
        return {"backend": backend, "base_url": self._server(), "model": self._model_name()}

    # ------------------------------------------------------------------ copies and pickles
    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        client = state.get("client")
        if client is not None and not isinstance(client, str) and type(client).__module__.split(".")[0] == "openai":
            state["client"] = {"__topicscope_openai_client__": self._client_recipe(client)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        client = state.get("client")
        if isinstance(client, dict) and "__topicscope_openai_client__" in client:
            state["client"] = _rebuild_client(
                client["__topicscope_openai_client__"], state.get("api_key_env"), state.get("api_key_hosts")
            )
        legacy_key = state.pop("api_key", None)  # pickled before keys were Secrets
        self.__dict__.update(state)
        if legacy_key is not None:
            self.api_key = legacy_key

    @staticmethod
    def _client_recipe(client: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"base_url": str(client.base_url)}
        for name in ("organization", "project", "max_retries"):
            value = getattr(client, name, None)
            if value is not None:
                kwargs[name] = value
        timeout = getattr(client, "timeout", None)
        if isinstance(timeout, (int, float)):
            kwargs["timeout"] = float(timeout)
        return {"module": type(client).__module__, "qualname": type(client).__qualname__, "kwargs": kwargs}

    def __deepcopy__(self, memo: dict[int, Any]) -> OpenAI:
        # The openai client is shared, not copied: it is a connection pool, safe across threads.
        if self._uses_client():
            memo[id(self.client)] = self.client
        state = LLMLabeler.__getstate__(self)
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(state, memo))
        return new

    # ------------------------------------------------------------------ the client
    def _prepare(self, context: TopicContext) -> _Session:
        session = _Session(stop=threading.Event())
        if self._uses_client():
            key = getattr(self.client, "api_key", None)
            session.secrets = (key,) if isinstance(key, str) else ()
            with_options = getattr(self.client, "with_options", None)
            # Our retry loop and timeout govern; the client's own retries would multiply them.
            session.client = (
                with_options(max_retries=0, timeout=float(self.timeout)) if callable(with_options) else self.client
            )
            return session
        try:
            import httpx
        except ImportError as exc:
            raise missing_extra("httpx", "llm", exc) from exc
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.api_key.get() if isinstance(self.api_key, Secret) else None
        env_key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        session.secrets = tuple(k for k in (key, env_key) if k)
        if key is None and env_key:
            if key_allowed(self.base_url, self.api_key_hosts):
                key = env_key
            else:
                session.key_withheld = True
                logger.info(
                    "not sending $%s to %s: a key from the environment goes only over https to %s or to a "
                    "host in api_key_hosts (pass api_key= or api_key_hosts=[...] to send one)",
                    self.api_key_env,
                    self.base_url,
                    ", ".join(sorted(OPENAI_API_HOSTS)),
                )
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(float(self.timeout), connect=min(float(self.timeout), 10.0))
        limits = httpx.Limits(max_connections=int(self.max_concurrency))
        session.http = httpx.Client(headers=headers, timeout=timeout, limits=limits, trust_env=False)
        return session

    def _abort(self, session: _Session) -> None:
        session.stop.set()

    def _finish(self, session: _Session) -> None:
        session.stop.set()
        if session.http is not None:
            session.http.close()

    def _scrub(self, text: str, session: _Session | None) -> str:
        known = session.secrets if session is not None else ()
        explicit = self.api_key.get() if isinstance(self.api_key, Secret) else None
        return redact(text, (*known, explicit))

    def _body(self, prompt: str, system_prompt: str | None) -> dict[str, Any]:
        messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
            {"role": "user", "content": prompt}
        ]
        settings = self._generation_settings()
        extra = self._extra_kwargs()
        body: dict[str, Any] = {"model": self._model_name(), "messages": messages, "stream": False}
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

    def _pace(self, session: _Session) -> None:
        """Start requests at least ``delay_in_seconds`` apart (BERTopic's rate limiting).

        The pace holds across the labeller's calls running at once: they share one server.
        """
        delay = float(self.delay_in_seconds or 0.0)
        if delay <= 0:
            return
        with self._lock_named("_pace_lock"):
            now = time.monotonic()
            start = max(now, getattr(self, "_next_start", 0.0))
            self._next_start = start + delay
        if start > now and session.stop.wait(start - now):
            raise LLMConnectionError("labelling was stopped while waiting for delay_in_seconds")

    def _generate(self, prompt: str, system_prompt: str | None, session: Any = None) -> str:
        if not isinstance(session, _Session):
            raise LLMError(f"{type(self).__name__}: no open client (a request outside describe())")
        body = self._body(prompt, system_prompt)
        send = self._send_client if self._uses_client() else self._send_httpx
        retries = self._retries()
        attempt = 0
        while True:
            self._pace(session)
            try:
                return send(body, session)
            except _Retry as retry:
                if attempt >= retries:
                    raise retry.final from retry.final.__cause__
                delay = self._wait(attempt, retry.retry_after)
                attempt += 1
                logger.info("%s; retry %d/%d in %.1fs", retry.final, attempt, retries, delay)
                if session.stop.wait(delay):
                    raise LLMConnectionError(f"labelling was stopped while waiting to retry: {retry.final}") from None

    def _status_error(self, status: int, problem: str, retry_after: str | None, session: _Session) -> LLMError | _Retry:
        problem = self._scrub(problem, session)  # a server may echo the request's Authorization header
        if status in FATAL_STATUS:
            hint = ""
            if status in (401, 403):
                hint = " (is the API key right?"
                if session.key_withheld:
                    hint += (
                        f" ${self.api_key_env} was not sent to {self.base_url}: a key from the environment goes "
                        "only over https to api.openai.com or to a host in api_key_hosts; pass api_key= or "
                        "api_key_hosts=[...]"
                    )
                hint += ")"
            return _FatalResponseError(problem + hint)
        if status in RETRY_STATUS or status >= 500:
            return _Retry(LLMResponseError(problem), retry_after)
        return LLMResponseError(problem)

    def _send_httpx(self, body: dict[str, Any], session: _Session) -> str:
        import httpx

        url = self.base_url.rstrip("/") + "/chat/completions"
        try:
            response = session.http.post(url, json=body)
        except httpx.ConnectError as exc:
            problem = self._scrub(f"cannot reach the LLM server at {self.base_url}: {exc}", session)
            raise LLMConnectionError(problem) from exc
        except httpx.TimeoutException as exc:
            final = LLMConnectionError(f"no answer from {self.base_url} within {self.timeout}s ({type(exc).__name__})")
            final.__cause__ = exc
            raise _Retry(final) from exc
        except httpx.TransportError as exc:
            problem = self._scrub(f"connection to {self.base_url} failed: {type(exc).__name__}: {exc}", session)
            final = LLMConnectionError(problem)
            final.__cause__ = exc
            raise _Retry(final) from exc
        status = response.status_code
        if status < 300:
            return self._parse(response, session)
        detail = response.text[:300].replace("\n", " ")
        error = self._status_error(
            status, f"{url} answered HTTP {status}: {detail}", response.headers.get("Retry-After"), session
        )
        raise error

    def _send_client(self, body: dict[str, Any], session: _Session) -> str:
        try:
            import openai
        except ImportError:  # a duck-typed client of another package: its errors pass through as they are
            openai = None  # type: ignore[assignment]
        server = self._server()
        try:
            response = session.client.chat.completions.create(**body)
        except Exception as exc:
            if openai is None or not isinstance(exc, openai.OpenAIError):
                raise
            # The openai error's text can hold what the server echoed (a key); when it does, the
            # scrubbed message stands alone rather than chained to it.
            cause = exc if self._scrub(str(exc), session) == str(exc) else None
            if isinstance(exc, openai.APITimeoutError):
                final = LLMConnectionError(f"no answer from {server} within {self.timeout}s ({type(exc).__name__})")
                final.__cause__ = exc
                raise _Retry(final) from exc
            if isinstance(exc, openai.APIConnectionError):
                problem = self._scrub(f"cannot reach the LLM server at {server}: {exc}", session)
                raise LLMConnectionError(problem) from cause
            if isinstance(exc, openai.APIStatusError):
                headers = getattr(exc.response, "headers", None) or {}
                problem = f"{server} answered HTTP {exc.status_code}: {str(exc)[:300]}"
                error = self._status_error(int(exc.status_code), problem, headers.get("retry-after"), session)
                if isinstance(error, _Retry):
                    error.final.__cause__ = cause
                raise error from cause
            problem = self._scrub(f"the openai client failed: {type(exc).__name__}: {exc}", session)
            raise LLMResponseError(problem) from cause
        try:
            content = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            problem = self._scrub(f"the server's answer has no choices[0].message: {str(response)[:200]!r}", session)
            raise LLMResponseError(problem) from exc
        if content is not None and not isinstance(content, str):
            raise LLMResponseError(f"the server's answer content is not text: {str(content)[:200]!r}")
        return content or ""

    def _parse(self, response: Any, session: _Session) -> str:
        try:
            data = response.json()
        except ValueError as exc:
            problem = self._scrub(f"the server's answer is not JSON: {response.text[:200]!r}", session)
            raise LLMResponseError(problem) from exc
        try:
            choice = data["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content") if isinstance(message, dict) else None
            if content is None:
                content = choice.get("text")  # completions-style servers
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            problem = self._scrub(f"the server's answer has no choices[0].message: {str(data)[:200]!r}", session)
            raise LLMResponseError(problem) from exc
        if content is not None and not isinstance(content, str):
            raise LLMResponseError(f"the server's answer content is not text: {str(content)[:200]!r}")
        return content or ""
