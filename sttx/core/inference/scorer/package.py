"""Coqui STT's ``.scorer`` (format 6): a KenLM binary, then the TRIE header, then the vocabulary trie."""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

import attrs

from sttx.core.contract.errors import SttxError
from sttx.core.inference.scorer import const_fst, fst
from sttx.core.inference.scorer.kenlm_header import MAX_HEADER, KenLMHeader, NotKenLMError, parse_header

TRIE_MAGIC = 0x54524945  # 'TRIE' as a C multi-character constant: "EIRT" on disk
VERSION = 6
TRIE_HEADER = struct.Struct("<ii?dd")  # magic, version, utf8 mode, default alpha, default beta
SENTENCE_TOKENS = frozenset({"<s>", "</s>", "<unk>"})  # KenLM's own tokens never go into the trie


class ScorerError(SttxError):
    """A scorer that is missing, cut short, corrupt, of another version, or made for another alphabet."""


@attrs.frozen
class ScorerInfo:
    """What a scorer's headers say; the trie itself is read on demand (:meth:`acceptor`, :meth:`words`).

    ``kenlm_size`` is the offset of the TRIE header: a KenLM reader that opens the file sees a plain KenLM binary
    of that many bytes and ignores the rest.
    """

    path: Path
    kenlm_size: int
    utf8_mode: bool
    alpha: float
    beta: float
    kenlm: KenLMHeader
    fst_offset: int
    n_states: int
    n_arcs: int
    version: int = VERSION

    @property
    def trie_offset(self) -> int:
        return self.kenlm_size

    def acceptor(self) -> fst.Acceptor:
        """The vocabulary trie, read from the file."""
        with self.path.open("rb") as handle:
            handle.seek(self.fst_offset)
            data = handle.read()
        try:
            return const_fst.read_const_fst(data, self.fst_offset, base=self.fst_offset)
        except const_fst.FstFormatError as error:
            raise ScorerError(f"scorer {self.path}: {error}") from None


def read_scorer(path: str | Path) -> ScorerInfo:
    """Read and check a scorer's headers; ScorerError naming the file when it is missing, cut short or corrupt."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ScorerError(f"scorer {path} does not exist") from None
    except OSError as error:
        raise ScorerError(f"cannot read scorer {path}: {error.strerror or error}") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise ScorerError(f"scorer {path} is empty")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(path, data, size)


def _parse(path: Path, data: mmap.mmap, size: int) -> ScorerInfo:
    try:
        kenlm = parse_header(data[:MAX_HEADER])
    except NotKenLMError as error:
        raise ScorerError(f"scorer {path} is not a scorer: {error}") from None
    offset, layout, problem = _locate_trie(data, size, kenlm.header_size)
    if layout is None:
        raise ScorerError(f"scorer {path} {problem}")
    _magic, version, utf8, alpha, beta = TRIE_HEADER.unpack_from(data, offset)
    if version != VERSION:
        hint = "rebuild it with `sttx lm build`" if version < VERSION else "it is newer than sttx reads"
        raise ScorerError(f"scorer {path} has format version {version}, sttx reads version {VERSION}: {hint}")
    fst_at = offset + TRIE_HEADER.size
    return ScorerInfo(path, offset, bool(utf8), alpha, beta, kenlm, fst_at, layout.n_states, layout.n_arcs, version)


def _locate_trie(data: mmap.mmap, size: int, after: int) -> tuple[int, const_fst.FstLayout | None, str]:
    """Find the TRIE header: the last TRIE magic whose trie ends exactly at the end of the file.

    Coqui asks KenLM for the end of its search structures, which depends on the data structure's size arithmetic;
    the header's signature followed by a trie that ends where the file ends identifies the same offset for any
    KenLM data structure without redoing that arithmetic.
    """
    tag = struct.pack("<i", TRIE_MAGIC)
    problem = "holds no vocabulary trie (a bare KenLM binary, or a corrupt scorer whose TRIE header is damaged)"
    position = size
    while (position := data.rfind(tag, after, position)) >= 0:
        try:
            layout = const_fst.read_layout(data, position + TRIE_HEADER.size)
        except const_fst.NoFstError:
            continue  # these bytes only look like a TRIE magic (inside KenLM's tables, or a damaged header)
        except const_fst.FstFormatError as error:
            problem = f"has a corrupt vocabulary trie: {error}"
            continue
        if layout.end == size:
            return position, layout, ""
        problem = (f"is cut short: {size} bytes, its trie needs {layout.end}" if layout.end > size
                   else f"has {size - layout.end} stray bytes after its vocabulary trie")
    return -1, None, problem


def update_scorer_params(path: str | Path, alpha: float, beta: float) -> ScorerInfo:
    """Rewrite the default alpha and beta stored in a scorer's TRIE header, in place."""
    info = read_scorer(path)
    with info.path.open("r+b") as handle:
        handle.seek(info.kenlm_size + 9)  # past magic, version and the utf8 byte
        handle.write(struct.pack("<dd", alpha, beta))
    return read_scorer(path)
