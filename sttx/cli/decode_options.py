"""The decoding flags shared by ``sttx evaluate``, ``transcribe`` and ``train``: DeepSpeech's names and defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sttx.cli.options import option
from sttx.core.contract.decoding import DEFAULT_ALPHA, DEFAULT_BETA

F = Callable[..., Any]


def decode_options(function: F) -> F:
    """Add ``--decoder``, ``--scorer_path`` (alias ``--scorer``), ``--beam_width``, ``--lm_alpha``, ``--lm_beta``,
    ``--cutoff_prob``, ``--cutoff_top_n`` and ``--hot_words``."""
    decorators = [
        option("--decoder", default="", show_default=False,
               help="A registered decoder: greedy or beam [default: beam with --scorer_path, else greedy]."),
        option("--scorer_path", "--scorer", "scorer_path", default="", show_default=False,
               help="Language model: a Coqui/DeepSpeech .scorer package, or an ARPA file."),
        option("--beam_width", type=click.IntRange(min=1), default=1024, help="Beam width of the beam decoder."),
        option("--lm_alpha", type=float, default=None, show_default=False,
               help=f"Language model weight [default: the scorer's, else {DEFAULT_ALPHA}]."),
        option("--lm_beta", type=float, default=None, show_default=False,
               help=f"Word insertion bonus [default: the scorer's, else {DEFAULT_BETA}]."),
        option("--cutoff_prob", type=click.FloatRange(0, 1, min_open=True), default=1.0,
               help="Keep each frame's likeliest labels up to this cumulative probability (1.0: all)."),
        option("--cutoff_top_n", type=click.IntRange(min=1), default=300,
               help="With --cutoff_prob below 1, keep at most this many labels per frame."),
        option("--hot_words", default="", show_default=False,
               help="word:boost,... added to those words' LM log-probability (negative boosts allowed)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function
