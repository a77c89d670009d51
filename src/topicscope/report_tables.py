"""The topic and document tables (pandas DataFrames) built from a TopicState."""

from __future__ import annotations

from typing import Any

import numpy as np

from .state import TopicState


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


def document_info(state: TopicState, documents: list[str], probabilities: np.ndarray) -> Any:
    import pandas as pd

    topics = state.doc_topics
    probs = probabilities if probabilities.ndim == 1 else probabilities.max(axis=1, initial=0.0)
    rep = {(int(t), d) for t, docs in state.representative_docs.items() for d in docs}
    return pd.DataFrame(
        {
            "Document": documents,
            "Topic": topics.astype(int),
            "Name": [state.names[int(t)] for t in topics],
            "Representation": [[w for w, _ in state.words.get(int(t), [])] for t in topics],
            "Probability": probs,
            "Representative_document": [(int(t), d) in rep for t, d in zip(topics, documents)],
        }
    )
