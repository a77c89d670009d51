"""BERTopic's plots, one module per figure family (``TopicModel.visualize_*`` call them).

Each module has BERTopic's ``visualize_*`` functions, which take the model as a
``verbs.view.ModelView``, check BERTopic's arguments and pick the data, and the ``*_figure``
functions that draw from a fitted ``TopicState`` and plain arrays alone. ``topic_map``
(intertopic map, similarity heatmap), ``documents`` (document maps, flat and hierarchical),
``datamap`` (DataMapPlot), ``words`` (bar charts, term rank), ``trends`` (over time, per class),
``distribution`` (one document's topics), ``hierarchy`` (dendrogram); ``layout`` computes the 2-D
document layout once per model and ``common`` holds what they share. plotly (the ``viz`` extra) is
imported inside the functions only, so importing this package loads nothing heavy.
"""
