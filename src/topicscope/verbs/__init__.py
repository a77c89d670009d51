"""Verbs over a fitted TopicState: assign (transform), reduce, zero-shot, guided, merge, online."""
