"""LLMLabeler: the shared engine of the LLM labellers (prompting, caching, cleaning, distinctness).

A backend subclass only says how to send one prompt and get text back (``_generate``), what
identifies the model it talks to (``_identity``) and how to get ready (``_prepare``).

One labeller may serve several ``describe`` calls at once (two topic models sharing it, each in
its own thread): a call keeps its state in a :class:`_Call` and its backend resources (an open
client) in the session ``_prepare`` returns, both local to it; the answer cache is shared under a
lock; the fitted attributes are assigned together, under a lock, when a call ends.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._logging import logger, progress
from .._mmr import mmr
from .._validation import check_float, check_int
from ..context import BaseRepresentation, TopicContext, Words
from ..exceptions import InputError, LLMConnectionError, LLMError, LLMResponseError
from .text import (
    DEFAULT_PROMPT,
    DEFAULT_SYSTEM_PROMPT,
    check_prompt,
    check_truncation,
    clean_label,
    echoes_keywords,
    fill_prompt,
    format_documents,
    keyword_label,
    qualify,
    repeats_instructions,
    truncate,
)

CACHE_SIZE = 10_000
HINT = '\n\nAnother topic is already labelled "{label}". Give this topic a different, more specific label.'


def is_fatal(exc: BaseException) -> bool:
    """Errors that stop labelling (unreachable server, bad credentials) rather than one topic."""
    return isinstance(exc, LLMConnectionError) or bool(getattr(exc, "fatal", False))


_LOCK_GUARD = threading.Lock()  # creates each labeller's locks (below) once, whichever thread asks first


@dataclass
class _Call:
    """The state of one ``describe`` call, published as the fitted attributes when it ends."""

    context: TopicContext
    prompts: dict[int, str] = field(default_factory=dict)
    hint_prompts: dict[int, str] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    calls: int = 0
    cache_hits: int = 0


class LLMLabeler(BaseRepresentation):
    """Write a label per topic with a language model (base class of ``LlamaCPP`` and ``OpenAI``).

    Parameters
    ----------
    prompt : the user prompt; ``[DOCUMENTS]`` and ``[KEYWORDS]`` are replaced by the topic's
        documents (numbered, between ``<document>`` tags) and keywords. None: a default prompt.
    system_prompt : None for the default system prompt, "" for none.
    nr_docs : documents per topic put in the prompt (the most central ones).
    diversity : None, or 0..1 to pick the documents by Maximal Marginal Relevance.
    doc_length, tokenizer : cut each document to ``doc_length`` units of ``tokenizer``: "char",
        "whitespace", "vectorizer" (the topic model's vectorizer tokens) or an object with
        ``encode``/``decode``. Give both or neither.
    max_tokens, temperature, seed, stop : generation settings (temperature 0 is deterministic).
    generation_kwargs : further generation settings passed to the backend as they are.
    max_label_length : labels are cut to this many characters.

    Fitted attributes (after ``describe``): ``prompts_`` (topic -> prompt sent),
    ``hint_prompts_`` (prompts re-sent to make a duplicate label distinct), ``answers_`` (topic
    -> raw answer), ``failures_`` (topic -> why its keyword label was used), ``calls_``
    (model calls made, cached answers excluded) and ``cache_hits_``. Each ``describe`` logs a
    summary at INFO level: topics labelled by the model, and how many fell back to keywords
    (``len(failures_)``; a WARNING too when any did).

    Labellers survive ``copy.deepcopy`` and pickling, before and after use: a loaded model, an
    open client and thread primitives are left out of the copy and rebuilt on first use; the
    answer cache travels with it.

    One labeller may be shared by models labelling at once from several threads: each call
    keeps its own prompts, answers and client; the answer cache is shared (under a lock); the
    attributes above are set together when a call ends, so they describe the call that ended last.

    Unlike the other stages, a labeller is used as given, not cloned, by ``TopicModel.fit``: its
    answer cache and loaded model live on it, so a refit or a reduction with the same labeller
    does not ask the model again. The attributes above describe its latest ``describe`` call.
    """

    produces_label = True
    _max_concurrency = 1
    _tokenizer_names: tuple[str, ...] = ()

    def __init__(
        self,
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
    ) -> None:
        self.prompt = prompt
        self.system_prompt = system_prompt
        self.nr_docs = nr_docs
        self.diversity = diversity
        self.doc_length = doc_length
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.stop = stop
        self.generation_kwargs = generation_kwargs
        self.max_label_length = max_label_length

    @classmethod
    def _base_args(cls, values: dict[str, Any]) -> dict[str, Any]:
        """The base class's parameters out of a subclass's ``locals()``.

        A subclass repeats the base parameters in its own signature (BERTopic's argument order,
        scikit-learn's ``get_params``) and passes them on with
        ``super().__init__(**self._base_args(locals()))``, so a new base parameter is not forwarded by hand.
        """
        names = [name for name in inspect.signature(LLMLabeler.__init__).parameters if name != "self"]
        return {name: values[name] for name in names}

    # ------------------------------------------------------------------ backend hooks
    def _generate(self, prompt: str, system_prompt: str | None, session: Any = None) -> str:  # pragma: no cover
        """Send one prompt, return the answer text; raise LLMError subclasses on failure.

        ``session`` is what ``_prepare`` returned for this call (never shared with another call).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _generate")

    def _identity(self) -> dict[str, Any]:
        """What identifies the model answering (part of the cache key)."""
        return {"backend": type(self).__name__}

    def _prepare(self, context: TopicContext) -> Any:
        """Get ready to generate (load a model, open a client); called only when a call is needed.

        Returns the call's session (its own resources, e.g. an open client), passed to
        ``_generate``, ``_abort`` and ``_finish``. Calls to ``_prepare`` are serialised per labeller.
        """
        return None

    def _finish(self, session: Any) -> None:
        """Release the session's resources (close a client)."""

    def _abort(self, session: Any) -> None:
        """Ask the session's requests still running or waiting to retry to stop (a fatal error happened)."""

    def _scrub(self, text: str, session: Any) -> str:
        """``text`` fit for an error message or a log (a backend removes its API keys)."""
        return text

    def _resolve_tokenizer(self) -> Any:
        return self.tokenizer

    def _extra_kwargs(self) -> dict[str, Any]:
        """Generation settings passed to the backend as they are (``generation_kwargs`` and aliases)."""
        return dict(self.generation_kwargs or {})

    def _example_labels(self) -> set[str]:
        """Labels shown as examples in the prompt (casefolded): an answer copying one is unusable."""
        return set()

    def _hint_prompt(self, prompt: str, label: str) -> str | None:
        """The prompt re-sent when ``label`` is already taken (None: do not re-ask, qualify instead)."""
        return prompt + HINT.format(label=label)

    # ------------------------------------------------------------------ settings
    def _validate(self) -> None:
        if self.prompt is not None:
            check_prompt(self.prompt)
        if self.system_prompt is not None and not isinstance(self.system_prompt, str):
            raise InputError(f"system_prompt must be a string, '' or None; got {type(self.system_prompt).__name__}")
        check_int(self.nr_docs, "nr_docs", minimum=0)
        if self.diversity is not None:
            check_float(self.diversity, "diversity", low=0.0, high=1.0)
        check_truncation(self.doc_length, self.tokenizer, self._tokenizer_names)
        check_int(self.max_tokens, "max_tokens", minimum=1)
        check_float(self.temperature, "temperature", low=0.0, high=10.0)
        check_int(self.seed, "seed", allow_none=True)
        stop = self.stop
        if (
            stop is not None
            and not isinstance(stop, str)
            and not (isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop))
        ):
            raise InputError(f"stop must be None, a string or a list of strings; got {stop!r}")
        if self.generation_kwargs is not None and not isinstance(self.generation_kwargs, dict):
            raise InputError(f"generation_kwargs must be a dict or None; got {type(self.generation_kwargs).__name__}")
        check_int(self.max_label_length, "max_label_length", minimum=8)

    def _system(self) -> str | None:
        system = DEFAULT_SYSTEM_PROMPT if self.system_prompt is None else self.system_prompt
        return system or None

    def _stop_list(self) -> list[str] | None:
        if self.stop is None:
            return None
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def _generation_settings(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": float(self.temperature),
            "seed": self.seed,
            "stop": self._stop_list(),
            **self._extra_kwargs(),
        }

    def _cache_key(self, prompt: str) -> str:
        payload = {
            "model": self._identity(),
            "system": self._system(),
            "prompt": prompt,
            "settings": self._generation_settings(),
        }
        blob = json.dumps(payload, sort_keys=True, default=repr).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def clear_cache(self) -> None:
        """Forget cached answers (the next ``describe`` asks the model again)."""
        with self._lock_named("_cache_lock"):
            self._cache: OrderedDict[str, str] = OrderedDict()

    def _lock_named(self, name: str) -> Any:
        """This labeller's lock ``name`` (a ``threading.RLock``), made on first use."""
        lock = self.__dict__.get(name)
        if lock is None:
            with _LOCK_GUARD:
                lock = self.__dict__.get(name)
                if lock is None:
                    lock = self.__dict__[name] = threading.RLock()
        return lock

    # Resources: a loaded model and locks. They are not picklable, and a copy must not share
    # them; they are rebuilt on first use. ``copy.deepcopy`` goes through ``__getstate__`` too,
    # so one rule serves pickling and copying.
    _TRANSIENT: tuple[str, ...] = ("_llm", "_cache_lock", "_state_lock", "_setup_lock")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in self._TRANSIENT:
            state.pop(key, None)
        if "_cache" in state:  # another thread may be adding answers: copy it whole, under its lock
            with self._lock_named("_cache_lock"):
                state["_cache"] = OrderedDict(self._cache)
        return state

    # ------------------------------------------------------------------ prompts
    def _documents(self, context: TopicContext, topic: int) -> list[str]:
        candidates = list(context.candidate_docs.get(topic) or [])
        vectors = context.candidate_embeddings.get(topic)
        if not candidates:
            candidates, vectors = list(context.representative_docs.get(topic) or []), None
        n = int(self.nr_docs)
        if (
            self.diversity is not None
            and vectors is not None
            and len(vectors) == len(candidates)
            and len(candidates) > n > 0
        ):
            vecs = np.asarray(vectors, dtype=np.float32)
            query = vecs.mean(axis=0)
            query /= np.linalg.norm(query) or 1.0
            return [candidates[i] for i in mmr(query, vecs, n, float(self.diversity))]
        return candidates[:n]

    def _template(self) -> str:
        """The prompt with placeholders: the user's, else the backend's default."""
        return self.prompt or DEFAULT_PROMPT

    def _frame(self, filled: str) -> str:
        """The text sent for one topic, from its filled template (a backend may add examples)."""
        return filled

    def _build_prompt(self, context: TopicContext, topic: int, tokenizer: Any) -> str:
        docs = [truncate(d, self.doc_length, tokenizer, context.analyzer) for d in self._documents(context, topic)]
        keywords = ", ".join(w for w, _ in context.words.get(topic, [])[: context.top_n_words])
        return self._frame(fill_prompt(self._template(), format_documents(docs), keywords))

    # ------------------------------------------------------------------ calling the model
    def _call(self, prompt: str, session: Any) -> str:
        try:
            answer = self._generate(prompt, self._system(), session)
        except LLMError:
            raise
        except Exception as exc:  # a backend bug or an unexpected library error: one topic fails
            problem = self._scrub(f"{type(self).__name__} failed to answer: {type(exc).__name__}: {exc}", session)
            raise LLMResponseError(problem) from exc
        return answer if isinstance(answer, str) else ""

    def _run(
        self, jobs: list[tuple[int, str]], verbose: bool, desc: str, session: Any
    ) -> Iterator[tuple[int, str | LLMError]]:
        """Answer ``jobs`` (sequentially, or ``_max_concurrency`` at a time); fatal errors raise."""
        workers = max(1, int(self._max_concurrency))
        bar = iter(progress(range(len(jobs)), verbose=verbose, desc=desc, total=len(jobs)))
        if workers == 1 or len(jobs) == 1:
            for topic, prompt in jobs:
                try:
                    out: str | LLMError = self._call(prompt, session)
                except LLMError as exc:
                    if is_fatal(exc):
                        raise
                    out = exc
                next(bar, None)
                yield topic, out
            return
        pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="topicscope-llm")
        try:
            futures: dict[Future[str], int] = {pool.submit(self._call, p, session): t for t, p in jobs}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    error = fut.exception()
                    if error is None:
                        out = fut.result()
                    elif isinstance(error, LLMError) and not is_fatal(error):
                        out = error  # one topic failed: reported, the others go on
                    else:
                        raise error
                    next(bar, None)
                    yield futures[fut], out
        except BaseException:
            self._abort(session)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _ask(self, call: _Call, prompts: dict[int, str], desc: str) -> dict[int, str | LLMError]:
        results: dict[int, str | LLMError] = {}
        todo: list[tuple[int, str]] = []
        keys = {t: self._cache_key(p) for t, p in prompts.items()}
        with self._lock_named("_cache_lock"):
            cache = getattr(self, "_cache", None)
            if cache is None:
                cache = self._cache = OrderedDict()
            for topic, prompt in prompts.items():
                if keys[topic] in cache:
                    results[topic] = cache[keys[topic]]
                    cache.move_to_end(keys[topic])
                    call.cache_hits += 1
                else:
                    todo.append((topic, prompt))
        if not todo:
            return results
        with self._lock_named("_setup_lock"):
            session = self._prepare(call.context)
        try:
            call.calls += len(todo)
            for topic, answer in self._run(todo, bool(call.context.verbose), desc, session):
                results[topic] = answer
                if isinstance(answer, str) and answer.strip():
                    with self._lock_named("_cache_lock"):
                        cache = self._cache  # clear_cache() may have replaced it meanwhile
                        cache[keys[topic]] = answer
                        while len(cache) > CACHE_SIZE:
                            cache.popitem(last=False)
        finally:
            self._finish(session)
        return results

    # ------------------------------------------------------------------ describe
    def describe(self, context: TopicContext) -> dict[int, Words]:
        """Label every topic of ``context``: ``{topic: [(label, 1.0)]}``."""
        self._validate()
        topics = [int(t) for t in context.topic_ids if int(t) != -1]
        call = _Call(context)
        try:
            if not topics:
                return {}
            with self._lock_named("_setup_lock"):  # may load a model (tokenizer="model")
                tokenizer = self._resolve_tokenizer()
            for topic in topics:
                call.prompts[topic] = self._build_prompt(context, topic, tokenizer)
            answers = self._ask(call, call.prompts, "Labelling topics")
            labels: dict[int, str] = {}
            from_model: dict[int, bool] = {}
            for topic in topics:
                keywords = [w for w, _ in context.words.get(topic, [])]
                label = self._label_from(call, topic, answers.get(topic, ""), keywords)
                from_model[topic] = bool(label)
                labels[topic] = label or keyword_label(context.words.get(topic, []), topic)
            self._make_distinct(call, topics, labels, from_model)
        finally:
            self._publish(call)
        if call.failures:
            logger.warning(
                "%s: %d of %d topics got no usable label and use their keywords instead (see failures_)",
                type(self).__name__,
                len(call.failures),
                len(topics),
            )
        logger.info(
            "%s: %d of %d topics labelled by the model, %d fell back to keywords (%d model calls, %d cached)",
            type(self).__name__,
            len(topics) - len(call.failures),
            len(topics),
            len(call.failures),
            call.calls,
            call.cache_hits,
        )
        return {topic: [(labels[topic], 1.0)] for topic in topics}

    def _publish(self, call: _Call) -> None:
        """Set the fitted attributes from ``call``, all together (another call may be ending too)."""
        with self._lock_named("_state_lock"):
            self.prompts_ = call.prompts
            self.hint_prompts_ = call.hint_prompts
            self.answers_ = call.answers
            self.failures_ = call.failures
            self.calls_ = call.calls
            self.cache_hits_ = call.cache_hits

    def _label_from(self, call: _Call, topic: int, answer: str | LLMError, keywords: list[str]) -> str:
        if isinstance(answer, LLMError):
            call.failures[topic] = f"{type(answer).__name__}: {answer}"
            logger.warning("topic %d: the language model failed (%s); using its keywords as label", topic, answer)
            return ""
        call.answers[topic] = answer
        label = clean_label(answer, int(self.max_label_length))
        why = "empty or unusable answer"
        if label and repeats_instructions(label, self._template(), self._system(), HINT):
            label, why = "", "the answer repeats the instructions"
        elif label and label.casefold() in self._example_labels():
            label, why = "", "the answer copies an example label of the prompt"
        elif label and echoes_keywords(label, keywords):
            label, why = "", "the answer only lists the topic's keywords"
        if not label:
            call.failures[topic] = f"{why}: {answer[:200]!r}"
            logger.warning("topic %d: the language model gave no usable label; using its keywords", topic)
        return label

    def _make_distinct(
        self, call: _Call, topics: list[int], labels: dict[int, str], from_model: dict[int, bool]
    ) -> None:
        """Keep labels distinct (case-insensitively): re-ask once with a hint, else qualify."""
        taken: dict[str, int] = {}
        duplicates: list[int] = []
        for topic in topics:
            key = labels[topic].casefold()
            if key in taken:
                duplicates.append(topic)
            else:
                taken[key] = topic
        if not duplicates:
            return
        for topic in duplicates:
            hint = self._hint_prompt(call.prompts[topic], labels[topic]) if from_model[topic] else None
            if hint is not None:
                call.hint_prompts[topic] = hint
        retry = list(call.hint_prompts)
        answers: dict[int, str | LLMError] = {}
        if retry:
            answers = self._ask(call, {t: call.hint_prompts[t] for t in retry}, "Relabelling duplicates")
        for topic in duplicates:
            answer = answers.get(topic)
            label = clean_label(answer, int(self.max_label_length)) if isinstance(answer, str) else ""
            if not label or label.casefold() in taken:
                label = qualify(labels[topic], call.context.words.get(topic, []), set(taken), topic)
            labels[topic] = label
            taken[label.casefold()] = topic
