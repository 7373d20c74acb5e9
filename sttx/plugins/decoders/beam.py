"""The ``beam`` decoder: CTC prefix beam search, fused with a KenLM scorer when ``--scorer_path`` is given.

Without a scorer it is Coqui STT's search (libstt gives the same transcripts at the same beam width); with one,
flashlight-text's lexicon decoder scores words with the language model (see :mod:`.lexicon`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import sttx
from sttx.core.contract.decoding import DecodeSettings, Hypothesis
from sttx.core.contract.registry import DecoderFactory
from sttx.plugins.decoders.prefix_search import prefix_beam_search


class PrefixBeamDecoder:
    """Coqui's no-scorer prefix beam search (numpy, vectorised over the beam)."""

    name = "beam"

    def __init__(self, settings: DecodeSettings, alphabet: Any) -> None:
        self.settings, self.alphabet = settings, alphabet
        self.description = f"beam (beam_width {settings.beam_width}, no scorer)"

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """Best prefixes first; ``score`` is the prefix's CTC log-probability (libstt's confidence)."""
        s = self.settings
        probs = np.exp(np.asarray(log_probs, np.float64))
        found = prefix_beam_search(probs, self.alphabet.blank, s.beam_width, cutoff_prob=s.cutoff_prob,
                                   cutoff_top_n=s.cutoff_top_n, num_results=num_results)
        return [Hypothesis(self.alphabet.decode(labels), score, tuple(labels), tuple(frames))
                for labels, frames, score in found]


def create_beam(settings: DecodeSettings, alphabet: Any) -> Any:
    """The ``beam`` factory: the lexicon decoder with a scorer, Coqui's prefix search without."""
    if not settings.scorer_path:
        return PrefixBeamDecoder(settings, alphabet)
    from sttx.plugins.decoders.language_model import load_language_model
    from sttx.plugins.decoders.lexicon import LexiconBeamDecoder

    return LexiconBeamDecoder(settings, alphabet, load_language_model(settings.scorer_path, alphabet))


@sttx.hookimpl
def register_decoders(register: Any) -> None:
    register.add("beam", DecoderFactory(create=create_beam, uses_scorer=True,
                                        description="prefix beam search, KenLM scorer fusion, hot words"))
