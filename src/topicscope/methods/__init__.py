"""The mixins that give ``TopicModel`` its BERTopic-named methods beyond fitting.

* ``verbs.VerbMethods``: the analysis and editing verbs (``reduce_topics``, ``update_topics``,
  ``hierarchical_topics``, ``topics_over_time``, ``reduce_outliers``, ...), each a docstring and one
  call to its module in ``topicscope.verbs``, which owns the verb's argument checks and algorithm;
* ``viz.VizMethods``: the ``visualize_*`` methods, each a docstring and one call to
  ``topicscope.viz``;
* ``inspection.InspectionMethods``: the fitted attributes and lookups (``topics_``, ``get_topic``,
  ``get_topic_info``, ...) and the custom labels (``set_topic_labels``);
* ``report.ReportMethods``: ``report``, the offline HTML report (see ``topicscope.report``).

The mixins use the model only through the hooks of ``base.ModelHooks``. The verbs and plots receive
a ``verbs.view.ModelView`` (those hooks and the parameters they need, made by ``view.ViewMethods``)
and never assign to the model: a verb that changes it returns a ``verbs.edit.Edited``, which
``VerbMethods`` assigns in one step.
"""
