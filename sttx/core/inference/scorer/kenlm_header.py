"""The fixed header of a KenLM binary model (format version 5): order, data structure, counts, vocabulary flag."""

from __future__ import annotations

import struct

import attrs

#: KenLM's magic: the text, its explicit NUL and the C string's terminator, padded to 8 bytes in the file
MAGIC = b"mmap lm http://kheafield.com/code format version 5\n\0"
INCOMPLETE = b"mmap lm http://kheafield.com/code incomplete\n"
SANITY_SIZE = 88  # the magic (56) + three floats + three uint32 + one uint64 that check the machine's layout
PARAMETERS = struct.Struct("<B3xfI?3xI")  # order, probing multiplier, model type, has vocabulary, search version
MODEL_TYPES = {0: "probing", 1: "rest_probing", 2: "trie", 3: "quant_trie", 4: "array_trie", 5: "quant_array_trie"}


class NotKenLMError(ValueError):
    """The bytes are not a complete KenLM binary model; the message says what is wrong."""


@attrs.frozen
class KenLMHeader:
    """What the header says: n-gram order, data structure, n-gram counts, whether the word strings follow."""

    order: int
    model_type: str
    has_vocabulary: bool
    counts: tuple[int, ...]
    header_size: int


def parse_header(data: bytes) -> KenLMHeader:
    """Parse the first bytes of a KenLM binary (its whole header); NotKenLMError when they are not one."""
    if data.startswith(INCOMPLETE):
        raise NotKenLMError("KenLM binary whose build did not finish")
    if not data.startswith(MAGIC):
        raise NotKenLMError("not a KenLM binary model (no KenLM magic at the start)")
    fixed_end = SANITY_SIZE + PARAMETERS.size
    if len(data) < fixed_end:
        raise NotKenLMError("KenLM header cut short")
    order, _multiplier, model_type, has_vocabulary, _version = PARAMETERS.unpack_from(data, SANITY_SIZE)
    if not 1 <= order <= 16 or model_type not in MODEL_TYPES:
        raise NotKenLMError(f"KenLM header with order {order} and model type {model_type} (corrupt)")
    if len(data) < fixed_end + 8 * order:
        raise NotKenLMError("KenLM header cut short")
    counts = struct.unpack_from(f"<{order}Q", data, fixed_end)
    return KenLMHeader(order, MODEL_TYPES[model_type], has_vocabulary, counts, header_size_for(order))


def header_size_for(order: int) -> int:
    """Bytes before the model's data: sanity block, parameters and counts, aligned to 8."""
    size = SANITY_SIZE + PARAMETERS.size + 8 * order
    return (size + 7) // 8 * 8


#: enough bytes to parse the header of any order KenLM supports
MAX_HEADER = header_size_for(16)
