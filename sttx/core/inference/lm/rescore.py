"""Weight search by N-best rescoring: a handful of real decodes, then every trial re-ranks their candidates.

A decoder that can list its candidates with separate acoustic and LM scores (``nbest``) is run at the scorer's
own pair and at four spread pairs; each utterance keeps the union of those candidates. A trial (alpha, beta)
picks, per utterance, the candidate maximising ``acoustic + alpha * lm + beta * words`` (the decoder's own
ranking) and counts its errors: microseconds instead of a decode. The best few pairs are then decoded for real
and the best real error rate wins, so what is reported is never an estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from sttx.core.evaluation.decoders import shared_value
from sttx.core.evaluation.metrics import char_distance, corpus_rate, word_distance

#: the spread pairs decoded besides the scorer's own, as fractions of (lm_alpha_max, lm_beta_max)
SEED_FRACTIONS = ((0.2, 0.2), (0.2, 0.6), (0.5, 0.3), (0.6, 0.8))
NBEST = 16
VERIFY = 3


@attrs.frozen
class CandidatePool:
    """Every kept candidate of every utterance: its utterance, scores, word count and error count."""

    utterance: np.ndarray
    acoustic: np.ndarray
    lm: np.ndarray
    words: np.ndarray
    distance: np.ndarray
    lengths: np.ndarray  # reference length of each utterance

    def error_rate(self, alpha: float, beta: float) -> float:
        """The corpus error rate when each utterance takes its best candidate at (alpha, beta)."""
        score = self.acoustic + alpha * self.lm + beta * self.words
        order = np.lexsort((-score, self.utterance))
        first = order[np.r_[True, self.utterance[order][1:] != self.utterance[order][:-1]]]
        return corpus_rate(self.distance[first].tolist(), self.lengths.tolist())


def _nbest_chunk(task: tuple[float, float, Sequence[int]]) -> list[tuple[int, str, float, float, int, int]]:
    alpha, beta, indices = task
    decoder = shared_value("decoder").with_weights(alpha, beta)
    outputs, references, by_char = shared_value("outputs"), shared_value("references"), shared_value("by_char")
    rows = []
    for index in indices:
        reference = references[index]
        for text, acoustic, lm, words in decoder.nbest(outputs[index], NBEST):
            distance = char_distance(reference, text) if by_char else word_distance(reference, text)
            rows.append((index, text, acoustic, lm, words, distance))
    return rows


def build_pool(pool_map: Callable[..., list[Any]], chunks: list[list[int]], pairs: Sequence[tuple[float, float]],
               references: Sequence[str], by_char: bool) -> CandidatePool:
    """Decode every utterance at each pair and keep the distinct candidates (plus an empty one, ranked last)."""
    seen: dict[tuple[int, str], tuple[int, float, float, int, int]] = {}
    for alpha, beta in pairs:
        for rows in pool_map(_nbest_chunk, [(alpha, beta, chunk) for chunk in chunks]):
            for index, text, acoustic, lm, words, distance in rows:
                seen.setdefault((index, text), (index, acoustic, lm, words, distance))
    lengths = np.array([len(ref) if by_char else len(ref.split()) for ref in references])
    for index, length in enumerate(lengths):  # an utterance with no candidate reads as all deleted
        seen.setdefault((index, ""), (index, -1e30, 0.0, 0, int(length)))
    table = np.array(list(seen.values()), dtype=float)
    return CandidatePool(table[:, 0].astype(int), table[:, 1], table[:, 2], table[:, 3], table[:, 4], lengths)


def seed_pairs(start: tuple[float, float], alpha_max: float, beta_max: float) -> list[tuple[float, float]]:
    """The scorer's own pair, then the spread pairs."""
    return [start, *((a * alpha_max, b * beta_max) for a, b in SEED_FRACTIONS)]


def best_distinct(trials: Sequence[Any], count: int) -> list[tuple[float, float]]:
    """The ``count`` best distinct (alpha, beta) of finished optuna trials, best first."""
    ranked = sorted((t for t in trials if t.value is not None), key=lambda t: t.value)
    pairs: list[tuple[float, float]] = []
    for trial in ranked:
        pair = (trial.params["lm_alpha"], trial.params["lm_beta"])
        if pair not in pairs:
            pairs.append(pair)
        if len(pairs) == count:
            break
    return pairs
