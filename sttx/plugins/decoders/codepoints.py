"""Beam search with a codepoint language model for bytes-output-mode models (Coqui's UTF-8 scorers).

The model emits UTF-8 bytes; the scorer's "words" are single codepoints. flashlight-text's lexicon-free decoder
searches over bytes, and a language model written here follows each hypothesis's bytes: when they complete a
codepoint of the vocabulary it adds ``alpha * (ln P(codepoint | history) + boost) + beta`` (Coqui's formula, the
probability from flashlight's KenLM), a byte that can start no vocabulary codepoint ends the hypothesis (the
vocabulary restriction), and a space is silence that leaves the history as it was.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from sttx.core.contract.decoding import DecodeSettings, Hypothesis
from sttx.core.tf_runtime import stderr_silenced
from sttx.plugins.decoders.language_model import LanguageModel
from sttx.plugins.decoders.lexicon import BEAM_THRESHOLD, LN10

_CUT = -1e9  # the score of a byte sequence outside the vocabulary


def _codepoint_lm(kenlm: Any, index: dict[bytes, int], prefixes: frozenset[bytes], boosts: dict[int, float],
                  space: int) -> Any:
    """A flashlight LM over byte labels that scores completed codepoints; set ``alpha`` and ``beta`` on it."""
    from flashlight.lib.text.decoder import LM, LMState

    class CodepointLM(LM):  # type: ignore[misc]
        alpha = beta = 0.0

        def __init__(self) -> None:
            LM.__init__(self)
            self.open: dict[Any, tuple[Any, bytes]] = {}  # our state -> (KenLM state, bytes of the open codepoint)
            self.known: dict[tuple[Any, int], tuple[Any, float | None, int]] = {}

        def start(self, start_with_nothing: bool) -> Any:
            # the decoder only sees plain states of our own prefix tree (one per byte sequence, as Coqui's
            # prefixes); KenLM's states stay on this side, so no state of one kind is compared with the other
            self.open.clear()
            self.known.clear()
            root = LMState()
            self.open[root] = (kenlm.start(start_with_nothing), b"")
            self.root = root  # keeps the tree alive for the utterance
            return root

        def score(self, state: Any, token: int) -> Any:
            key = (state, token)
            if key not in self.known:
                self.known[key] = self._follow(state, token)
            out, log10, unit = self.known[key]
            if log10 is None:  # silence, or a codepoint still open: no score yet
                return out, 0.0
            if unit < 0:
                return out, _CUT
            return out, self.alpha * (log10 * LN10 + boosts.get(unit, 0.0)) + self.beta

        def _follow(self, state: Any, token: int) -> tuple[Any, float | None, int]:
            lm_state, open_bytes = self.open[state]
            child = state.child(token + 1)
            if token == space and not open_bytes:
                self.open[child] = (lm_state, b"")
                return child, None, -1
            spelled = open_bytes + bytes([token + 1])
            unit = index.get(spelled)
            if unit is not None:
                out, log10 = kenlm.score(lm_state, unit)
                self.open[child] = (out, b"")
                return child, float(log10), unit
            self.open[child] = (lm_state, spelled)
            return (child, None, -1) if spelled in prefixes else (child, _CUT, -1)

        def finish(self, state: Any) -> Any:
            return state, (0.0 if not self.open[state][1] else _CUT)

    return CodepointLM()


class CodepointBeamDecoder:
    """Bytes-output-mode beam search fused with a codepoint KenLM model (see the module docstring)."""

    name = "beam"

    def __init__(self, settings: DecodeSettings, alphabet: Any, lm: LanguageModel) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        self.settings, self.alphabet, self.lm_path = settings, alphabet, lm.path
        self.n_classes, self.blank = alphabet.n_classes, alphabet.blank
        self.space = ord(" ") - 1
        hot = dict(settings.hot_words)
        units = [unit for unit in dict.fromkeys([*lm.words, *hot]) if len(unit) == 1 and unit != " "]
        self.words = Dictionary(["<unk>", *units])
        with stderr_silenced():
            kenlm = KenLM(lm.path, self.words)
        index = {unit.encode("utf-8"): self.words.get_index(unit) for unit in units}
        prefixes = frozenset(key[:cut] for key in index for cut in range(1, len(key)))
        boosts = {self.words.get_index(unit): boost for unit, boost in hot.items() if unit in units}
        self.lm = _codepoint_lm(kenlm, index, prefixes, boosts, self.space)
        self.kenlm = kenlm  # the LM wrapper calls it: keep it alive
        self._set_weights(*settings.alpha_beta(lm.embedded))

    def _set_weights(self, alpha: float, beta: float) -> None:
        from flashlight.lib.text.decoder import CriterionType, LexiconFreeDecoder, LexiconFreeDecoderOptions

        s = self.settings
        self.alpha, self.beta = alpha, beta
        self.description = (f"beam (beam_width {s.beam_width}, scorer {self.lm_path} in bytes mode, "
                            f"lm_alpha {alpha:g}, lm_beta {beta:g})")
        options = LexiconFreeDecoderOptions(
            beam_size=s.beam_width, beam_size_token=min(s.cutoff_top_n, self.n_classes),
            beam_threshold=BEAM_THRESHOLD, lm_weight=1.0, sil_score=0.0, log_add=True,
            criterion_type=CriterionType.CTC)
        self.decoder = LexiconFreeDecoder(options, self.lm, self.space, self.blank, [])

    def with_weights(self, alpha: float, beta: float) -> CodepointBeamDecoder:
        """The same decoder with another (alpha, beta) (tuning); the LM reads the weights at each call."""
        other = copy.copy(self)
        other._set_weights(alpha, beta)
        return other

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """Best hypotheses first; ``score`` is flashlight's total (acoustic plus the LM terms)."""
        self.lm.alpha, self.lm.beta = self.alpha, self.beta  # copies made by with_weights share the LM
        emissions = np.ascontiguousarray(np.maximum(np.asarray(log_probs, np.float32), -1e5))
        results = self.decoder.decode(emissions.ctypes.data, len(emissions), self.n_classes)
        hypotheses: list[Hypothesis] = []
        for result in results:
            labels, starts, previous = [], [], -1
            for frame, token in enumerate(list(result.tokens)[1 : len(emissions) + 1]):
                if token not in (previous, self.blank) and token >= 0:
                    labels.append(int(token))
                    starts.append(frame)
                previous = token
            text = self.alphabet.decode(labels).strip()
            if text not in {h.text for h in hypotheses}:
                hypotheses.append(Hypothesis(text, float(result.score), tuple(labels), tuple(starts)))
            if len(hypotheses) == num_results:
                break
        return hypotheses
