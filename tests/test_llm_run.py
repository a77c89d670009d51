"""How LLMLabeler._run sorts the answers of concurrent requests: a per-topic failure is reported and
the other topics keep their labels; a fatal one stops labelling. Uses test_llm's real HTTP server."""

from __future__ import annotations

import pytest

from llm_server import ScriptedServer, chat_answer
from test_llm import bbc, client, make_context  # noqa: F401  (bbc: fixture)
from topicscope.exceptions import LLMConnectionError


def test_concurrent_per_topic_failure_keeps_the_other_labels(bbc):  # noqa: F811
    ctx = make_context(bbc, n_topics=3)
    # The first request to arrive gets an answer that is not JSON (a per-topic error, not fatal).
    script = [(200, b"this is not json{", {}, 0.0)] + [(200, chat_answer(f"Label {i}"), {}, 0.3) for i in (1, 2)]
    with ScriptedServer(script) as srv:
        rep = client(srv.url, max_concurrency=3, max_retries=0)
        out = rep.describe(ctx)
    assert srv.max_in_flight >= 2  # the answers really came through the thread pool
    assert len(rep.failures_) == 1 and "not JSON" in next(iter(rep.failures_.values()))
    (failed,) = rep.failures_
    assert out[failed][0][0] == ", ".join(w for w, _ in ctx.words[failed][:4])  # keyword fallback
    assert sorted(out[t][0][0] for t in ctx.topic_ids if t != failed) == ["Label 1", "Label 2"]


def test_concurrent_fatal_failure_stops_labelling(bbc):  # noqa: F811
    ctx = make_context(bbc, n_topics=3)
    with ScriptedServer() as srv:
        url = srv.url
    rep = client(url, max_concurrency=3, max_retries=0)  # the server is gone: connection refused
    with pytest.raises(LLMConnectionError, match="cannot reach"):
        rep.describe(ctx)
