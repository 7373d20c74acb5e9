"""Evaluation: CTC decoding of acoustic outputs, word and character error rates, DeepSpeech's report and JSON.

May import ``sttx.core.contract`` and ``sttx.core.data``; nothing above it.
"""
