"""Words to trie labels and back (Coqui's rules), and the check that a scorer fits a model's alphabet."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sttx.core.inference.scorer.package import SENTENCE_TOKENS, ScorerError, ScorerInfo, read_scorer

if TYPE_CHECKING:
    from sttx.core.data.alphabet import Alphabet
    from sttx.core.inference.scorer.fst import Acceptor


def encode_vocabulary(
    vocabulary: Iterable[str], alphabet: Alphabet | None, utf8: bool
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Label sequences of the words the trie holds, and the words left out.

    Alphabet mode: a character's label is its alphabet index + 1 (0 is the FST's epsilon), and every word ends
    with the space label; a word holding a character outside the alphabet is left out. Bytes mode: the labels are
    the UTF-8 bytes themselves, with no word-end label.
    """
    words = {word for word in vocabulary if word and word not in SENTENCE_TOKENS}
    if utf8:
        return [tuple(word.encode("utf-8")) for word in sorted(words)], []
    if alphabet is None or alphabet.is_bytes:
        raise ScorerError("an alphabet-mode scorer needs the alphabet")
    space = _space_label(alphabet)
    index = {label: position + 1 for position, label in enumerate(alphabet.labels)}
    sequences, left_out = [], []
    for word in sorted(words):
        try:
            sequences.append((*[index[char] for char in word], space))  # one codepoint, one label, as Coqui splits
        except KeyError:
            left_out.append(word)
    return sequences, left_out


def _space_label(alphabet: Alphabet) -> int:
    if " " not in alphabet.labels:
        raise ScorerError(f"alphabet {alphabet.source or '(labels)'} has no space label, which ends a scorer's words")
    return alphabet.labels.index(" ") + 1


def trie_words(info: ScorerInfo, acceptor: Acceptor, alphabet: Alphabet | None) -> set[str]:
    """The words the trie spells (alphabet mode needs the alphabet: the shipped English one by default)."""
    if info.utf8_mode:
        return {word.decode("utf-8", errors="replace") for word in acceptor.spellings([bytes([b]) for b in range(256)])}
    if alphabet is None:
        from sttx.core.data.alphabet import load_alphabet

        alphabet = load_alphabet()
    check_labels(info, acceptor, alphabet)
    symbols = ["", *alphabet.labels]
    symbols[_space_label(alphabet)] = ""  # the word-end label, checked above to end every word and nothing else
    return set(acceptor.spellings(symbols))


def scorer_words(info: ScorerInfo, alphabet: Alphabet | None = None) -> set[str]:
    """The vocabulary held by a scorer's trie; alphabet mode needs the alphabet (the shipped English one by default)."""
    return trie_words(info, info.acceptor(), alphabet)


def read_trie_words(path: str | Path, alphabet: Alphabet | None = None) -> set[str]:
    """The vocabulary stored in the scorer at ``path`` (tests compare it with the words the scorer was built from)."""
    return scorer_words(read_scorer(path), alphabet)


def check_scorer(info: ScorerInfo, alphabet: Alphabet) -> None:
    """Refuse a scorer the model cannot use: the other output mode, or a trie built for another alphabet."""
    where = alphabet.source or "(labels)"
    if info.utf8_mode and not alphabet.is_bytes:
        raise ScorerError(f"scorer {info.path} is for bytes output mode, but the model uses alphabet {where}")
    if alphabet.is_bytes and not info.utf8_mode:
        raise ScorerError(f"scorer {info.path} was built for an alphabet, but the model uses bytes output mode")
    check_labels(info, info.acceptor(), alphabet)


def check_labels(info: ScorerInfo, acceptor: Acceptor, alphabet: Alphabet) -> None:
    """The trie's labels fit the alphabet and, in alphabet mode, its words end with this alphabet's space label."""
    where = alphabet.source or "(labels)"
    if not len(acceptor.labels):
        raise ScorerError(f"scorer {info.path} has an empty vocabulary")
    low, high = int(acceptor.labels.min()), int(acceptor.labels.max())
    if low < 1 or high > alphabet.size:
        raise ScorerError(f"scorer {info.path} uses trie label {high if high > alphabet.size else low}, outside "
                          f"the {alphabet.size} labels of alphabet {where}: it was built for another alphabet")
    if not alphabet.is_bytes:
        _check_word_ends(info, acceptor, _space_label(alphabet), where)


def _check_word_ends(info: ScorerInfo, acceptor: Acceptor, space: int, where: str) -> None:
    """Every word ends with this alphabet's space label, and the space label ends a word: else another alphabet."""
    into_final = acceptor.final[acceptor.next_state]
    if not np.array_equal(into_final, acceptor.labels == space):
        raise ScorerError(f"scorer {info.path}: its words do not end with the space label of alphabet {where} "
                          f"(label {space}): it was built for another alphabet")
