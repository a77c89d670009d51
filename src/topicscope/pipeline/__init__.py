"""The fitting pipeline: settings and data in, a ``TopicState`` and fitted components out.

* ``fit``: ``fit_topics(settings, docs, embeddings, embed)``, the whole fit; ``check_params`` and
  ``check_n_docs``; the stage factories (``make_clusterer``, ``make_vectorizer``, ``make_ctfidf``,
  ``make_describer``) and ``fit_structure`` / ``finish``;
* ``sampling``: above ``fit_sample_size`` documents, the structure is fitted on a sample and the
  block functions here assign and count every document (the Dask engine runs the same blocks);
* ``assign``: a document's topic from its nearest training documents (fit's graph, ``transform``);
* ``guided`` and ``zeroshot``: the seed-word and zero-shot modes, steps of the fit.

Only ``TopicModel`` calls it to fit; the Dask engine calls the same functions per partition.
"""

from .fit import (
    Structure,
    check_n_docs,
    check_params,
    embed_function,
    finish,
    fit_sampled,
    fit_structure,
    fit_topics,
    harmonise_duplicates,
    make_clusterer,
    make_ctfidf,
    make_describer,
    make_vectorizer,
    order_by_size,
    set_structure,
)

__all__ = [
    "Structure",
    "check_n_docs",
    "check_params",
    "embed_function",
    "finish",
    "fit_sampled",
    "fit_structure",
    "fit_topics",
    "harmonise_duplicates",
    "make_clusterer",
    "make_ctfidf",
    "make_describer",
    "make_vectorizer",
    "order_by_size",
    "set_structure",
]
