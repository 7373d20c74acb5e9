"""The ``greedy`` decoder: best-path CTC decoding (argmax per frame, repeats merged, blank dropped)."""

from __future__ import annotations

from typing import Any

import numpy as np

import sttx
from sttx.core.contract.decoding import DecodeSettings, Hypothesis
from sttx.core.contract.registry import DecoderFactory
from sttx.core.evaluation.decoding import greedy_decode


class GreedyDecoder:
    """Best path, exactly as sttx decoded before decoders were plugins; one hypothesis, scored by its path."""

    name = "greedy"
    description = "greedy (best path)"

    def __init__(self, alphabet: Any) -> None:
        self.alphabet = alphabet

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """The best path's text, its log-probability, its labels and the frame each starts at."""
        scores = np.asarray(log_probs)
        path = greedy_decode(scores, blank=self.alphabet.blank)
        score = float(scores.max(axis=1).sum()) if len(scores) else 0.0
        return [Hypothesis(path.text(self.alphabet), score, tuple(path.labels.tolist()), tuple(path.frames.tolist()))]


def create_greedy(settings: DecodeSettings, alphabet: Any) -> GreedyDecoder:
    """The ``greedy`` factory: settings are not used (best path has no parameters)."""
    return GreedyDecoder(alphabet)


@sttx.hookimpl
def register_decoders(register: Any) -> None:
    register.add("greedy", DecoderFactory(create=create_greedy, parallel=False,
                                          description="best path (argmax per frame)"))
