"""Benchmark (c)'s mixed sentences: made only of the training sentences' words and invented words, by seed."""

from __future__ import annotations

import numpy as np
import pytest

from bench.mixed_text import LetterModel, mixed_sentences, words_of
from sttx.plugins.importers.espeak import read_sentences

TRAINING = read_sentences()[:200]


def test_mixed_sentences_use_training_words_or_words_never_seen() -> None:
    vocabulary = {word for sentence in TRAINING for word in words_of(sentence)}
    mixed = mixed_sentences(TRAINING, 400, seed=3, invented=0.25)
    words = [word for sentence in mixed for word in words_of(sentence)]
    invented = [word for word in words if word not in vocabulary]
    # about a quarter invented, the rest training words; a new word in nearly every sentence
    assert 0.18 < len(invented) / len(words) < 0.32
    assert sum(any(word not in vocabulary for word in words_of(sentence)) for sentence in mixed) > 0.8 * len(mixed)


def test_mixed_sentences_are_new_and_as_long_as_the_given_ones() -> None:
    mixed = mixed_sentences(TRAINING, 300, seed=1, invented=0.0)
    assert len(mixed) == 300
    originals = {tuple(words_of(sentence)) for sentence in TRAINING}
    assert sum(tuple(words_of(sentence)) in originals for sentence in mixed) < 0.05 * len(mixed)
    given = np.mean([len(words_of(sentence)) for sentence in TRAINING])
    assert abs(np.mean([len(words_of(sentence)) for sentence in mixed]) - given) < 1.0
    assert all(sentence[0].isupper() and sentence.endswith(".") for sentence in mixed)


def test_mixed_sentences_depend_only_on_the_seed() -> None:
    assert mixed_sentences(TRAINING, 50, seed=5) == mixed_sentences(TRAINING, 50, seed=5)
    assert mixed_sentences(TRAINING, 50, seed=5) != mixed_sentences(TRAINING, 50, seed=6)


def test_invented_words_are_pronounceable_and_new() -> None:
    model = LetterModel(["planks", "smooth", "canoe", "birch", "background", "sheet"])
    rng = np.random.default_rng(0)
    for word in (model.invent(rng, min_length=3, max_length=9) for _ in range(200)):
        assert 3 <= len(word) <= 9
        assert set(word) & set("aeiouy")
        assert word not in {"planks", "smooth", "canoe", "birch", "background", "sheet"}


def test_a_vocabulary_too_small_to_invent_from_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot invent"):
        LetterModel(["ab"]).invent(np.random.default_rng(0))
