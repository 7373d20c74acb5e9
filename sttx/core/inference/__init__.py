"""Inference: libstt's framing, runtimes (.tflite, SavedModel, Keras), transcription with VAD, export and model card.

The top of the core: may import every other stage (``contract``, ``data``, ``evaluation``, ``training``).
"""
