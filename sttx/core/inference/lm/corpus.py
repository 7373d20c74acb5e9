"""Language-model text: lines normalised for the alphabet (and the locale validator), words counted, top-k kept."""

from __future__ import annotations

import collections
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import attrs

from sttx.core.contract.errors import SttxError, UsageError

if TYPE_CHECKING:
    from sttx.core.data.alphabet import Alphabet

Validator = Callable[[str], "str | None"]


class CorpusError(SttxError):
    """The text gives nothing to build a language model from; the message says which file and why."""


@attrs.define
class CorpusStats:
    """What normalisation did to the text."""

    lines: int = 0
    kept: int = 0
    rejected_by_validator: int = 0
    outside_alphabet: int = 0
    example_outside: str = ""
    counts: collections.Counter[str] = attrs.field(factory=collections.Counter)

    @property
    def words(self) -> int:
        return sum(self.counts.values())


@attrs.frozen
class Normaliser:
    """One line of raw text to the model's spelling, or None when it cannot be spelt with the alphabet.

    Lower-cases unless the alphabet has capitals; punctuation and symbols the alphabet lacks become spaces
    (``hot-cross`` -> ``hot cross``, ``"yes,"`` -> ``yes``), so a word is whatever the alphabet can spell between
    them. A line still holding another character (a digit, a foreign letter) is left out whole, as DeepSpeech's
    importers leave out transcripts the alphabet cannot encode: keeping it would teach the model contexts with a
    hole in them.
    """

    alphabet: Alphabet
    validate: Validator | None = None
    _table: _SeparatorTable = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_table", _SeparatorTable(self.alphabet))

    def __call__(self, line: str) -> tuple[str | None, str]:
        """The normalised line (None when rejected) and the reason: "", "validator" or "alphabet"."""
        text = line.strip()
        if self.validate is not None:
            validated = self.validate(text)
            if validated is None:
                return None, "validator"
            text = validated
        if not any(label != label.lower() for label in self.alphabet.labels) and not self.alphabet.is_bytes:
            text = text.lower()
        if not self.alphabet.is_bytes:
            text = text.translate(self._table)
        words = text.split()
        if not self.alphabet.is_bytes and not all(self.alphabet.can_encode(word) for word in words):
            return None, "alphabet"
        return " ".join(words), ""



class _SeparatorTable(dict[int, str]):
    """``str.translate`` table, filled as characters are met: punctuation and symbols outside the alphabet -> space."""

    def __init__(self, alphabet: Alphabet) -> None:
        super().__init__()
        self.alphabet = alphabet

    def __missing__(self, code: int) -> str:
        char = chr(code)
        keep = self.alphabet.can_encode(char) or unicodedata.category(char)[0] not in "PSZC"
        self[code] = char if keep else " "
        return self[code]


def normalise_files(
    paths: Sequence[Path], normaliser: Normaliser, out: IO[str], progress: Callable[[int], None] | None = None
) -> CorpusStats:
    """Write each kept line to ``out`` and count its words; CorpusError for empty text or nothing encodable."""
    stats = CorpusStats()
    for path in paths:
        for line in _lines(path, progress):
            stats.lines += 1
            text, reason = normaliser(line)
            if reason == "validator":
                stats.rejected_by_validator += 1
            elif reason == "alphabet":
                stats.outside_alphabet += 1
                stats.example_outside = stats.example_outside or line.strip()[:60]
            elif text:
                stats.kept += 1
                stats.counts.update(text.split())
                out.write(text + "\n")
    _check(paths, stats, normaliser)
    return stats


def _lines(path: Path, progress: Callable[[int], None] | None) -> Iterator[str]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise UsageError(f"--text {path}: {error.strerror or error}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if progress is not None:
                progress(len(raw))
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CorpusError(f"--text {path} line {number} is not UTF-8") from None


def _check(paths: Sequence[Path], stats: CorpusStats, normaliser: Normaliser) -> None:
    names = ", ".join(str(path) for path in paths)
    if stats.words:
        return
    if stats.outside_alphabet:
        where = normaliser.alphabet.source or "(labels)"
        raise CorpusError(f"alphabet {where} spells no line of {names}: all {stats.outside_alphabet} hold "
                          f"characters outside it (e.g. {stats.example_outside!r})")
    if stats.rejected_by_validator:
        raise CorpusError(f"the label validator rejected all {stats.rejected_by_validator} lines of {names}")
    raise CorpusError(f"--text {names} holds no text")


def top_words(counts: collections.Counter[str], top_k: int) -> list[str]:
    """The ``top_k`` most frequent words (ties in first-seen order, as Counter.most_common)."""
    return [word for word, _ in counts.most_common(top_k)]
