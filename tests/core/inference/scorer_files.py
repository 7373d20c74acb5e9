"""Scorer bytes written by hand from the format description, independently of sttx's writer, for the tests."""

from __future__ import annotations

import struct
from pathlib import Path

KENLM_MAGIC = b"mmap lm http://kheafield.com/code format version 5\n\0"


def kenlm_binary(order: int = 3, has_vocabulary: bool = False, payload: bytes = b"") -> bytes:
    """A KenLM binary's header (quantised array trie) followed by ``payload`` standing in for the model's tables."""
    sanity = KENLM_MAGIC.ljust(56, b"\0") + struct.pack("<fffIIIQ", 0.0, 1.0, -0.5, 1, 0xFFFFFFFF, 0, 1)
    parameters = struct.pack("<B3xfI?3xI", order, 1.5, 5, has_vocabulary, 1)
    counts = struct.pack(f"<{order}Q", *range(100, 100 + order))
    header = sanity + parameters + counts
    return header.ljust((len(header) + 7) // 8 * 8, b"\0") + payload


def trie_header(alpha: float, beta: float, utf8: bool = False, version: int = 6) -> bytes:
    return b"EIRT" + struct.pack("<i", version) + bytes([utf8]) + struct.pack("<dd", alpha, beta)


def const_fst(file_offset: int, start: int, finals: list[bool], arcs: list[list[tuple[int, int]]],
              properties: int) -> bytes:
    """An aligned ConstFst<StdArc, uint32> as OpenFST writes it, starting at ``file_offset`` of its file."""
    n_arcs = sum(len(state) for state in arcs)
    out = bytearray(struct.pack("<i", 2125659606))
    for text in (b"const", b"standard"):
        out += struct.pack("<i", len(text)) + text
    out += struct.pack("<iiQqqq", 1, 4, properties, start, len(finals), n_arcs)

    def pad() -> None:
        out.extend(b"\0" * (-(file_offset + len(out)) % 16))

    pad()
    first = 0
    for final, state_arcs in zip(finals, arcs, strict=True):
        out += struct.pack("<fIIII", 0.0 if final else float("inf"), first, len(state_arcs), 0, 0)
        first += len(state_arcs)
    pad()
    for state_arcs in arcs:
        for label, target in state_arcs:
            out += struct.pack("<iifi", label, label, 0.0, target)
    return bytes(out)


#: properties OpenFST gave the trie of a real vocabulary (several words): see reference/scorer-format.md
TRIE_PROPERTIES = (0x1 | 0x10000 | 0x40000 | 0x100000 | 0x800000 | 0x2000000 | 0x8000000 | 0x10000000 | 0x40000000
                   | 0x200000000 | 0x800000000 | 0x2000000000 | 0x4000000000 | 0x10000000000 | 0x40000000000
                   | 0x200000000000 | 0x800000000000)


def ab_b_scorer(path: Path, kenlm: bytes, alpha: float = 0.75, beta: float = 1.85) -> Path:
    """The scorer of words "ab" and "b" over the alphabet (space, a, b), as Coqui's tools lay it out.

    Labels are index + 1 (space 1, a 2, b 3) and each word ends with space. The minimal trie, numbered
    topologically: 0 -a-> 1, 0 -b-> 2, 1 -b-> 2, 2 -space-> 3 (final).
    """
    head = kenlm + trie_header(alpha, beta)
    fst = const_fst(len(head), 0, [False, False, False, True], [[(2, 1), (3, 2)], [(3, 2)], [(1, 3)], []],
                    TRIE_PROPERTIES)
    path.write_bytes(head + fst)
    return path
