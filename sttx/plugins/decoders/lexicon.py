"""Beam search with a KenLM language model, on flashlight-text's lexicon decoder, with Coqui's scoring.

Words are restricted to the scorer's vocabulary (a lexicon trie, as Coqui's dictionary trie restricts them) and
scored when they complete: at the space in alphabet mode, at every codepoint in bytes mode. A completed word adds
``alpha * (ln P(word | history) + boost) + beta``, Coqui's formula: KenLM gives log10, so flashlight's LM weight is
alpha * ln(10) and a hot word's boost enters as boost / ln(10) in KenLM's units.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.decoding import DecodeSettings, Hypothesis
from sttx.core.tf_runtime import stderr_silenced
from sttx.plugins.decoders.language_model import LanguageModel

LN10 = math.log(10.0)
#: Hypotheses this far (natural log) below the best are dropped: far beyond what a language model can recover
#: (it keeps decoding fast on confident outputs; Coqui prunes at the worst beam instead, to a similar effect)
BEAM_THRESHOLD = 40.0
_FLOOR = -1e5  # the score of a masked emission: finite, since flashlight adds scores without checking for -inf


def _spelling(word: str, alphabet: Any, utf8_mode: bool, space: int) -> list[int] | None:
    """Token indices of one vocabulary word (None when the alphabet cannot spell it)."""
    if utf8_mode:
        return [byte - 1 for byte in word.encode("utf-8")]
    if not word or not alphabet.can_encode(word):
        return None
    return [*alphabet.encode(word), space]


class _HotWordLM:
    """Wraps flashlight's KenLM, adding a boost to chosen words' log10 scores (made a flashlight LM on first use)."""

    @staticmethod
    def build(kenlm: Any, boosts: dict[int, float]) -> Any:
        from flashlight.lib.text.decoder import LM

        class HotWordLM(LM):  # type: ignore[misc]
            def start(self, start_with_nothing: bool) -> Any:
                return kenlm.start(start_with_nothing)

            def score(self, state: Any, token_index: int) -> Any:
                out, score = kenlm.score(state, token_index)
                return out, score + boosts.get(token_index, 0.0)

            def finish(self, state: Any) -> Any:
                return kenlm.finish(state)

        model = HotWordLM()
        model.kenlm = kenlm  # keep the wrapped model alive as long as the wrapper
        return model


class LexiconBeamDecoder:
    """CTC beam search fused with a KenLM model, vocabulary-restricted (see the module docstring)."""

    name = "beam"

    def __init__(self, settings: DecodeSettings, alphabet: Any, lm: LanguageModel) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        self.alphabet, self.utf8_mode = alphabet, lm.utf8_mode
        self.n_classes, self.blank = alphabet.n_classes, alphabet.blank
        self.space = alphabet.encode(" ")[0] if alphabet.can_encode(" ") else self.blank
        boosts = dict(settings.hot_words)
        words = list(dict.fromkeys([*lm.words, *boosts]))  # a hot word is always spellable
        self.words = Dictionary(["<unk>", *words])
        with stderr_silenced():  # KenLM prints its loading progress on the C stderr
            kenlm = KenLM(lm.path, self.words)
        by_index = {self.words.get_index(word): boost / LN10 for word, boost in boosts.items()}
        self.lm = _HotWordLM.build(kenlm, by_index) if by_index else kenlm
        self.trie = self._lexicon(words)
        self.settings, self.lm_path, self.cutoff_prob = settings, lm.path, settings.cutoff_prob
        self._set_weights(*settings.alpha_beta(lm.embedded))

    def _set_weights(self, alpha: float, beta: float) -> None:
        from flashlight.lib.text.decoder import CriterionType, LexiconDecoder, LexiconDecoderOptions

        s = self.settings
        self.alpha, self.beta = alpha, beta
        hot = f", {len(s.hot_words)} hot words" if s.hot_words else ""
        self.description = (f"beam (beam_width {s.beam_width}, scorer {self.lm_path}, lm_alpha {alpha:g}, "
                            f"lm_beta {beta:g}{hot})")
        options = LexiconDecoderOptions(
            beam_size=s.beam_width, beam_size_token=min(s.cutoff_top_n, self.n_classes),
            beam_threshold=BEAM_THRESHOLD, lm_weight=alpha * LN10, word_score=beta, unk_score=-math.inf,
            sil_score=0.0, log_add=True, criterion_type=CriterionType.CTC,
        )
        self.decoder = LexiconDecoder(options, self.trie, self.lm, self.space, self.blank,
                                      self.words.get_index("<unk>"), [], False)

    def with_weights(self, alpha: float, beta: float) -> LexiconBeamDecoder:
        """The same decoder with another (alpha, beta), sharing the loaded model and lexicon (for tuning)."""
        other = copy.copy(self)
        other._set_weights(alpha, beta)
        return other

    def _lexicon(self, words: list[str]) -> Any:
        from flashlight.lib.text.decoder import SmearingMode, Trie

        trie = Trie(self.n_classes, self.space)
        for word in words:
            spelled = _spelling(word, self.alphabet, self.utf8_mode, self.space)
            if spelled:
                trie.insert(spelled, self.words.get_index(word), 0.0)
        # no look-ahead: a partial word competes on its acoustics, as with Coqui's trie, which only restricts.
        # Smearing unigram scores into partial words was measured worse here (held-out WER 0.44 vs 0.39): it
        # prunes words that their context makes likely but that are rare on their own
        trie.smear(SmearingMode.NONE)
        return trie

    def _emissions(self, log_probs: np.ndarray) -> np.ndarray:
        """Emissions plus one frame that emits a space, so the last word completes and is scored."""
        scores = np.maximum(np.asarray(log_probs, np.float32), _FLOOR)
        if self.cutoff_prob < 1.0:
            order = np.argsort(-scores, axis=1)
            cumulative = np.cumsum(np.exp(np.take_along_axis(scores, order, 1)), axis=1)
            outside = np.concatenate([np.zeros((len(scores), 1), bool), cumulative[:, :-1] >= self.cutoff_prob], 1)
            np.put_along_axis(scores, order, np.where(outside, _FLOOR, np.take_along_axis(scores, order, 1)), 1)
        closing = np.full((1, self.n_classes), _FLOOR, np.float32)
        closing[0, self.space] = 0.0
        return np.ascontiguousarray(np.concatenate([scores, closing]))

    def _complete(self, log_probs: np.ndarray) -> list[tuple[Hypothesis, Any]]:
        """flashlight's final hypotheses, best first, that end on a complete word, each with its result.

        flashlight also returns hypotheses whose last word is unfinished (no LM cost paid for it yet); Coqui
        scored such a word as out of vocabulary, which ranks it last, so they are dropped unless nothing else is
        left, and then only their complete words are kept.
        """
        emissions = self._emissions(log_probs)
        results = self.decoder.decode(emissions.ctypes.data, len(emissions), self.n_classes)
        complete, partial = [], []
        for result in results:
            hypothesis = self._hypothesis(list(result.tokens), float(result.score), len(emissions) - 1)
            words = " ".join(self.words.get_entry(index) for index in result.words if index >= 0)
            if hypothesis.text == words:
                complete.append((hypothesis, result))
            elif not complete and not partial:
                partial.append((attrs.evolve(hypothesis, text=words), result))
        return complete or partial

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """Best hypotheses first; ``score`` is flashlight's total (acoustic + alpha * LM + beta per word)."""
        hypotheses: list[Hypothesis] = []
        for hypothesis, _ in self._complete(log_probs):
            if hypothesis.text not in {h.text for h in hypotheses}:
                hypotheses.append(hypothesis)
            if len(hypotheses) == num_results:
                break
        return hypotheses

    def nbest(self, log_probs: np.ndarray, count: int) -> list[tuple[str, float, float, int]]:
        """Up to ``count`` distinct candidates as (text, acoustic score, LM score, words), for weight tuning.

        The LM score is ``ln P(words, </s>)`` plus the hot-word boosts, so that ``acoustic + alpha * lm + beta *
        words`` ranks the candidates as this decoder would at any (alpha, beta).
        """
        found: dict[str, tuple[str, float, float, int]] = {}
        for hypothesis, result in self._complete(log_probs):
            text = hypothesis.text
            if text not in found:
                found[text] = (text, float(result.emittingModelScore), self._lm_score(text), len(text.split()))
            if len(found) == count:
                break
        return list(found.values())

    def _lm_score(self, text: str) -> float:
        state, total = self.lm.start(False), 0.0
        for word in text.split():
            state, score = self.lm.score(state, self.words.get_index(word))
            total += score
        return (total + self.lm.finish(state)[1]) * LN10

    def _hypothesis(self, path: list[int], score: float, frames: int) -> Hypothesis:
        """Collapse a frame-level path (repeats merged, blanks dropped) into labels and their first frames."""
        labels, starts, previous = [], [], -1
        for frame, token in enumerate(path[1 : frames + 1]):  # flashlight's path starts with a sentinel
            if token != previous and token != self.blank and token >= 0:
                labels.append(int(token))
                starts.append(frame)
            previous = token
        while labels and labels[-1] == self.space:  # the closing frame's space, or trailing silence
            labels.pop()
            starts.pop()
        while labels and labels[0] == self.space:
            labels.pop(0)
            starts.pop(0)
        text = self.alphabet.decode(labels)
        if not self.utf8_mode:  # silence between words may put two spaces where Coqui's trie allows one
            text = " ".join(text.split())
        return Hypothesis(text, score, tuple(labels), tuple(starts))
