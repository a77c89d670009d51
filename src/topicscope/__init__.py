"""topicscope: turn a pile of documents into named, inspectable topics.

``import topicscope`` is light: torch, sentence-transformers, umap, plotly, llama.cpp and dask
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["TopicModel", "__version__"]

if TYPE_CHECKING:
    from .model import TopicModel


def __getattr__(name: str) -> Any:
    if name == "TopicModel":
        from .model import TopicModel

        return TopicModel
    raise AttributeError(f"module 'topicscope' has no attribute {name!r}")
