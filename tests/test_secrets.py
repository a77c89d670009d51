"""API keys stay out of every representation (issue 19, 3): repr, scikit-learn's HTML view (what a
notebook shows), get_params, logs, error messages and tracebacks, saved folders and the HTML report.

A real server on 127.0.0.1 (test_llm's) receives the key, so each test also checks the key was
really used, and it echoes the key back in error answers, as a misconfigured proxy would."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import traceback

import pytest
from sklearn.base import clone
from sklearn.utils import estimator_html_repr

from conftest import load_corpus
from llm_server import ScriptedServer
from test_llm import make_context
from topicscope import TopicModel
from topicscope.exceptions import InputError, LLMResponseError
from topicscope.llm import OpenAI, Secret
from topicscope.llm.secret import redact

KEY = "sk-test-SECRET-1234567890"
ENV_KEY = "sk-env-SECRET-0987654321"
ENV = "TOPICSCOPE_TEST_SECRET_KEY"


@pytest.fixture(scope="module")
def small_bbc():
    return load_corpus("bbc_news", 300)


def shown(obj) -> str:
    """Everything a user sees of ``obj``: repr, str, get_params (deep) and, for a model, its HTML."""
    parts = [repr(obj), str(obj), repr(obj.get_params()), repr(obj.get_params(deep=True))]
    if isinstance(obj, TopicModel):
        parts += [obj._repr_html_(), estimator_html_repr(obj), obj._repr_mimebundle_()["text/html"]]
    return "\n".join(parts)


def assert_no_key(text: str) -> None:
    assert KEY not in text and ENV_KEY not in text
    assert KEY[-10:] not in text and ENV_KEY[-10:] not in text  # nor a tell-tale part of one


# --------------------------------------------------------------------------- Secret
def test_secret_is_masked_and_keeps_its_value():
    secret = Secret(KEY)
    assert repr(secret) == "Secret('***')" and str(secret) == "***" and f"{secret}" == "***"
    assert f"{secret!r:>20}".strip() == "Secret('***')"
    assert secret.get() == KEY and Secret(secret).get() == KEY
    assert secret == Secret(KEY) and secret != Secret("sk-other-key-000") and secret != KEY
    assert len({secret, Secret(KEY)}) == 1
    assert copy.copy(secret) is secret and copy.deepcopy(secret) is secret
    back = pickle.loads(pickle.dumps(secret))
    assert back == secret and back.get() == KEY
    with pytest.raises(AttributeError):
        secret._value = "x"
    with pytest.raises(InputError, match="Secret needs a string"):
        Secret(1234)  # type: ignore[arg-type]
    assert redact(f"bad key {KEY}!", [KEY, None, "short"]) == "bad key ***!"
    assert redact("a short key k", ["k"]) == "a short key k"  # placeholders are too short to redact


# --------------------------------------------------------------------------- parameters and views
def test_api_key_hidden_from_repr_params_and_notebook_html():
    rep = OpenAI("stub", base_url="http://127.0.0.1:1/v1", api_key=KEY)
    assert isinstance(rep.api_key, Secret) and rep.api_key.get() == KEY
    assert rep.get_params()["api_key"] is rep.api_key and "api_key=Secret('***')" in repr(rep)
    assert_no_key(shown(rep))
    model = TopicModel(representation_model=rep)
    html = shown(model)
    assert "Secret(&#x27;***&#x27;)" in html or "Secret('***')" in html  # the key's place is shown, masked
    assert_no_key(html)
    for chain in ([rep], {"Main": rep}):  # a chain and named aspects render their members too
        assert_no_key(shown(TopicModel(representation_model=chain)))
    # clone keeps the key (sklearn checks the constructor stores the Secret it is given).
    for copied in (clone(rep), clone(model).representation_model, copy.deepcopy(rep)):
        assert copied.api_key == rep.api_key and copied.api_key.get() == KEY
    # set_params and plain assignment wrap a string too.
    rep.set_params(api_key=KEY + "-2")
    assert isinstance(rep.api_key, Secret) and rep.api_key.get() == KEY + "-2"
    model.set_params(representation_model__api_key=KEY)
    assert isinstance(rep.api_key, Secret) and rep.api_key.get() == KEY
    rep.api_key = KEY
    assert isinstance(rep.api_key, Secret)
    assert_no_key(shown(model) + repr(vars(rep)))
    rep.api_key = None
    assert rep.get_params()["api_key"] is None


def test_api_key_errors_name_the_parameter_not_the_key(bbc):
    ctx = make_context(bbc, n_topics=1)
    for bad, given in (("", "an empty string"), ("   ", "an empty string"), (b"sk-bytes-key-123", "bytes")):
        with pytest.raises(InputError, match="api_key must be a non-empty string, a Secret or None") as err:
            OpenAI("stub", base_url="http://127.0.0.1:1/v1", api_key=bad).describe(ctx)
        assert f"got {given}" in str(err.value) and "sk-bytes" not in str(err.value)


def test_old_pickles_with_a_plain_key_load():
    rep = OpenAI("stub", base_url="http://127.0.0.1:1/v1", api_key=KEY)
    state = rep.__getstate__()
    state["api_key"] = state.pop("_api_key").get()  # how a labeller pickled before Secret looked
    old = OpenAI.__new__(OpenAI)
    old.__setstate__(state)
    assert isinstance(old.api_key, Secret) and old.api_key.get() == KEY
    back = pickle.loads(pickle.dumps(rep))
    assert back.api_key == rep.api_key  # an explicit key is pickled, as documented


# --------------------------------------------------------------------------- logs, errors, files
def echo(status: int, key: str = KEY) -> tuple[int, dict, dict, float]:
    """An error answer that repeats the key sent, as a proxy echoing the request's headers would."""
    return (status, {"error": {"message": f"invalid token: Bearer {key}", "type": "invalid_request_error"}}, {}, 0.0)


