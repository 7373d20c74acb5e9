"""Beam search with a KenLM language model, on flashlight-text's lexicon decoder, with Coqui's scoring.

Words are restricted to the scorer's vocabulary (a lexicon trie, as Coqui's dictionary trie restricts them) and
scored when they complete: at the space in alphabet mode, at every codepoint in bytes mode. A completed word adds
``alpha * (ln P(word | history) + boost) + beta``, Coqui's formula: KenLM gives log10, so flashlight's LM weight is
alpha * ln(10) and a hot word's boost enters as boost / ln(10) in KenLM's units.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.decoding import DecodeSettings, Hypothesis
from sttx.plugins.decoders.language_model import LanguageModel

LN10 = math.log(10.0)
#: Hypotheses this far (natural log) below the best are dropped: far beyond what a language model can recover
#: (it keeps decoding fast on confident outputs; Coqui prunes at the worst beam instead, to a similar effect)
BEAM_THRESHOLD = 40.0
_FLOOR = -1e5  # the score of a masked emission: finite, since flashlight adds scores without checking for -inf


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null meanwhile (native libraries write there directly)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with Path(os.devnull).open("wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


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
        from flashlight.lib.text.decoder import CriterionType, LexiconDecoder, LexiconDecoderOptions
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        self.alphabet, self.utf8_mode = alphabet, lm.utf8_mode
        self.n_classes, self.blank = alphabet.n_classes, alphabet.blank
        self.space = alphabet.encode(" ")[0] if alphabet.can_encode(" ") else self.blank
        boosts = dict(settings.hot_words)
        words = list(dict.fromkeys([*lm.words, *boosts]))  # a hot word is always spellable
        self.words = Dictionary(["<unk>", *words])
        with quiet_stderr():  # KenLM prints its loading progress on the C stderr
            kenlm = KenLM(lm.path, self.words)
        by_index = {self.words.get_index(word): boost / LN10 for word, boost in boosts.items()}
        self.lm = _HotWordLM.build(kenlm, by_index) if by_index else kenlm
        self.trie = self._lexicon(words)
        alpha, beta = settings.alpha_beta(lm.embedded)
        self.alpha, self.beta = alpha, beta
        hot = f", {len(boosts)} hot words" if boosts else ""
        self.description = (f"beam (beam_width {settings.beam_width}, scorer {lm.path}, lm_alpha {alpha:g}, "
                            f"lm_beta {beta:g}{hot})")
        options = LexiconDecoderOptions(
            beam_size=settings.beam_width, beam_size_token=min(settings.cutoff_top_n, self.n_classes),
            beam_threshold=BEAM_THRESHOLD, lm_weight=alpha * LN10, word_score=beta, unk_score=-math.inf,
            sil_score=0.0, log_add=True, criterion_type=CriterionType.CTC,
        )
        self.cutoff_prob = settings.cutoff_prob
        self.decoder = LexiconDecoder(options, self.trie, self.lm, self.space, self.blank,
                                      self.words.get_index("<unk>"), [], False)

    def _lexicon(self, words: list[str]) -> Any:
        from flashlight.lib.text.decoder import SmearingMode, Trie

        trie = Trie(self.n_classes, self.space)
        start = self.lm.start(False)
        for word in words:
            spelled = _spelling(word, self.alphabet, self.utf8_mode, self.space)
            if spelled:
                index = self.words.get_index(word)
                trie.insert(spelled, index, self.lm.score(start, index)[1])
        trie.smear(SmearingMode.MAX)  # look-ahead: a partial word carries its best completion's unigram score
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

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """Best hypotheses first; ``score`` is flashlight's total (acoustic + alpha * LM + beta per word)."""
        emissions = self._emissions(log_probs)
        steps = len(emissions)
        results = self.decoder.decode(emissions.ctypes.data, steps, self.n_classes)
        hypotheses: list[Hypothesis] = []
        for result in results:
            hypothesis = self._hypothesis(list(result.tokens), float(result.score), steps - 1)
            if hypothesis.text not in {h.text for h in hypotheses}:
                hypotheses.append(hypothesis)
            if len(hypotheses) == num_results:
                break
        return hypotheses

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
