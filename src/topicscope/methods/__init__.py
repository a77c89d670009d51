"""TopicModel's analysis methods, one mixin per verb family (a few lines each: check, call the verb).

The algorithms live in ``topicscope.verbs``; these classes only adapt BERTopic's method signatures to
those functions, so ``model.py`` stays a thin orchestrator.
"""
