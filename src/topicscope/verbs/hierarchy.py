"""Topic hierarchy: agglomerate the topics and name every merge from its leaves' summed counts.

``hierarchical_topics`` (BERTopic's method; the table itself comes from ``hierarchy_table``)
returns BERTopic 0.17's table (Parent_ID, Parent_Name, Topics, Child_Left_ID, Child_Left_Name,
Child_Right_ID, Child_Right_Name, Distance; the ids as strings).
A parent's topics are read from the linkage itself (the union of its two children), never by
cutting the tree at the parent's distance, so equal distances cannot put the wrong topics under a
parent (BERTopic #1907). A parent is named from the summed class-term counts of its leaves,
weighted with the c-TF-IDF fitted on all topics, so no training document is needed.

``get_topic_tree`` prints the hierarchy in BERTopic's layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._topics import fit_on_state
from ..exceptions import InputError
from ..state import TopicState
from ..vectorize import ClassTfidfTransformer, top_words

if TYPE_CHECKING:
    from .view import ModelView

COLUMNS = [
    "Parent_ID",
    "Parent_Name",
    "Topics",
    "Child_Left_ID",
    "Child_Left_Name",
    "Child_Right_ID",
    "Child_Right_Name",
    "Distance",
]
NAME_WORDS = 5


def _condensed(distances: Any, n: int) -> np.ndarray:
    """A distance function's output as scipy's condensed vector (square or condensed accepted)."""
    from scipy.spatial.distance import squareform

    arr = np.asarray(distances.toarray() if sp.issparse(distances) else distances, dtype=np.float64)
    if arr.ndim == 2 and arr.shape == (n, n):
        arr = np.clip((arr + arr.T) / 2, 0.0, None)
        np.fill_diagonal(arr, 0.0)
        return squareform(arr, checks=False)
    if arr.ndim == 1 and arr.shape[0] == n * (n - 1) // 2:
        return np.clip(arr, 0.0, None)
    raise InputError(
        f"distance_function must return a ({n}, {n}) matrix or a condensed vector of {n * (n - 1) // 2} "
        f"distances; got shape {arr.shape}"
    )


def hierarchical_topics(
    view: ModelView,
    docs: Sequence[str] | None = None,
    use_ctfidf: bool = True,
    linkage_function: Callable[[np.ndarray], np.ndarray] | None = None,
    distance_function: Callable[[Any], Any] | None = None,
) -> Any:
    """BERTopic's ``hierarchical_topics``: ``docs`` are not needed (parents are named from the summed
    class-term counts kept at fit) but are checked against the training documents when given."""
    state = view.state()
    if docs is not None:
        view.training_docs(docs)
    return hierarchy_table(
        state,
        view.ctfidf(),
        use_ctfidf=bool(use_ctfidf),
        linkage_function=linkage_function,
        distance_function=distance_function,
    )


def hierarchy_table(
    state: TopicState,
    ctfidf: ClassTfidfTransformer,
    *,
    use_ctfidf: bool = True,
    linkage_function: Callable[[np.ndarray], np.ndarray] | None = None,
    distance_function: Callable[[Any], Any] | None = None,
) -> Any:
    """The hierarchy of the topics of ``state`` (outliers excluded) as BERTopic's DataFrame."""
    import pandas as pd
    from scipy.cluster import hierarchy as sch
    from sklearn.metrics.pairwise import cosine_similarity

    rows = np.flatnonzero(state.topic_ids != -1)
    ids = [int(t) for t in state.topic_ids[rows]]
    n = len(ids)
    if n < 2:
        raise InputError(f"hierarchical_topics needs at least 2 topics other than -1; the model has {n}")
    X = sp.csr_matrix(state.ctfidf)[rows] if use_ctfidf else state.topic_embeddings[rows]
    distance = distance_function or (lambda x: 1 - cosine_similarity(x))
    condensed = _condensed(distance(X), n)
    linkage = linkage_function or (lambda d: sch.linkage(d, "ward", optimal_ordering=True))
    Z = np.asarray(linkage(condensed), dtype=np.float64)
    if Z.shape != (n - 1, 4):
        raise InputError(f"linkage_function must return scipy's ({n - 1}, 4) linkage matrix; got shape {Z.shape}")

    counts = sp.csr_matrix(state.class_term, dtype=np.float64)
    # Fitted as the topics' own words were (the filler rule's shares and topic rows included).
    weigher = fit_on_state(ClassTfidfTransformer(**ctfidf.get_params()).set_params(seed_words=None), state)
    first_parent = max(ids) + 1  # parent ids never collide with topic ids (BERTopic: n + step)
    members: list[list[int]] = [[r] for r in range(n)]  # node -> row positions of its leaves
    for left, right, _, _ in Z:
        members.append(sorted(members[int(left)] + members[int(right)]))
    # Every parent's summed class-term counts from one sparse product, weighed and named at once.
    sizes = [len(m) for m in members[n:]]
    membership = sp.csr_matrix(
        (np.ones(sum(sizes)), (np.repeat(np.arange(n - 1), sizes), np.concatenate(members[n:]))), shape=(n - 1, n)
    )
    parent_words = top_words(weigher.transform(membership @ counts[rows]), state.vocabulary, NAME_WORDS)
    names = ["_".join(w for w, _ in state.words.get(t, [])[:NAME_WORDS]) for t in ids]
    names += ["_".join(w for w, _ in words) for words in parent_words]
    node_id = [str(t) for t in ids] + [str(first_parent + step) for step in range(n - 1)]
    records = []
    for step, (left, right, dist, _) in enumerate(Z):
        left, right = int(left), int(right)
        topics = sorted(ids[r] for r in members[n + step])
        records.append(
            [node_id[n + step], names[n + step], topics, node_id[left], names[left], node_id[right], names[right],
             float(dist)]
        )  # fmt: skip
    table = pd.DataFrame(records, columns=COLUMNS)
    table = table.iloc[np.argsort(-table.Parent_ID.astype(int).to_numpy(), kind="stable")]
    return table.reset_index(drop=True)


