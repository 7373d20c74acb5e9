"""Benchmark (c)'s extra training text: new sentences made only from the training sentences' words and letters.

A quarter of the dev set's words never occur in the 500 training sentences, and a model trained on those alone
learns their 1,500 words more than it learns to spell what it hears (its CER on the training sentences spoken by
the unseen dev voices is 14%, on the dev sentences spoken by the training voices 22%). Each mixed sentence strings
together short fragments of random training sentences and swaps some words for invented ones, drawn from a
letter-trigram model of the training vocabulary, so espeak-ng's letter-to-sound rules say words the model has
never read. Nothing here sees the dev sentences.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z']+")
#: word boundary in the letter model
_EDGE = "^"
_VOWELS = set("aeiouy")


def words_of(sentence: str) -> list[str]:
    """Lower-case words of a sentence (letters and apostrophes)."""
    return _WORD.findall(sentence.lower())


class LetterModel:
    """A letter-trigram model of a vocabulary that invents word-like strings absent from it."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for word in vocabulary:
            padded = _EDGE * 2 + word + _EDGE
            for i in range(2, len(padded)):
                counts[padded[i - 2:i]][padded[i]] += 1
        self._next = {context: (list(after), np.array(list(after.values()), float) / sum(after.values()))
                      for context, after in counts.items()}
        self._known = set(vocabulary)

    def invent(self, rng: np.random.Generator, min_length: int = 3, max_length: int = 11) -> str:
        """A new word of ``min_length``-``max_length`` letters with a vowel, not in the vocabulary."""
        for _ in range(10_000):  # a vocabulary too small to invent from must not hang the corpus build
            word = _EDGE * 2
            while len(word) < max_length + 3:
                letters, weights = self._next[word[-2:]]
                letter = letters[int(rng.choice(len(letters), p=weights))]
                if letter == _EDGE:
                    break
                word += letter
            word = word[2:]
            if (min_length <= len(word) <= max_length and _VOWELS & set(word) and word not in self._known
                    and not word.startswith("'") and not word.endswith("'")):
                return word
        raise ValueError(f"cannot invent a {min_length}-{max_length} letter word from a {len(self._known)}-word "
                         "vocabulary")


def mixed_sentences(sentences: Sequence[str], count: int, seed: int, invented: float = 0.25,
                    fragment: tuple[int, int] = (1, 4)) -> list[str]:
    """``count`` sentences as long as the given ones, of fragments of ``fragment`` words from random given
    sentences, each word replaced by an invented one with probability ``invented``."""
    rng = np.random.default_rng([seed, 17])
    tokenized = [words for words in map(words_of, sentences) if words]
    model = LetterModel(sorted({word for words in tokenized for word in words}))
    mixed = []
    for _ in range(count):
        length = len(tokenized[int(rng.integers(len(tokenized)))])
        words: list[str] = []
        while len(words) < length:
            source = tokenized[int(rng.integers(len(tokenized)))]
            size = int(rng.integers(fragment[0], fragment[1] + 1))
            start = int(rng.integers(max(1, len(source) - size + 1)))
            words.extend(source[start:start + size])
        words = [model.invent(rng) if rng.random() < invented else word for word in words[:length]]
        mixed.append(" ".join(words).capitalize() + ".")
    return mixed
