"""Data: audio I/O, alphabets, collections, MFCC features, the tf.data pipeline, rejects, checks, conversion, import.

May import ``sttx.core.contract``; nothing above it (evaluation, training, inference, cli, plugins).
"""
