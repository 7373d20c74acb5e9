"""OpenFST's aligned ``ConstFst<StdArc, uint32>`` file layout: write an acceptor, read one back."""

from __future__ import annotations

import struct
from typing import Any, BinaryIO

import attrs
import numpy as np

from sttx.core.inference.scorer.fst import Acceptor

FST_MAGIC = 2125659606
FST_TYPE, ARC_TYPE = b"const", b"standard"
ALIGNED_VERSION = 1  # ConstFst's file version when written with alignment
IS_ALIGNED = 4
ALIGNMENT = 16
STATE = np.dtype([("weight", "<f4"), ("first_arc", "<u4"), ("n_arcs", "<u4"), ("n_ieps", "<u4"), ("n_oeps", "<u4")])
ARC = np.dtype([("ilabel", "<i4"), ("olabel", "<i4"), ("weight", "<f4"), ("next", "<i4")])
COUNTS = struct.Struct("<iiQqqq")  # version, flags, properties, start, number of states, number of arcs

# OpenFST property bits (fst/properties.h) that hold for every minimal acyclic unweighted acceptor with sorted arcs
_ALWAYS = (
    0x1  # expanded
    | 0x10000  # acceptor
    | 0x40000 | 0x100000  # input / output deterministic
    | 0x800000 | 0x2000000 | 0x8000000  # no epsilons, no input epsilons, no output epsilons
    | 0x10000000 | 0x40000000  # input / output label sorted
    | 0x200000000  # unweighted
    | 0x800000000 | 0x2000000000  # acyclic, initial acyclic
    | 0x10000000000 | 0x40000000000  # accessible, coaccessible
    | 0x800000000000  # unweighted cycles
)
STRING, NOT_STRING = 0x100000000000, 0x200000000000
TOP_SORTED, NOT_TOP_SORTED = 0x4000000000, 0x8000000000


class FstFormatError(ValueError):
    """The bytes are not an aligned ConstFst of standard arcs, or are cut short."""


class NoFstError(FstFormatError):
    """No OpenFST magic at all: whatever is there, it is not an FST."""


def properties(acceptor: Acceptor) -> int:
    """The property bits OpenFST computes for such an acceptor: whether it is one path, whether arcs all go forward."""
    single_path = bool(np.all(acceptor.n_arcs <= 1)) and int(acceptor.final.sum()) == 1
    sources = np.repeat(np.arange(acceptor.n_states), acceptor.n_arcs)
    forward = bool(np.all(acceptor.next_state > sources))
    return _ALWAYS | (STRING if single_path else NOT_STRING) | (TOP_SORTED if forward else NOT_TOP_SORTED)


def _pad(handle: BinaryIO) -> None:
    handle.write(b"\0" * (-handle.tell() % ALIGNMENT))  # OpenFST aligns to the file offset, not the FST's start


def write_const_fst(handle: BinaryIO, acceptor: Acceptor) -> None:
    """Write at the handle's position: header, states and arcs, each table aligned to 16 bytes of the file."""
    handle.write(struct.pack("<i", FST_MAGIC))
    for text in (FST_TYPE, ARC_TYPE):
        handle.write(struct.pack("<i", len(text)) + text)
    n_arcs = len(acceptor.labels)
    handle.write(COUNTS.pack(ALIGNED_VERSION, IS_ALIGNED, properties(acceptor), acceptor.start, acceptor.n_states,
                             n_arcs))
    states = np.zeros(acceptor.n_states, STATE)
    states["weight"] = np.where(acceptor.final, 0.0, np.inf)
    states["first_arc"], states["n_arcs"] = acceptor.first_arc, acceptor.n_arcs
    arcs = np.zeros(n_arcs, ARC)
    arcs["ilabel"] = arcs["olabel"] = acceptor.labels
    arcs["next"] = acceptor.next_state
    _pad(handle)
    handle.write(states.tobytes())
    _pad(handle)
    handle.write(arcs.tobytes())


@attrs.frozen
class FstLayout:
    """Where an aligned ConstFst's tables sit, as file offsets, from its header alone."""

    start: int
    n_states: int
    n_arcs: int
    states_at: int
    arcs_at: int
    end: int


def read_layout(data: bytes | memoryview | Any, offset: int, base: int = 0) -> FstLayout:
    """Parse the header of the ConstFst at file offset ``offset``; ``data[0]`` is the file's byte ``base``."""
    position = _expect_header_strings(data, offset - base) + base
    if len(data) < position - base + COUNTS.size:
        raise FstFormatError("vocabulary trie header cut short")
    version, flags, _props, start, n_states, n_arcs = COUNTS.unpack_from(data, position - base)
    if version != ALIGNED_VERSION or not flags & IS_ALIGNED:
        raise FstFormatError(f"vocabulary trie is ConstFst version {version} flags {flags}, not an aligned one")
    if flags & 3:
        raise FstFormatError("vocabulary trie carries symbol tables, which scorers never have")
    if n_states < 0 or n_arcs < 0 or not (0 <= start < n_states or (n_states == 0 and start == -1)):
        raise FstFormatError(f"vocabulary trie header is corrupt (start {start}, {n_states} states)")
    position += COUNTS.size
    states_at = position + (-position % ALIGNMENT)  # OpenFST aligns to the file offset
    states_end = states_at + n_states * STATE.itemsize
    arcs_at = states_end + (-states_end % ALIGNMENT)
    return FstLayout(start, n_states, n_arcs, states_at, arcs_at, arcs_at + n_arcs * ARC.itemsize)


def read_const_fst(data: bytes | memoryview, offset: int, base: int = 0) -> Acceptor:
    """The acceptor stored at file offset ``offset``; ``data`` holds the file from byte ``base`` on."""
    layout = read_layout(data, offset, base)
    if len(data) + base < layout.end:
        raise FstFormatError(f"vocabulary trie cut short: the file ends at {len(data) + base}, the trie {layout.end}")
    states = np.frombuffer(data, STATE, layout.n_states, layout.states_at - base)
    arcs = np.frombuffer(data, ARC, layout.n_arcs, layout.arcs_at - base)
    if layout.n_arcs and (int(arcs["next"].min()) < 0 or int(arcs["next"].max()) >= layout.n_states):
        raise FstFormatError("vocabulary trie has an arc to a state that does not exist")
    if layout.n_states and int((states["first_arc"].astype(np.int64) + states["n_arcs"]).max()) > layout.n_arcs:
        raise FstFormatError("vocabulary trie has a state whose arcs run past the arc table")
    return Acceptor(np.isfinite(states["weight"]), states["first_arc"].astype(np.int64),
                    states["n_arcs"].astype(np.int64), arcs["ilabel"].astype(np.int64),
                    arcs["next"].astype(np.int64), max(layout.start, 0))


def _expect_header_strings(data: bytes | memoryview | Any, offset: int) -> int:
    """Check the magic and the two type strings; the offset after them."""
    if len(data) < offset + 4 or struct.unpack_from("<i", data, offset)[0] != FST_MAGIC:
        raise NoFstError("no OpenFST magic where the vocabulary trie should start")
    position = offset + 4
    for expected in (FST_TYPE, ARC_TYPE):
        if len(data) < position + 4:
            raise FstFormatError("vocabulary trie header cut short")
        (length,) = struct.unpack_from("<i", data, position)
        text = bytes(data[position + 4 : position + 4 + max(0, min(length, 64))])
        if text != expected:
            raise FstFormatError(f"vocabulary trie is a {text!r} FST, not {expected!r}")
        position += 4 + length
    return position