def all_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize("source", ["api_key", "api_key_env"])
def test_key_absent_from_logs_errors_saved_model_and_report(bbc, small_bbc, tmp_path, monkeypatch, caplog, source):
    docs, _, emb = small_bbc
    monkeypatch.setenv(ENV, ENV_KEY)
    sent = KEY if source == "api_key" else ENV_KEY
    if source == "api_key":
        kwargs = {"api_key": KEY, "api_key_env": None}
    else:
        kwargs = {"api_key_env": ENV, "api_key_hosts": ["127.0.0.1"]}
    # A retried 500 (logged), a per-topic 400 (a failure, logged), then labels.
    with ScriptedServer([echo(500, sent), echo(400, sent)]) as srv, caplog.at_level(logging.DEBUG):
        rep = OpenAI("stub", base_url=srv.url, max_concurrency=1, backoff=0.01, timeout=5.0, **kwargs)
        model = TopicModel(representation_model=rep, min_topic_size=20, random_state=0).fit(docs, embeddings=emb)
        assert srv.headers[0]["Authorization"] == f"Bearer {sent}"  # the key was really used
        assert len(rep.failures_) == 1 and "HTTP 400" in next(iter(rep.failures_.values()))
        assert "retry 1/" in caplog.text and "***" in caplog.text
        # A fatal answer raises; neither its message nor its traceback holds the key.
        srv.script = [echo(401, sent)]
        rep.clear_cache()
        with pytest.raises(LLMResponseError, match="401") as err:
            rep.describe(make_context(bbc, n_topics=1))
    assert_no_key(caplog.text)
    assert_no_key(json.dumps(rep.failures_) + json.dumps(rep.answers_))
    assert_no_key(all_text(err.value))
    assert_no_key(shown(model))
    model.save(tmp_path / "saved", save_documents=True)
    saved = b"".join(p.read_bytes() for p in (tmp_path / "saved").rglob("*") if p.is_file())
    assert KEY.encode() not in saved and ENV_KEY.encode() not in saved
    report = model.report(tmp_path / "report.html", docs, with_documents=True)
    assert_no_key(report.read_text(encoding="utf-8"))


def test_client_form_key_absent_from_errors(bbc, caplog):
    """BERTopic's form: the key lives in the openai client; an echo of it is scrubbed too."""
    openai = pytest.importorskip("openai", reason="the openai package is needed for BERTopic's client form")
    ctx = make_context(bbc, n_topics=2)
    with ScriptedServer([echo(400)], default="Markets") as srv, caplog.at_level(logging.DEBUG):
        rep = OpenAI(openai.OpenAI(base_url=srv.url, api_key=KEY), model="stub", max_concurrency=1, max_retries=0)
        rep.describe(ctx)
        assert srv.headers[0]["Authorization"] == f"Bearer {KEY}"
        assert "HTTP 400" in rep.failures_[0] and "Bearer ***" in rep.failures_[0]
        srv.script = [echo(401)]
        rep.clear_cache()
        with pytest.raises(LLMResponseError, match="401") as err:
            rep.describe(ctx)
    assert "Bearer ***" in str(err.value)
    assert_no_key(all_text(err.value) + caplog.text + shown(rep) + json.dumps(rep.failures_))
    assert_no_key(shown(TopicModel(representation_model=rep)))


def test_answers_never_sent_to_a_withheld_host_carry_no_key(bbc, monkeypatch, caplog):
    """A key kept back by the host rule is named by its variable only, in the log and the 401 hint."""
    monkeypatch.setenv(ENV, ENV_KEY)
    ctx = make_context(bbc, n_topics=1)
    with ScriptedServer([(401, {"error": "no key"}, {}, 0.0)]) as srv, caplog.at_level(logging.DEBUG):
        with pytest.raises(LLMResponseError, match=f"\\${ENV} was not sent") as err:
            OpenAI("stub", base_url=srv.url, api_key_env=ENV).describe(ctx)
        assert "Authorization" not in srv.headers[0]
    assert_no_key(all_text(err.value) + caplog.text)
