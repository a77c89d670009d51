"""One labeller shared by calls labelling at once from two threads (issue 19, 6a): each call keeps
its own prompts, answers and client, the answer cache is shared, and the fitted attributes are
one call's. Against test_llm's real HTTP server, whose answers are slow enough for the calls to
overlap, and (slow) with the packaged Gemma GGUF in-process."""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import pytest

from llm_server import ScriptedServer
from test_llm import client, make_context
from topicscope.context import TopicContext
from topicscope.llm import LlamaCPP


def answer_for(body: dict) -> str:
    """The server's label for a request: a function of its prompt, so any run can be compared."""
    return "Topic " + hashlib.sha256(body["messages"][-1]["content"].encode()).hexdigest()[:8]


def other_documents(ctx: TopicContext) -> TopicContext:
    """``ctx`` with each topic's candidate documents in reverse order (other prompts, same topics)."""
    ctx.candidate_docs = {t: docs[::-1] for t, docs in ctx.candidate_docs.items()}
    ctx.candidate_embeddings = {t: np.ascontiguousarray(e[::-1]) for t, e in ctx.candidate_embeddings.items()}
    return ctx


def run_together(labeller, contexts: dict[str, TopicContext]) -> dict[str, dict]:
    """``labeller.describe`` on each context, each in its own thread, all released at once."""
    barrier = threading.Barrier(len(contexts))
    results: dict[str, dict] = {}
    errors: dict[str, BaseException] = {}

    def work(name: str, ctx: TopicContext) -> None:
        barrier.wait()
        try:
            results[name] = labeller.describe(ctx)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors[name] = exc

    threads = [threading.Thread(target=work, args=item) for item in contexts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    return results


@pytest.mark.parametrize("concurrency", [1, 2])
def test_openai_labeller_shared_by_two_threads(bbc, concurrency):
    # Two calls of different lengths: the short one ends while the long one still has requests
    # to send (a labeller that kept one client on itself closed the other call's client then).
    contexts = {"short": make_context(bbc, n_topics=2), "long": other_documents(make_context(bbc, n_topics=5))}
    with ScriptedServer(default=answer_for, delay=0.25) as srv:
        alone = {}
        for name, ctx in contexts.items():
            solo = client(srv.url, max_concurrency=concurrency, max_retries=0)
            alone[name] = (solo.describe(ctx), solo.prompts_)
            assert not solo.failures_
        assert alone["short"][1] != {t: alone["long"][1][t] for t in alone["short"][1]}  # other prompts
        srv.max_in_flight = 0
        shared = client(srv.url, max_concurrency=concurrency, max_retries=0)
        results = run_together(shared, contexts)
        # The calls overlapped: more requests in flight than one call sends at once.
        assert srv.max_in_flight > concurrency
        for name in contexts:
            assert results[name] == alone[name][0], name  # every topic got the model's label for its prompt
        # The fitted attributes are one call's, whole (whichever ended last), not a mixture.
        last = next(name for name in contexts if shared.prompts_ == alone[name][1])
        assert set(shared.answers_) == set(contexts[last].topic_ids) and shared.failures_ == {}
        assert shared.calls_ == len(contexts[last].topic_ids) and shared.cache_hits_ == 0
        # The cache holds both calls' answers.
        for name, ctx in contexts.items():
            assert shared.describe(ctx) == alone[name][0] and shared.calls_ == 0
    assert len(srv.requests) == 2 * sum(len(ctx.topic_ids) for ctx in contexts.values())


def test_delay_in_seconds_paces_every_call_of_a_shared_labeller(bbc):
    contexts = {"a": make_context(bbc, n_topics=2), "b": other_documents(make_context(bbc, n_topics=2))}
    with ScriptedServer(default=answer_for) as srv:
        shared = client(srv.url, max_concurrency=2, delay_in_seconds=0.3)
        run_together(shared, contexts)
    starts = sorted(srv.arrivals)
    assert len(starts) == 4
    gaps = np.diff(starts)
    assert gaps.min() >= 0.25, gaps  # one pace for the labeller (the server it talks to), not one per call


@pytest.mark.slow
@pytest.mark.llm
def test_llamacpp_labeller_shared_by_two_threads(bbc, gguf_path):
    """A llama.cpp context is not thread safe: two calls at once take turns with the one Llama."""
    contexts = {"a": make_context(bbc, n_topics=2), "b": other_documents(make_context(bbc, n_topics=3))}
    settings = {"tokenizer": "whitespace", "doc_length": 15, "nr_docs": 1, "max_tokens": 8, "n_ctx": 1024}
    solo = LlamaCPP(gguf_path, **settings)
    alone = {}
    for name, ctx in contexts.items():
        alone[name] = (solo.describe(ctx), solo.prompts_, solo.failures_)
    shared = LlamaCPP(gguf_path, **settings)
    results = run_together(shared, contexts)
    for name in contexts:
        assert results[name] == alone[name][0], name  # temperature 0: the labels of one call at a time
    last = next(name for name in contexts if shared.prompts_ == alone[name][1])
    assert shared.failures_ == alone[last][2] and shared.calls_ == len(contexts[last].topic_ids)
