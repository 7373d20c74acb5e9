"""Greedy (best-path) CTC decoding of a batch: argmax per frame, merge repeats, drop the blank (the last class).

Pure numpy, vectorised over the batch. Each result keeps the frame where every emitted label starts, which is
what word timings are built from later. Beam search with a language model is a separate decoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np


@attrs.frozen(eq=False)
class GreedyResult:
    """One utterance's best path: emitted label ids and the frame index where each starts."""

    labels: np.ndarray
    frames: np.ndarray

    def text(self, alphabet: object) -> str:
        """The labels as text, through ``alphabet.decode`` (bytes mode handles multi-byte characters)."""
        return str(alphabet.decode(self.labels.tolist()))  # type: ignore[attr-defined]


def best_path_mask(best: np.ndarray, lengths: np.ndarray, blank: int) -> np.ndarray:
    """Boolean [B, T]: frames that emit a label (not blank, differs from the previous frame, inside the length)."""
    previous = np.concatenate([np.full((best.shape[0], 1), blank, best.dtype), best[:, :-1]], axis=1)
    inside = np.arange(best.shape[1])[None, :] < np.asarray(lengths)[:, None]
    return (best != blank) & (best != previous) & inside


def greedy_decode_batch(
    logits: np.ndarray, lengths: Sequence[int] | np.ndarray | None = None, *, blank: int | None = None
) -> list[GreedyResult]:
    """Best-path decode of batch-major scores [B, T, C] (logits or probabilities: only the argmax counts).

    :param logits: per-frame class scores, batch-major
    :param lengths: valid frames of each utterance (default: all T)
    :param blank: the blank class (default: the last, C-1, as in DeepSpeech)
    """
    scores = np.asarray(logits)
    if scores.ndim != 3:
        raise ValueError(f"greedy decoding needs scores shaped [batch, time, classes], got {scores.shape}")
    batch, steps, classes = scores.shape
    blank = classes - 1 if blank is None else blank
    valid = np.full(batch, steps) if lengths is None else np.minimum(np.asarray(lengths), steps)
    best = scores.argmax(axis=2) if steps else np.zeros((batch, 0), np.int64)
    emit = best_path_mask(best, valid, blank)
    results = []
    for row in range(batch):
        frames = np.flatnonzero(emit[row])
        results.append(GreedyResult(best[row, frames].astype(np.int32), frames.astype(np.int32)))
    return results


def greedy_decode(logits: np.ndarray, length: int | None = None, *, blank: int | None = None) -> GreedyResult:
    """Best-path decode of one utterance's scores [T, C]."""
    scores = np.asarray(logits)
    return greedy_decode_batch(scores[None], None if length is None else [length], blank=blank)[0]
