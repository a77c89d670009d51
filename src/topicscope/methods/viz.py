"""BERTopic's ``visualize_*`` methods (see ``topicscope.viz``; plotly is imported only when a plot is asked for)."""

from __future__ import annotations

from .base import ModelHooks


class VizMethods(ModelHooks):
    pass
