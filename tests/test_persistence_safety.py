"""Saved models as untrusted input, atomic saves, and BERTopic's save arguments.

Every malformed model folder must raise PersistenceError naming the file and the field; a save
that fails half-way must leave the previous model loadable and unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from topicscope import TopicModel
from topicscope.exceptions import InputError, PersistenceError
from topicscope.persistence import checks as persistence_checks
from topicscope.persistence import files as persistence_module

META, ARRAYS = "topicscope.json", "arrays.safetensors"


@pytest.fixture(scope="module")
def corpus(octis_bbc):
    docs, _, emb = octis_bbc
    return docs[:300], emb[:300]


@pytest.fixture(scope="module")
def model(corpus):
    docs, emb = corpus
    m = TopicModel(umap_model=PCA(8, random_state=0), hdbscan_model=KMeans(4, n_init=2, random_state=0))
    return m.fit(docs, embeddings=emb)


@pytest.fixture(scope="module")
def other_model(corpus):
    docs, emb = corpus
    m = TopicModel(umap_model=PCA(8, random_state=0), hdbscan_model=KMeans(3, n_init=2, random_state=0))
    return m.fit(docs, embeddings=emb)


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "m"
    model.save(path)
    return path


def copy_of(saved: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "m"
    shutil.copytree(saved, dest)
    return dest


def read_meta(folder: Path) -> dict:
    return json.loads((folder / META).read_text(encoding="utf-8"))


def write_meta(folder: Path, meta: dict) -> None:
    (folder / META).write_text(json.dumps(meta), encoding="utf-8")


def rewrite_arrays(folder: Path, edit) -> None:
    """Change the arrays and record them faithfully in the JSON (only the cross-checks can object)."""
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(folder / ARRAYS))
    edit(arrays)
    save_file(arrays, str(folder / ARRAYS))
    meta = read_meta(folder)
    data = (folder / ARRAYS).read_bytes()
    meta["arrays"].update(
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        tensors={k: {"dtype": str(a.dtype), "shape": list(a.shape)} for k, a in arrays.items()},
    )
    write_meta(folder, meta)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------------------------------ atomic saves
@pytest.mark.parametrize("fail_at", ["arrays", "json", "rename"])
def test_a_failed_save_leaves_the_previous_model(model, other_model, corpus, tmp_path, monkeypatch, fail_at):
    path = tmp_path / "m"
    model.save(path)
    before = snapshot(path)

    def boom(*args, **kwargs):
        raise OSError("disk full (injected)")

    if fail_at == "arrays":
        import safetensors.numpy

        monkeypatch.setattr(safetensors.numpy, "save_file", boom)
    elif fail_at == "json":
        monkeypatch.setattr(persistence_module, "_write_bytes", boom)
    else:  # the new folder cannot be renamed into place: the old one must be renamed back
        real_rename = os.rename

        def rename(src, dst):
            if ".saving-" in str(src):
                boom()
            real_rename(src, dst)

        monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="injected"):
        other_model.save(path)
    monkeypatch.undo()
    assert snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary or set-aside folder left
    loaded = TopicModel.load(path)
    assert loaded.topics_ == model.topics_
    docs, emb = corpus
    assert loaded.transform(docs[:20], embeddings=emb[:20])[0] == model.transform(docs[:20], embeddings=emb[:20])[0]


def test_a_failed_first_save_leaves_nothing(model, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(persistence_module, "_write_bytes", boom)
    with pytest.raises(OSError, match="injected"):
        model.save(tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_model_replaces_it_whole(model, other_model, tmp_path):
    path = tmp_path / "m"
    model.save(path)
    (path / "topicscope.json.tmp").write_text("left by a version-1 save")
    other_model.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert sorted(p.name for p in path.iterdir()) == [ARRAYS, META]
    assert TopicModel.load(path).topics_ == other_model.topics_


def test_save_refuses_to_replace_a_folder_that_is_not_a_model(model, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match=r"not part of a saved topicscope model \(\['notes.txt'\]\)"):
        model.save(folder)
    assert (folder / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]
    empty = tmp_path / "empty"
    empty.mkdir()
    model.save(empty)
    assert TopicModel.load(empty).topics_ == model.topics_


def test_an_interrupted_swap_is_reported_with_the_previous_model(saved, tmp_path):
    shutil.copytree(saved, tmp_path / ".m.replaced-0badc0de")
    with pytest.raises(PersistenceError, match=r"save was interrupted: the previous model is in .*\.m\.replaced-0badc"):
        TopicModel.load(tmp_path / "m")


# -------------------------------------------------------------------------------------- integrity
def test_json_records_shapes_dtypes_and_checksum(saved):
    from safetensors.numpy import load_file

    meta = read_meta(saved)
    data = (saved / ARRAYS).read_bytes()
    assert meta["arrays"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["arrays"]["bytes"] == len(data)
    arrays = load_file(str(saved / ARRAYS))
    assert meta["arrays"]["tensors"] == {k: {"dtype": str(a.dtype), "shape": list(a.shape)} for k, a in arrays.items()}


def test_a_corrupt_or_truncated_arrays_file_is_caught(saved, tmp_path):
    folder = copy_of(saved, tmp_path)
    data = bytearray((folder / ARRAYS).read_bytes())
    data[-5] ^= 0xFF  # one flipped bit inside an array: safetensors alone would not notice
    (folder / ARRAYS).write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match=r"arrays\.safetensors does not match the checksum .*'arrays\.sha256'"):
        TopicModel.load(folder)
    (folder / ARRAYS).write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(PersistenceError, match=r"arrays\.safetensors is \d+ bytes but .*'arrays\.bytes' records"):
        TopicModel.load(folder)
    (folder / ARRAYS).unlink()
    with pytest.raises(PersistenceError, match=r"cannot read .*arrays\.safetensors"):
        TopicModel.load(folder)


@pytest.mark.parametrize("cut", [0, 7, 100, -50])
def test_a_crafted_unreadable_arrays_file_is_a_persistence_error(saved, tmp_path, cut):
    """The checksum matches (recomputed by whoever crafted the file): the safetensors reader must object."""
    folder = copy_of(saved, tmp_path)
    data = (folder / ARRAYS).read_bytes()
    data = data[:cut] if cut else b"\xff" * 64
    (folder / ARRAYS).write_bytes(data)
    meta = read_meta(folder)
    meta["arrays"].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    write_meta(folder, meta)
    with pytest.raises(PersistenceError, match=r"cannot read .*arrays\.safetensors"):
        TopicModel.load(folder)


# ---------------------------------------------------------------------------- malformed JSON fields
def _set(path, value):
    def edit(meta):
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _delete(key):
    def edit(meta):
        del meta[key]

    return edit


FIELD_CASES = {
    "topic_ids a string": (_set(["topic_ids"], "0123"), r"field 'topic_ids' must be a list"),
    "topic_ids unsorted": (lambda m: m["topic_ids"].reverse(), r"field 'topic_ids' must be .* increasing order"),
    "topic id a float": (_set(["topic_ids", 0], 0.5), r"field 'topic_ids\[0\]' must be an integer"),
    "topic id 1e400": (_set(["topic_ids", 0], float("inf")), r"field 'topic_ids\[0\]' must be an integer"),
    "topic id beyond int64": (_set(["topic_ids", 0], 2**64), r"field 'topic_ids\[0\]' must be an integer"),
    "sizes with floats": (_set(["sizes", 1], 12.5), r"field 'sizes\[1\]' must be an integer >= 0"),
    "sizes negative": (_set(["sizes", 0], -3), r"field 'sizes\[0\]' must be an integer >= 0"),
    "sizes too short": (lambda m: m["sizes"].pop(), r"field 'sizes' must be a list of 4 items"),
    "words not lists": (_set(["words", "0"], "business"), r"field 'words\[0\]' must be a list"),
    "word pair too long": (_set(["words", "0", 0], ["a", 1.0, 2]), r"field 'words\[0\]\[0\]' must be a list of 2"),
    "word score a string": (_set(["words", "0", 0], ["a", "x"]), r"field 'words\[0\]\[0\]\[1\]' must be a number"),
    "words of an unknown topic": (_set(["words", "77"], []), r"field 'words key' must be one of the model's topics"),
    "words key not an id": (_set(["words", "zero"], []), r"field 'words key' must be a topic id"),
    "vocabulary holds numbers": (_set(["vocabulary", 3], 3), r"field 'vocabulary\[3\]' must be a string"),
    "names miss a topic": (lambda m: m["names"].pop("0"), r"field 'names' must be a name for every topic"),
    "custom labels not strings": (_set(["custom_labels"], {"0": 1}), r"field 'custom_labels\[0\]' must be a string"),
    "missing vocabulary": (_delete("vocabulary"), r"field 'vocabulary' is missing"),
    "missing topic_ids": (_delete("topic_ids"), r"field 'topic_ids' is missing"),
    "missing arrays record": (_delete("arrays"), r"field 'arrays' is missing"),
    "embedding_dim a string": (_set(["embedding_dim"], "384"), r"field 'embedding_dim' must be an integer"),
    "unknown parameter": (_set(["params", "evil"], 1), r"field 'params' must be parameters among"),
    "parameter of a wrong type": (_set(["params", "top_n_words"], "10"), r"field 'params.top_n_words' must be"),
    "similarity out of range": (
        _set(["params", "zeroshot_min_similarity"], 1e300),
        r"field 'params.zeroshot_min_similarity' must be a finite number",
    ),
    "n_gram_range reversed": (_set(["params", "n_gram_range"], [3, 1]), r"field 'params.n_gram_range' must be"),
    "ctfidf unknown parameter": (_set(["ctfidf", "evil"], 1), r"field 'ctfidf' must be parameters of ClassTfidf"),
    "ctfidf bad exclusivity": (_set(["ctfidf", "exclusivity"], -1), r"field 'ctfidf.exclusivity' must be"),
    "info not an object": (_set(["info"], []), r"field 'info' must be a JSON object"),
    "zero-shot ids unknown": (
        _set(["info", "zeroshot"], {"topic_ids": [99], "min_similarity": 0.5}),
        r"field 'info.zeroshot.topic_ids\[0\]' must be one of the model's topics",
    ),
    "merge mapping unknown": (
        _set(["info", "merge_mappings"], [{"0": 42}]),
        r"field 'info.merge_mappings\[0\]\[0\]' must be one of the model's topics",
    ),
    "checksum not hex": (_set(["arrays", "sha256"], "abc"), r"field 'arrays.sha256' must be a sha256 digest"),
    "arrays file elsewhere": (_set(["arrays", "file"], "../x.safetensors"), r"field 'arrays.file' must be"),
    "unknown format version": (_set(["format_version"], 3), r"format_version 3; this topicscope reads versions 1 to 2"),
    "format version a string": (_set(["format_version"], "2"), r"format_version '2'"),
    "not a model file": (_set(["format"], "bertopic"), r"not a topicscope model file: field 'format'"),
    "absolute embedding path": (
        _set(["embedding_model"], {"kind": "hub", "name": "/home/me/models/mini"}),
        r"field 'embedding_model.name' must be a Hugging Face model id .*never a path",
    ),
    "embedding path escaping the folder": (
        _set(["embedding_model"], {"kind": "hub", "name": "../x"}),
        r"field 'embedding_model.name' must be a Hugging Face model id",
    ),
    "local embedding given as a path": (
        _set(["embedding_model"], {"kind": "local", "name": "../../etc"}),
        r"field 'embedding_model.name' must be the base name of a folder",
    ),
    "unknown embedding kind": (
        _set(["embedding_model"], {"kind": "pickle"}),
        r"field 'embedding_model.kind' must be one of",
    ),
}


@pytest.mark.parametrize("case", sorted(FIELD_CASES))
def test_malformed_fields_name_the_file_and_field(saved, tmp_path, case):
    edit, message = FIELD_CASES[case]
    folder = copy_of(saved, tmp_path)
    meta = read_meta(folder)
    edit(meta)
    write_meta(folder, meta)
    with pytest.raises(PersistenceError, match=message) as info:
        TopicModel.load(folder)
    assert str(folder / META) in str(info.value)


RAW_CASES = {
    "truncated": (lambda text: text[: len(text) // 2], r"is not valid JSON"),
    "empty": (lambda text: "", r"is not valid JSON"),
    "not UTF-8": (lambda text: "\udcff", r"is not valid JSON"),
    "a list": (lambda text: "[1, 2]", r"not a topicscope model file: expected a JSON object"),
    # Python's json raises RecursionError at ~1000 levels: 100,000 must come out as a PersistenceError.
    "nested 100k deep": (
        lambda text: text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
        r"nests JSON values too deeply to parse",
    ),
    "nested 200 deep": (
        lambda text: text[:-1] + ', "deep": ' + "[" * 200 + "]" * 200 + "}",
        r"nests JSON values more than 64 levels deep",
    ),
    "a 5000-digit size": (
        lambda text: text.replace('"sizes": [', '"sizes": [' + "9" * 5000 + ", ", 1),
        r"field 'sizes\[0\]' holds an integer of 5000 digits",
    ),
    "a 5000-digit number in info": (
        lambda text: text[:-1] + ', "info": {"n": -' + "1" * 5000 + "}}",  # the last "info" key wins
        r"field 'info.n' holds an integer of 5000 digits",
    ),
    "1e400 as a size": (
        lambda text: re.sub(r'"sizes": \[\d+', '"sizes": [1e400', text, count=1),
        r"field 'sizes\[0\]' must be an integer >= 0; got inf",
    ),
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_malformed_json_text_is_a_persistence_error(saved, tmp_path, case):
    edit, message = RAW_CASES[case]
    folder = copy_of(saved, tmp_path)
    text = json.dumps(read_meta(folder))
    (folder / META).write_bytes(edit(text).encode("utf-8", "surrogateescape"))
    with pytest.raises(PersistenceError, match=message) as info:
        TopicModel.load(folder)
    assert str(folder / META) in str(info.value)


def test_the_json_size_is_capped_before_parsing(saved, tmp_path, monkeypatch):
    assert persistence_checks.MAX_JSON_BYTES == 256 * 1024 * 1024
    folder = copy_of(saved, tmp_path)
    monkeypatch.setattr(persistence_checks, "MAX_JSON_BYTES", 1000)
    # Not JSON at all: only a check made before parsing reports the size instead.
    (folder / META).write_text("[" * 1001)
    with pytest.raises(PersistenceError, match=r"is 1001 bytes; topicscope reads model files of at most 1000 bytes"):
        TopicModel.load(folder)


# ------------------------------------------------------------------------- arrays that disagree
ARRAY_CASES = {
    "indptr shorter than topics + 1": (
        lambda a: a.update(class_term_indptr=a["class_term_indptr"][:-1]),
        None,
        r"array 'class_term_indptr' has 4 entries; expected 5 \(one more than the 4 topics in field 'topic_ids'\)",
    ),
    "indptr not rising": (
        lambda a: a.update(ctfidf_indptr=a["ctfidf_indptr"][::-1].copy()),
        None,
        r"array 'ctfidf_indptr' must rise from 0",
    ),
    "vocabulary shorter than the term indices": (
        None,
        lambda m: m.update(vocabulary=m["vocabulary"][:10]),
        r"array 'class_term_indices' must hold term indices in \[0, 10\) \(the length of field 'vocabulary'\)",
    ),
    "index rows differ from index topics": (
        lambda a: a.update(index_topics=a["index_topics"][:-1]),
        None,
        r"array 'index_topics' has 299 entries but 'index_embeddings' has 300 rows",
    ),
    "embedding_dim disagrees": (
        None,
        lambda m: m.update(embedding_dim=100),
        r"array 'topic_embeddings' has shape \[4, 384\]; expected \[4, 100\]",
    ),
    "index has other columns": (
        lambda a: a.update(index_embeddings=np.ascontiguousarray(a["index_embeddings"][:, :-1])),
        None,
        r"array 'index_embeddings' has 383 columns; expected 384 \(field 'embedding_dim'\)",
    ),
    "a document in an unknown topic": (
        lambda a: a["doc_topics"].__setitem__(0, 9),
        None,
        r"array 'doc_topics' holds topic 9, which is not one of the model's topics",
    ),
    "a wrong dtype": (
        lambda a: a.update(topic_embeddings=a["topic_embeddings"].astype(np.float64)),
        None,
        r"array 'topic_embeddings' must be 2-D float32; got 2-D float64",
    ),
    "a missing array": (lambda a: a.pop("doc_topics"), None, r"missing \['doc_topics'\]"),
    "an extra array": (lambda a: a.update(evil=np.zeros(3)), None, r"unexpected \['evil'\]"),
    "NaN embeddings": (
        lambda a: a["topic_embeddings"].__setitem__((0, 0), np.nan),
        None,
        r"array 'topic_embeddings' must hold finite numbers",
    ),
    "negative counts": (
        lambda a: a["class_term_data"].__setitem__(0, -1.0),
        None,
        r"array 'class_term_data' must hold finite numbers >= 0",
    ),
    "a document layout with other rows": (
        lambda a: a.update(doc_layout=np.zeros((7, 2), dtype=np.float32)),
        None,
        r"array 'doc_layout' has shape \[7, 2\]; expected 0 or 300 rows",
    ),
    "a document layout with NaN": (
        lambda a: a.update(doc_layout=np.full((300, 2), np.nan, dtype=np.float32)),
        None,
        r"array 'doc_layout' must hold finite numbers",
    ),
    "filler shares of another vocabulary": (
        lambda a: a.update(term_doc_share=np.zeros(3, dtype=np.float32)),
        None,
        r"array 'term_doc_share' has 3 values; expected 0 or \d+ \(one per term of field 'vocabulary'\)",
    ),
    "filler shares above 1": (
        lambda a: a["term_doc_share"].__setitem__(0, 2.0),
        None,
        r"array 'term_doc_share' must hold shares in \[0, 1\]",
    ),
    "a bad training fingerprint": (
        None,
        lambda m: m.update(training_fingerprint="not hex"),
        r"field 'training_fingerprint' must be '' or 32 lowercase hex digits",
    ),
}


def test_the_document_layout_round_trips_and_older_files_without_it_load(model, tmp_path):
    import dataclasses

    layout = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    with_layout = TopicModel()
    with_layout.__dict__.update(model.__dict__)
    with_layout.state_ = dataclasses.replace(model.state_, doc_layout=layout)
    with_layout.save(tmp_path / "a")
    np.testing.assert_array_equal(TopicModel.load(tmp_path / "a").state_.doc_layout, layout)
    model.save(tmp_path / "b")  # no layout: an empty array is saved
    assert TopicModel.load(tmp_path / "b").state_.doc_layout.shape == (0, 2)

    def drop_layout(arrays):
        arrays.pop("doc_layout")

    rewrite_arrays(tmp_path / "b", drop_layout)  # a file written before the layout existed
    assert TopicModel.load(tmp_path / "b").state_.doc_layout.shape == (0, 2)


def test_older_files_without_filler_shares_load_as_they_were_made(model, tmp_path):
    """A file from before the filler-word rule (no shares, no demote_filler_words key) keeps its
    words, and the c-TF-IDF recomputed at load is the plain one its words were made with."""
    from topicscope.vectorize import ClassTfidfTransformer

    model.save(tmp_path / "m", save_ctfidf=False)

    def drop(arrays):
        arrays.pop("term_doc_share")

    rewrite_arrays(tmp_path / "m", drop)
    meta = read_meta(tmp_path / "m")
    del meta["ctfidf"]["demote_filler_words"]
    write_meta(tmp_path / "m", meta)
    loaded = TopicModel.load(tmp_path / "m")
    state = loaded.state_
    assert state.term_doc_share.shape == (0,)
    assert loaded.get_topics() == model.get_topics()  # saved words, not recomputed
    assert loaded.stages_.ctfidf.demote_filler_words is False
    plain = ClassTfidfTransformer(demote_filler_words=False).weights(state.class_term, state.vocabulary)
    np.testing.assert_allclose(loaded.c_tf_idf_.toarray(), plain.toarray())
    with_rule = ClassTfidfTransformer().weights(
        state.class_term, state.vocabulary, doc_share=model.state_.term_doc_share
    )
    assert not np.allclose(with_rule.toarray(), plain.toarray())  # the rule does change these weights
    # A file from now keeps the rule and its shares.
    model.save(tmp_path / "new", save_ctfidf=False)
    again = TopicModel.load(tmp_path / "new")
    assert again.stages_.ctfidf.demote_filler_words is True
    np.testing.assert_allclose(again.c_tf_idf_.toarray(), model.c_tf_idf_.toarray(), rtol=1e-6)


@pytest.mark.parametrize("case", sorted(ARRAY_CASES))
def test_arrays_that_disagree_name_the_array_and_field(saved, tmp_path, case):
    edit_arrays, edit_meta, message = ARRAY_CASES[case]
    folder = copy_of(saved, tmp_path)
    if edit_arrays is not None:
        rewrite_arrays(folder, edit_arrays)
    if edit_meta is not None:
        meta = read_meta(folder)
        edit_meta(meta)
        write_meta(folder, meta)
    with pytest.raises(PersistenceError, match=message) as info:
        TopicModel.load(folder)
    assert str(folder) in str(info.value)


def test_shapes_that_disagree_with_the_json_record(saved, tmp_path):
    folder = copy_of(saved, tmp_path)
    meta = read_meta(folder)
    meta["arrays"]["tensors"]["doc_topics"]["shape"] = [12]
    write_meta(folder, meta)
    with pytest.raises(PersistenceError, match=r"array 'doc_topics' is int64 of shape \[300\] but .*'arrays.tensors"):
        TopicModel.load(folder)


# --------------------------------------------------------------------------------- random damage
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _slots(meta: dict) -> list[tuple[object, object]]:
    """(container, key) of every value in the JSON, long lists sampled at their ends."""
    out, stack = [], [meta]
    while stack:
        node = stack.pop()
        keys = (
            list(node)
            if isinstance(node, dict)
            else [*range(min(len(node), 3)), *range(max(3, len(node) - 2), len(node))]
        )
        for key in keys:
            out.append((node, key))
            if isinstance(node[key], (dict, list)):
                stack.append(node[key])
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_randomly_damaged_json_loads_or_raises_persistence_error(saved, corpus, tmp_path_factory, data):
    folder = copy_of(saved, tmp_path_factory.mktemp("fuzz"))
    meta = read_meta(folder)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        slots = _slots(meta)
        node, key = slots[data.draw(st.integers(0, len(slots) - 1), label="slot")]
        action = data.draw(st.sampled_from(["replace", "delete", "truncate"]), label="action")
        if action == "delete" and isinstance(node, dict):
            del node[key]
        elif action == "delete":
            node.pop(key)
        elif action == "truncate" and isinstance(node[key], (str, list)):
            node[key] = node[key][: data.draw(st.integers(0, max(len(node[key]) - 1, 0)))]
        else:
            node[key] = data.draw(_JSON_VALUES, label="value")
    write_meta(folder, meta)
    try:
        loaded = TopicModel.load(folder)
    except PersistenceError as exc:
        event("refused: " + str(exc).split(": ", 1)[-1][:40])
        return
    event("loaded")
    # What loads must work: the topic table, transform with embeddings, and saving it again.
    docs, emb = corpus
    loaded.get_topic_info()
    loaded.transform(docs[:5], embeddings=emb[:5])
    loaded.save(folder.parent / "again")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0), flip=st.integers(0, 10**9))
def test_truncated_or_flipped_json_text_loads_or_raises_persistence_error(saved, tmp_path_factory, cut, flip):
    folder = copy_of(saved, tmp_path_factory.mktemp("cut"))
    raw = bytearray((folder / META).read_bytes())
    raw[flip % len(raw)] ^= 1 << (flip % 7)
    (folder / META).write_bytes(bytes(raw[: max(1, int(len(raw) * cut))]))
    with contextlib.suppress(PersistenceError):
        TopicModel.load(folder)


# ---------------------------------------------------------------------- BERTopic's save arguments
def test_pickle_serialization_is_refused_with_the_reason(model, tmp_path):
    with pytest.raises(InputError, match=r"pickle.*refused: loading a pickle can run arbitrary code.*safetensors"):
        model.save(tmp_path / "m", serialization="pickle")
    with pytest.raises(InputError, match=r"serialization must be one of \['safetensors', 'pytorch'\]; got 'json'"):
        model.save(tmp_path / "m", serialization="json")
    assert not (tmp_path / "m").exists()


def test_bertopic_style_calls_write_the_safe_format(model, corpus, tmp_path):
    docs, emb = corpus
    # BERTopic's documented calls, unmodified: positional and keyword forms.
    model.save(tmp_path / "a", serialization="safetensors", save_ctfidf=True, save_embedding_model=True)
    model.save(tmp_path / "b", "pytorch", True, "sentence-transformers/all-MiniLM-L6-v2")
    for name in ("a", "b"):
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == [ARRAYS, META]
        loaded = TopicModel.load(tmp_path / name)
        assert loaded.transform(docs[:30], embeddings=emb[:30])[0] == model.transform(docs[:30], embeddings=emb[:30])[0]
    assert read_meta(tmp_path / "b")["embedding_model"] == {
        "kind": "default",
        "name": "sentence-transformers/all-MiniLM-L6-v2",
    }


def test_save_ctfidf_false_leaves_out_the_weights_and_load_recomputes_them(model, tmp_path):
    from safetensors.numpy import load_file

    model.save(tmp_path / "full")
    model.save(tmp_path / "lean", save_ctfidf=False)
    lean = load_file(str(tmp_path / "lean" / ARRAYS))
    assert not any(k.startswith("ctfidf_") for k in lean)
    assert "class_term_data" in lean
    assert read_meta(tmp_path / "lean")["save_ctfidf"] is False
    assert (tmp_path / "lean" / ARRAYS).stat().st_size < (tmp_path / "full" / ARRAYS).stat().st_size
    full, recomputed = TopicModel.load(tmp_path / "full"), TopicModel.load(tmp_path / "lean")
    np.testing.assert_array_equal(recomputed.state_.ctfidf.toarray(), model.state_.ctfidf.toarray())
    assert recomputed.get_topics() == model.get_topics()
    # The verbs that need the counts and weights work after load, with identical results.
    full.reduce_topics(2)
    recomputed.reduce_topics(2)
    assert recomputed.topics_ == full.topics_
    assert recomputed.get_topics() == full.get_topics()
    with pytest.raises(InputError, match="save_ctfidf must be True or False; got 'no'"):
        model.save(tmp_path / "x", save_ctfidf="no")


def test_save_embedding_model_false_or_a_name(model, corpus, tmp_path):
    docs, emb = corpus
    model.save(tmp_path / "none", save_embedding_model=False)
    assert read_meta(tmp_path / "none")["embedding_model"] == {"kind": "none"}
    loaded = TopicModel.load(tmp_path / "none")
    assert loaded.transform(docs[:5], embeddings=emb[:5])[0] == model.topics_[:5]
    with pytest.raises(InputError, match=r"save_embedding_model=False.*TopicModel.load\(path, embedding_model="):
        loaded.transform(docs[:5])
    model.save(tmp_path / "named", save_embedding_model="BAAI/bge-small-en-v1.5")
    assert read_meta(tmp_path / "named")["embedding_model"] == {"kind": "hub", "name": "BAAI/bge-small-en-v1.5"}
    assert TopicModel.load(tmp_path / "named").embedding_model == "BAAI/bge-small-en-v1.5"
    for bad in ("/home/me/models/mini", "../mini", "~/mini", 3):
        with pytest.raises(InputError, match="save_embedding_model must be True, False or a"):
            model.save(tmp_path / "bad", save_embedding_model=bad)
    assert not (tmp_path / "bad").exists()


# --------------------------------------------------------------------------------- version 1 files
def _as_version_1(folder: Path, reference: dict) -> None:
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(folder / "arrays.safetensors"))
    for name in ("neighbor_topics", "neighbor_weights"):  # added in format version 2
        arrays.pop(name, None)
    save_file(arrays, str(folder / "arrays.safetensors"))
    meta = read_meta(folder)
    for key in ("arrays", "save_ctfidf", "labels_given", "topic_mapper"):
        meta.pop(key, None)
    meta["format_version"] = 1
    meta["embedding_model"] = reference
    write_meta(folder, meta)


def test_version_1_files_still_load_without_following_local_paths(saved, model, corpus, tmp_path):
    docs, emb = corpus
    folder = copy_of(saved, tmp_path)
    _as_version_1(folder, {"kind": "sentence-transformers", "name": "/home/me/models/my-minilm"})
    loaded = TopicModel.load(folder)
    assert loaded.topics_ == model.topics_
    assert loaded.transform(docs[:5], embeddings=emb[:5])[0] == model.topics_[:5]
    with pytest.raises(InputError, match=r"local embedding model folder 'my-minilm'.*embedding_model="):
        loaded.transform(docs[:5])
    loaded.save(tmp_path / "v2")
    assert read_meta(tmp_path / "v2")["embedding_model"] == {"kind": "local", "name": "my-minilm"}
    assert b"/home/me" not in (tmp_path / "v2" / META).read_bytes()

    _as_version_1(folder, {"kind": "sentence-transformers", "name": "BAAI/bge-small-en-v1.5"})
    assert TopicModel.load(folder).embedding_model == "BAAI/bge-small-en-v1.5"
    # Version 1 has no checksum, but its arrays are still checked against the JSON.
    meta = read_meta(folder)
    meta["vocabulary"] = meta["vocabulary"][:5]
    write_meta(folder, meta)
    with pytest.raises(PersistenceError, match=r"'class_term_indices' must hold term indices in \[0, 5\)"):
        TopicModel.load(folder)
