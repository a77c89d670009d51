"""The topic and document tables (pandas DataFrames) built from a TopicState."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..state import TopicState


def topic_info(state: TopicState, topic: int | None = None) -> Any:
    import pandas as pd

    rows = []
    for t, size in zip(state.topic_ids, state.sizes):
        t = int(t)
        row: dict[str, Any] = {"Topic": t, "Count": int(size), "Name": state.names[t]}
        if state.custom_labels:
            row["CustomName"] = state.custom_labels.get(t, state.names[t])
        row["Representation"] = [w for w, _ in state.words.get(t, [])]
        for aspect, words in state.aspects.items():
            row[aspect] = [w for w, _ in words.get(t, [])]
        row["Representative_Docs"] = list(state.representative_docs.get(t, []))
        rows.append(row)
    table = pd.DataFrame(rows)
    if topic is not None:
        table = table[table.Topic == int(topic)]
    return table.reset_index(drop=True)


def document_info(
    state: TopicState,
    documents: list[str],
    probability: np.ndarray,
    *,
    df: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """One row per training document, with BERTopic's columns (see ``TopicModel.get_document_info``)."""
    import pandas as pd

    from ..exceptions import InputError

    topics = state.doc_topics.astype(int)
    if df is not None:
        if not isinstance(df, pd.DataFrame) or len(df) != len(documents):
            raise InputError(
                f"df must be a pandas DataFrame with one row per document ({len(documents)}); "
                f"got {type(df).__name__}{f' with {len(df)} rows' if hasattr(df, '__len__') else ''}"
            )
        table = df.reset_index(drop=True).copy()
        table["Document"] = documents
        table["Topic"] = topics
    else:
        table = pd.DataFrame({"Document": documents, "Topic": topics})
    info = topic_info(state).drop(columns="Count")
    table = table.merge(info, on="Topic", how="left")
    top_words = {int(t): " - ".join(w for w, _ in state.words.get(int(t), [])) for t in state.topic_ids}
    table["Top_n_words"] = table["Topic"].map(top_words)
    table["Probability"] = np.asarray(probability, dtype=np.float64)
    rep = {(int(t), d) for t, docs in state.representative_docs.items() for d in docs}
    table["Representative_document"] = [(int(t), d) in rep for t, d in zip(topics, documents)]
    for column, values in (metadata or {}).items():
        values = list(values) if not isinstance(values, (str, bytes)) else values
        if isinstance(values, (str, bytes)) or len(values) != len(documents):
            raise InputError(
                f"metadata[{column!r}] must hold one value per document ({len(documents)}); "
                f"got {len(values) if not isinstance(values, (str, bytes)) else 'a string'}"
            )
        table[column] = values
    return table
