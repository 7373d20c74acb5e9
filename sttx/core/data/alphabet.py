"""Output labels: DeepSpeech's alphabet.txt rules, its binary metadata layout, and the UTF-8 bytes mode."""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from sttx.core.contract.errors import SttxError

log = logging.getLogger(__name__)

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_HEADER = (
    "# Alphabet for sttx: one label per line; the label index is the order of the lines.\n"
    "# Lines starting with # are comments; a line holding exactly \\# is the label #.\n"
)


class AlphabetError(SttxError):
    """A bad alphabet file, or a transcript the alphabet cannot encode.

    :param message: what is wrong
    :param missing: the characters outside the alphabet, when the error is about a transcript
    :param where: the transcript's origin (``train.csv row 3``, a sample id), when the caller knows it
    """

    def __init__(self, message: str, *, missing: Iterable[str] = (), where: str | None = None) -> None:
        self.missing = sorted(set(missing))
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def describe_chars(chars: Iterable[str]) -> str:
    """``'é' (U+00E9), ...``: visible and unambiguous even for invisible characters."""
    return ", ".join(f"{char!r} (U+{ord(char):04X})" if len(char) == 1 else repr(char) for char in sorted(chars))


def where_text(source: str | Path | None, row: int | None = None) -> str | None:
    """``train.csv row 3`` from the pieces a caller knows (None when it knows nothing)."""
    if source is None:
        return None if row is None else f"row {row}"
    return f"{source} row {row}" if row is not None else str(source)


