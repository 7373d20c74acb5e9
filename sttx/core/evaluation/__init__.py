"""Evaluation: CTC decoding of acoustic outputs (the greedy engine; choosing a registered decoder and decoding
over all cores), word and character error rates, DeepSpeech's report and JSON.

May import ``sttx.core.contract`` and ``sttx.core.data``; nothing above it.
"""
