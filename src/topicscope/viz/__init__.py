"""BERTopic's plots as plain functions over a fitted ``TopicState`` (``TopicModel.visualize_*`` call them).

One module per figure family: ``topic_map`` (intertopic map, similarity heatmap), ``documents``
(document maps, flat and hierarchical), ``datamap`` (DataMapPlot), ``words`` (bar charts, term
rank), ``trends`` (over time, per class), ``distribution`` (one document's topics),
``hierarchy`` (dendrogram); ``layout`` computes the 2-D document layout once per model and
``common`` holds what they share. plotly (the ``viz`` extra) is imported inside the functions
only, so importing this package loads nothing heavy.
"""