def get_topic_tree(hier_topics: Any, max_distance: float | None = None, tight_layout: bool = False) -> str:
    """The hierarchy as text in BERTopic's ``get_topic_tree`` layout (■ marks an original topic)."""
    missing = [c for c in ("Parent_ID", "Child_Left_ID", "Child_Right_ID", "Distance") if c not in hier_topics]
    if missing or not len(hier_topics):
        raise InputError(f"hier_topics must be the DataFrame of hierarchical_topics(); missing columns {missing}")
    width = 1 if tight_layout else 4
    parents = hier_topics.Parent_ID.astype(int)
    limit = float(hier_topics.Distance.max()) + 1 if max_distance is None else float(max_distance)
    last_original = int(parents.min()) - 1
    name = {str(k): str(v)[:100] for k, v in zip(hier_topics.Child_Left_ID, hier_topics.Child_Left_Name)}
    name.update({str(k): str(v)[:100] for k, v in zip(hier_topics.Child_Right_ID, hier_topics.Child_Right_Name)})
    children = {
        str(p): [str(a), str(b)]
        for p, a, b in zip(hier_topics.Parent_ID, hier_topics.Child_Left_ID, hier_topics.Child_Right_ID)
    }
    joined_at: dict[str, float] = {}
    for a, b, d in zip(hier_topics.Child_Left_ID, hier_topics.Child_Right_ID, hier_topics.Distance):
        joined_at.setdefault(str(a), float(d))
        joined_at.setdefault(str(b), float(d))

    def walk(node: str, indent: str, is_root: bool) -> str:
        out = ""
        if not is_root:  # the root itself is not printed, only its branches
            if int(node) <= last_original:
                out = f"■──{name.get(node, node)} ── Topic: {node}\n" if joined_at.get(node, 10) < limit else "O \n"
            else:
                out = name.get(node, node) + "\n"
        kids = children.get(node)
        if not kids:
            return out
        for kid in kids[:-1]:
            out += indent + "├─" + walk(kid, indent + "│" + " " * width, False)
        out += indent + "└─" + walk(kids[-1], indent + " " * (width + 1), False)
        return out

    root = str(int(parents.max()))
    return ".\n" + walk(root, "", True)
