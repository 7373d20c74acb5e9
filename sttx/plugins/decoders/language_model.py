"""The language model a beam search fuses: a Coqui ``.scorer`` package (KenLM + vocabulary trie) or an ARPA file.

A scorer's KenLM part is read by KenLM itself (the appended trie is ignored there); its vocabulary, mode and
embedded alpha/beta come from sttx's scorer reader, which also refuses a scorer made for another alphabet or
output mode. An ARPA file's vocabulary is its unigrams; it embeds no weights.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import SttxError, UsageError

_SPECIAL = frozenset({"<s>", "</s>", "<unk>"})


class LanguageModelError(SttxError):
    """An ARPA file that cannot be used (the message names the file and what is wrong)."""


@attrs.frozen(kw_only=True)
class LanguageModel:
    """What the beam decoder needs: a KenLM-readable file, its vocabulary, its mode and embedded weights.

    :param embedded: the scorer's (alpha, beta), or None (an ARPA file carries none)
    """

    path: str
    words: tuple[str, ...]
    utf8_mode: bool
    embedded: tuple[float, float] | None = None


def read_arpa_vocabulary(path: str) -> tuple[str, ...]:
    """The unigrams of an ARPA file (without <s>, </s>, <unk>)."""
    words, inside = [], False
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            text = line.strip()
            if text.startswith("\\"):
                if inside:
                    break
                inside = text == "\\1-grams:"
                continue
            fields = text.split()
            if inside and len(fields) >= 2 and fields[1] not in _SPECIAL:
                words.append(fields[1])
    if not words:
        raise LanguageModelError(f"ARPA file {path} has no \\1-grams: section with words")
    return tuple(words)


def read_scorer_package(path: str, alphabet: Any) -> LanguageModel:
    """A ``.scorer``: mode, embedded alpha/beta and vocabulary, checked against the model's alphabet."""
    from sttx.core.inference.scorer import check_scorer, read_scorer, scorer_words

    info = read_scorer(path)
    check_scorer(info, alphabet)
    words = tuple(sorted(scorer_words(info, None if alphabet.is_bytes else alphabet)))
    return LanguageModel(path=path, words=words, utf8_mode=info.utf8_mode, embedded=(info.alpha, info.beta))


@functools.lru_cache(maxsize=4)
def load_language_model(path: str, alphabet: Any) -> LanguageModel:
    """A ``.scorer`` package or an ``.arpa`` file (its mode follows the alphabet), cached per process."""
    if not Path(path).is_file():
        raise UsageError(f"--scorer_path {path}: no such file")
    with Path(path).open("rb") as handle:
        head = handle.read(64)
    if head.lstrip().startswith(b"\\data\\"):
        bytes_mode = bool(getattr(alphabet, "is_bytes", False))
        return LanguageModel(path=path, words=read_arpa_vocabulary(path), utf8_mode=bytes_mode)
    return read_scorer_package(path, alphabet)
