"""``TopicModel.report``: the single-file offline HTML report (see ``topicscope.report``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import ModelHooks

#: Above this many distinct timestamps, topics over time are drawn in this many equal-width bins.
MAX_TIME_BINS = 40


class ReportMethods(ModelHooks):
    def report(
        self,
        path: str | Path,
        docs: Sequence[str] | None = None,
        *,
        with_documents: bool = False,
        timestamps: Any = None,
        classes: Any = None,
        nr_bins: int | None = None,
        title: str | None = None,
        embeddings: Any = None,
    ) -> Path:
        """Write a self-contained HTML report of the model to ``path`` (one file; it loads nothing).

        Sections: overview, topic table, topic map, document map (with hierarchy labels), word
        bars, hierarchy; topics over time with ``timestamps`` and topics per class with
        ``classes`` (one per document of ``docs``, the training documents). Document text enters
        the file only with ``with_documents=True`` (then ``docs`` are needed). The 2-D layout is the
        stored one, computed once when missing (``embeddings``: for a model that keeps none).
        ``nr_bins``: time bins (default: one per timestamp up to 40 distinct, else 40 equal bins).
        Returns the path written.
        """
        from .. import __version__
        from ..embedding.backends import embedding_reference
        from ..exceptions import InputError
        from ..report import builder
        from ..report.data import overview_block
        from ..viz.layout import ensure_layout

        state = self._state()
        target = builder.check_output_path(path)
        if not isinstance(with_documents, bool):
            raise InputError(f"with_documents must be True or False; got {with_documents!r}")
        if title is not None and not isinstance(title, str):
            raise InputError(f"title must be a string or None; got {type(title).__name__}")
        documents = None
        if docs is not None:
            documents = self._training_docs(docs)
            if state.training_fingerprint and self._training_topics(documents) is None:
                raise InputError("docs must be the documents the model was fitted on, in order (their text differs)")
        for name, value in (
            ("with_documents", with_documents or None),
            ("timestamps", timestamps),
            ("classes", classes),
        ):
            if value is not None and documents is None:
                raise InputError(f"{name} needs docs: pass the training documents as docs")
        layout = ensure_layout(state, embeddings, getattr(self, "random_state", None))
        hierarchy = self.hierarchical_topics() if int((state.topic_ids != -1).sum()) >= 2 else None
        over_time = per_class = None
        if timestamps is not None and documents is not None:
            if nr_bins is None:
                distinct = len({str(v) for v in timestamps})
                nr_bins = None if distinct <= MAX_TIME_BINS else MAX_TIME_BINS
            over_time = self.topics_over_time(documents, timestamps, nr_bins=nr_bins)
        if classes is not None and documents is not None:
            per_class = self.topics_per_class(documents, classes)
        overview = overview_block(
            state,
            self.get_params(),
            embedding=embedding_reference(getattr(self, "embedding_model", None)),
            reducer=getattr(self, "umap_model_", None),
            clusterer=getattr(self, "hdbscan_model_", None),
            generated=builder.utc_now(),
            version=__version__,
        )
        html = builder.build_report(
            state,
            layout,
            overview=overview,
            hierarchy=hierarchy,
            over_time=over_time,
            per_class=per_class,
            documents=documents if with_documents else None,
            title=title,
        )
        return builder.write_report(target, html)
