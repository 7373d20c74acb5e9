"""Coqui STT's external scorer (``.scorer``, format 6): read, check, write and retune it; no C++ tools needed.

Layout: a KenLM binary model, a TRIE header (magic, version 6, UTF-8 mode, default alpha and beta) and the
vocabulary as an OpenFST ConstFst. KenLM readers open a scorer as a plain KenLM binary and ignore the rest.
"""

from __future__ import annotations

from sttx.core.contract.decoding import DEFAULT_ALPHA, DEFAULT_BETA
from sttx.core.inference.scorer.package import (
    VERSION,
    ScorerError,
    ScorerInfo,
    read_scorer,
    update_scorer_params,
)
from sttx.core.inference.scorer.vocabulary import check_scorer, encode_vocabulary, read_trie_words, scorer_words
from sttx.core.inference.scorer.writer import write_scorer

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_BETA",
    "VERSION",
    "ScorerError",
    "ScorerInfo",
    "check_scorer",
    "encode_vocabulary",
    "read_scorer",
    "read_trie_words",
    "scorer_words",
    "update_scorer_params",
    "write_scorer",
]
