"""``_view()``: the model as its verbs and plots see it (a ``verbs.view.ModelView``)."""

from __future__ import annotations

from ..verbs.view import ModelView
from .base import ModelHooks


class ViewMethods(ModelHooks):
    def _view(self) -> ModelView:
        """The hooks, parameters and fitted attributes a verb or a plot may use, as a ``ModelView``."""
        return ModelView(
            state=self._state,
            describer=self._describer,
            ctfidf=self._ctfidf,
            training_docs=self._training_docs,
            vectorizer=self._vectorizer,
            doc_term=self._doc_term,
            training_topics=self._training_topics,
            embedder=self._embedder,
            top_n_words=self.top_n_words,
            representation_model=self.representation_model,
            verbose=self.verbose,
            random_state=getattr(self, "random_state", None),
            stages=getattr(self, "stages_", None),
            probabilities=getattr(self, "probabilities_", None),
        )
