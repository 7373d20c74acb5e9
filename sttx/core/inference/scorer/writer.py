"""Write a scorer package: a KenLM binary, the TRIE header, and the minimal trie of the vocabulary."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sttx.core.contract.decoding import DEFAULT_ALPHA, DEFAULT_BETA
from sttx.core.inference.scorer import const_fst, fst
from sttx.core.inference.scorer.kenlm_header import MAX_HEADER, NotKenLMError, parse_header
from sttx.core.inference.scorer.package import TRIE_HEADER, TRIE_MAGIC, VERSION, ScorerError, ScorerInfo, read_scorer
from sttx.core.inference.scorer.vocabulary import encode_vocabulary

if TYPE_CHECKING:
    from sttx.core.data.alphabet import Alphabet


def write_scorer(
    kenlm_binary: str | Path,
    vocabulary: Iterable[str],
    alphabet: Alphabet | None,
    out: str | Path,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    utf8: bool | None = None,
) -> ScorerInfo:
    """Write ``out``: the KenLM binary, the TRIE header, the minimal trie of the vocabulary's encodable words.

    :param kenlm_binary: a KenLM binary model built without its word strings (``build_binary -v``)
    :param alphabet: the model's alphabet (words holding a character outside it are left out)
    :param utf8: bytes output mode (labels are UTF-8 bytes, no word-end label); defaults to ``alphabet.is_bytes``
    """
    utf8 = bool(alphabet is not None and alphabet.is_bytes) if utf8 is None else utf8
    _check_kenlm_binary(Path(kenlm_binary))
    sequences, _left_out = encode_vocabulary(vocabulary, alphabet, utf8)
    acceptor = fst.minimal_acceptor(sequences)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.copyfile(kenlm_binary, partial)
    with partial.open("ab") as handle:
        handle.write(TRIE_HEADER.pack(TRIE_MAGIC, VERSION, utf8, alpha, beta))
        const_fst.write_const_fst(handle, acceptor)
    partial.replace(out)
    return read_scorer(out)


def _check_kenlm_binary(path: Path) -> None:
    """Refuse what libstt could not read: not a KenLM binary, or one followed by its word strings."""
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_HEADER)
    except OSError as error:
        raise ScorerError(f"cannot read KenLM binary {path}: {error.strerror or error}") from None
    try:
        header = parse_header(head)
    except NotKenLMError as error:
        raise ScorerError(f"{path}: {error} (make one with KenLM's build_binary)") from None
    if header.has_vocabulary:
        raise ScorerError(f"KenLM binary {path} holds its word strings where the trie must go: rebuild it with "
                          "build_binary -v")