class Alphabet:
    """Labels by index; the CTC blank is the extra last class (index ``size``).

    :param labels: the labels in index order (each normally one codepoint)
    :param source: the file the labels came from, for messages
    """

    is_bytes = False

    def __init__(self, labels: Sequence[str], *, source: str | None = None) -> None:
        self.source = source
        self._labels = tuple(labels)
        self._index: dict[str, int] = {}
        if not self._labels:
            raise AlphabetError(f"alphabet {source or '(labels)'} has no labels")
        for index, label in enumerate(self._labels):
            self._check_label(index, label)
            self._index[label] = index

    def _check_label(self, index: int, label: str) -> None:
        where = f"alphabet {self.source or '(labels)'} label {index}"
        if not label or "\n" in label or "\r" in label:
            raise AlphabetError(f"{where}: {label!r} is empty or holds a line break")
        if label in self._index:
            raise AlphabetError(f"{where}: {label!r} repeats label {self._index[label]}")
        if len(label) > 1:
            # DeepSpeech encodes per codepoint, so such a label loads but can never be produced by encode().
            log.warning("%s: %r has several codepoints and will never match a transcript", where, label)

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str | None = None) -> Alphabet:
        """Parse alphabet.txt content: comments, ``\\#``, empty lines skipped, any of the three line endings.

        A leading UTF-8 byte-order mark (Windows editors add one) is dropped; DeepSpeech would have kept it as part of
        the first line, turning a first comment line into a label.
        """
        labels = []
        data = data.removeprefix(b"\xef\xbb\xbf")
        for number, raw in enumerate(_LINE_BREAK.split(data), start=1):
            if not raw or raw.startswith(b"#"):
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise AlphabetError(f"alphabet {source or '(text)'} line {number} is not UTF-8: {error}") from None
            labels.append("#" if line == "\\#" else line)
        return cls(labels, source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> Alphabet:
        """Load an alphabet.txt; a missing or unreadable file is an AlphabetError naming it."""
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise AlphabetError(f"cannot read alphabet file {path}: {error.strerror or error}") from None
        return cls.from_bytes(data, source=str(path))

    @classmethod
    def from_transcripts(cls, transcripts: Iterable[str]) -> Alphabet:
        """The alphabet of a data set: every character seen, in codepoint order."""
        return cls(sorted({char for text in transcripts for char in text}))

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels in index order (the blank is not one of them)."""
        return self._labels

    @property
    def size(self) -> int:
        """Number of labels, excluding the blank."""
        return len(self._labels)

    @property
    def n_classes(self) -> int:
        """Output-layer width: the labels plus the blank."""
        return self.size + 1

    @property
    def blank(self) -> int:
        """Index of the CTC blank: the last class."""
        return self.size

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` that have no label."""
        return {char for char in text if char not in self._index}

    def can_encode(self, text: str) -> bool:
        """True when every codepoint of ``text`` has a label."""
        return not self.missing(text)

    def encode(self, text: str, *, source: str | Path | None = None, row: int | None = None) -> list[int]:
        """Label indices of each codepoint; AlphabetError names the origin and the missing characters."""
        missing = self.missing(text)
        if missing:
            message = f"transcript {text!r} has characters outside the alphabet: {describe_chars(missing)}"
            raise AlphabetError(message, missing=missing, where=where_text(source, row))
        return [self._index[char] for char in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of label indices (the blank and unknown indices are errors)."""
        return "".join(self._label(int(index)) for index in ids)

    def _label(self, index: int) -> str:
        if not 0 <= index < self.size:
            raise AlphabetError(f"label index {index} is outside 0..{self.size - 1}")
        return self._labels[index]

    def serialize(self) -> bytes:
        """The ``metadata_alphabet`` layout: uint16 count, then per label uint16 index, uint16 length, UTF-8."""
        parts = [struct.pack("<H", self.size)]
        for index, label in enumerate(self._labels):
            data = self._label_bytes(index, label)
            parts.append(struct.pack("<HH", index, len(data)) + data)
        return b"".join(parts)

    def _label_bytes(self, index: int, label: str) -> bytes:
        return label.encode("utf-8")

    def to_text(self) -> str:
        """alphabet.txt content that loads back into the same labels."""
        lines = []
        for index, label in enumerate(self._labels):
            if label.startswith("#") and label != "#":
                raise AlphabetError(f"label {index} {label!r} starts with # and cannot be written to alphabet.txt")
            lines.append("\\#" if label == "#" else label)
        return _HEADER + "\n".join(lines) + "\n# end of alphabet\n"

    def write(self, path: str | Path) -> None:
        """Write :meth:`to_text` as UTF-8 with unix line endings."""
        Path(path).write_bytes(self.to_text().encode("utf-8"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Alphabet) and (self.is_bytes, self._labels) == (other.is_bytes, other._labels)

    def __hash__(self) -> int:
        return hash((self.is_bytes, self._labels))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, source={self.source!r})"


class UTF8Alphabet(Alphabet):
    """Bytes output mode: 255 labels where label i is byte i+1, blank 255, 256 classes."""

    is_bytes = True

    def __init__(self) -> None:
        self.source = "<bytes output mode>"
        self._labels = tuple(chr(byte) for byte in range(1, 256))  # placeholders; the bytes are what counts
        self._index = {}

    def missing(self, text: str) -> set[str]:
        """Only NUL cannot be encoded (byte 0 has no label)."""
        return {"\0"} if "\0" in text else set()

    def encode(self, text: str, *, source: str | Path | None = None, row: int | None = None) -> list[int]:
        """Each byte of the UTF-8 encoding, minus one."""
        if "\0" in text:
            raise AlphabetError(f"transcript {text!r} holds NUL", missing={"\0"}, where=where_text(source, row))
        return [byte - 1 for byte in text.encode("utf-8")]

    def decode(self, ids: Iterable[int]) -> str:
        """Bytes back to text; an incomplete UTF-8 sequence becomes U+FFFD."""
        values = [int(index) for index in ids]
        for index in values:
            self._label(index)
        return bytes(index + 1 for index in values).decode("utf-8", errors="replace")

    def _label_bytes(self, index: int, label: str) -> bytes:
        return bytes([index + 1])

    def to_text(self) -> str:
        """Bytes mode has no alphabet file."""
        raise AlphabetError("bytes output mode has no alphabet.txt")


def default_alphabet_path() -> Path:
    """The English alphabet shipped with sttx: space, a-z and apostrophe (28 labels)."""
    return Path(str(resources.files("sttx") / "data" / "alphabet.txt"))


def load_alphabet(path: str | Path | None = None, bytes_mode: bool = False) -> Alphabet:
    """The alphabet for a run: UTF-8 bytes mode, the file at ``path``, or the shipped English default."""
    if bytes_mode:
        if path:
            log.info("--bytes_output_mode ignores the alphabet file %s", path)
        return UTF8Alphabet()
    return Alphabet.from_file(path if path else default_alphabet_path())
