"""Greedy CTC decoding: argmax, merged repeats, dropped blanks, lengths, and the start frame of each label."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.data.alphabet import Alphabet
from sttx.core.evaluation.decoding import greedy_decode, greedy_decode_batch

BLANK = 3  # classes 0, 1, 2 are labels


def one_hot(path: list[int], classes: int = 4) -> np.ndarray:
    scores = np.full((len(path), classes), -5.0, np.float32)
    scores[np.arange(len(path)), path] = 5.0
    return scores


def test_merges_repeats_and_drops_blanks() -> None:
    result = greedy_decode(one_hot([0, 0, BLANK, 0, 1, 1, BLANK, BLANK, 2]))
    assert result.labels.tolist() == [0, 0, 1, 2]  # a blank between two 0s keeps both
    assert result.frames.tolist() == [0, 3, 4, 8]


def test_all_blank_gives_nothing() -> None:
    result = greedy_decode(one_hot([BLANK] * 5))
    assert result.labels.size == 0 and result.frames.size == 0


def test_batch_respects_lengths() -> None:
    batch = np.stack([one_hot([0, 1, 2, 2]), one_hot([2, BLANK, 1, 0])])
    results = greedy_decode_batch(batch, [4, 2])
    assert [r.labels.tolist() for r in results] == [[0, 1, 2], [2]]


def test_explicit_blank_and_text() -> None:
    alphabet = Alphabet(["a", "b", "c"])
    scores = one_hot([0, 0, 1, 1, 2], classes=4)
    assert greedy_decode(scores).text(alphabet) == "abc"
    # with class 1 as the blank, label 1 disappears and the 0s and 2 stay
    assert greedy_decode(scores, blank=1).labels.tolist() == [0, 2]


def test_empty_time_axis_and_bad_shape() -> None:
    assert greedy_decode(np.zeros((0, 4), np.float32)).labels.size == 0
    with pytest.raises(ValueError, match="batch, time, classes"):
        greedy_decode_batch(np.zeros((4, 4)))
