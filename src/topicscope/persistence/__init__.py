"""Saving and loading models: a folder of ``topicscope.json`` and ``arrays.safetensors``, never pickle.

``files`` writes and reads the folder (``save_model``, ``load_model``); ``fields`` reads the JSON's
fields into typed values; ``checks`` holds the checks that treat a file as untrusted input (sizes,
depths, array shapes, token patterns). ``TopicModel.save`` / ``TopicModel.load`` are the API.
"""

from .files import LoadedModel, check_save_options, load_model, save_model

__all__ = ["LoadedModel", "check_save_options", "load_model", "save_model"]
