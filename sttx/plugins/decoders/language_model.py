"""The language model a beam search fuses: a Coqui ``.scorer`` package (KenLM + vocabulary trie) or an ARPA file.

A scorer's KenLM part is read by KenLM itself (the appended trie is ignored there); its vocabulary is the set of
words spelled by the OpenFST trie after the ``TRIE`` header, and the header carries the utf8 flag and the
embedded alpha/beta. An ARPA file's vocabulary is its unigrams.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import attrs
import numpy as np

from sttx.core.contract.errors import SttxError, UsageError

_TRIE_HEADER = b"EIRT" + struct.pack("<i", 6)  # int32 'TRIE' little-endian, then format version 6
_FST_MAGIC = 2125659606
_SPECIAL = frozenset({"<s>", "</s>", "<unk>"})


class LanguageModelError(SttxError):
    """A scorer or ARPA file that cannot be used (the message names the file and what is wrong)."""


@attrs.frozen(kw_only=True)
class LanguageModel:
    """What the beam decoder needs: a KenLM-readable file, its vocabulary, its mode and embedded weights.

    :param embedded: the scorer's (alpha, beta), or None (an ARPA file carries none)
    """

    path: str
    words: tuple[str, ...]
    utf8_mode: bool
    embedded: tuple[float, float] | None = None


def _read_string(data: bytes, at: int) -> tuple[str, int]:
    (size,) = struct.unpack_from("<i", data, at)
    return data[at + 4 : at + 4 + size].decode("ascii", "replace"), at + 4 + size


def _fst_words(data: bytes, at: int, path: str) -> list[list[int]]:
    """Every label sequence the ConstFst at ``at`` accepts (labels are alphabet index + 1)."""
    magic, = struct.unpack_from("<i", data, at)
    kind, at = _read_string(data, at + 4)
    arc_type, at = _read_string(data, at)
    if magic != _FST_MAGIC or kind != "const" or arc_type != "standard":
        raise LanguageModelError(f"scorer {path}: the vocabulary trie has an invalid header")
    _version, _flags, _properties, start, n_states, n_arcs = struct.unpack_from("<iiQqqq", data, at)
    at += 40
    at += -at % 16
    states = np.frombuffer(data, dtype="<f4,<u4,<u4,<u4,<u4", count=n_states, offset=at)
    at += 20 * n_states
    at += -at % 16
    arcs = np.frombuffer(data, dtype="<i4,<i4,<f4,<i4", count=n_arcs, offset=at)
    final, first, count = states["f0"] == 0.0, states["f1"].tolist(), states["f2"].tolist()
    labels, targets = arcs["f0"].tolist(), arcs["f3"].tolist()
    words: list[list[int]] = []
    stack: list[tuple[int, list[int]]] = [(int(start), [])]
    while stack:  # the trie is acyclic: a depth-first walk ends
        state, spelled = stack.pop()
        if final[state] and spelled:
            words.append(spelled)
        for arc in range(first[state], first[state] + count[state]):
            stack.append((targets[arc], [*spelled, labels[arc]]))
    return words


def _scorer_words(words: list[list[int]], utf8_mode: bool, alphabet: object) -> tuple[str, ...]:
    """Trie label sequences as text: bytes in utf8 mode, alphabet labels (space label dropped) otherwise."""
    if utf8_mode:
        return tuple(bytes(label for label in spelled).decode("utf-8", "replace") for spelled in words)
    space = alphabet.encode(" ")[0] + 1 if alphabet.can_encode(" ") else -1  # type: ignore[attr-defined]
    return tuple(alphabet.decode([label - 1 for label in spelled if label != space])  # type: ignore[attr-defined]
                 for spelled in words)


def read_scorer_package(path: str, alphabet: object) -> LanguageModel:
    """A ``.scorer``: find the ``TRIE`` header after the KenLM part, read mode, alpha, beta and the vocabulary."""
    data = Path(path).read_bytes()
    at = data.find(_TRIE_HEADER)
    while at >= 0 and (len(data) < at + 29 or struct.unpack_from("<i", data, at + 25)[0] != _FST_MAGIC):
        at = data.find(_TRIE_HEADER, at + 1)
    if at < 0:
        raise LanguageModelError(f"scorer {path}: no vocabulary trie (not a Coqui/DeepSpeech .scorer package)")
    utf8_mode = bool(data[at + 8])
    alpha, beta = struct.unpack_from("<dd", data, at + 9)
    words = _scorer_words(_fst_words(data, at + 25, path), utf8_mode, alphabet)
    return LanguageModel(path=path, words=words, utf8_mode=utf8_mode, embedded=(alpha, beta))


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


@functools.lru_cache(maxsize=4)
def load_language_model(path: str, alphabet: object) -> LanguageModel:
    """A ``.scorer`` package or an ``.arpa`` file (its mode follows the alphabet), cached per process."""
    if not Path(path).is_file():
        raise UsageError(f"--scorer_path {path}: no such file")
    with Path(path).open("rb") as handle:
        head = handle.read(64)
    if head.lstrip().startswith(b"\\data\\"):
        bytes_mode = bool(getattr(alphabet, "is_bytes", False))
        return LanguageModel(path=path, words=read_arpa_vocabulary(path), utf8_mode=bytes_mode)
    return read_scorer_package(path, alphabet)
