"""`sttx lm build`: a Coqui STT scorer from text with KenLM's lmplz, filter and build_binary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sttx import hookimpl
from sttx.cli.lm import lm_group
from sttx.cli.options import bool_option, option
from sttx.cli.types import plugin_manager


@click.command("build", short_help="Build a Coqui STT scorer (kenlm.scorer) from text with KenLM.")
@option("--text", "--input_txt", "text", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
        required=True, help="Text file(s), one sentence a line; repeat the flag for several.")
@option("--out", "--output_dir", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
        help="Folder for kenlm.scorer, lm.binary and vocab-<top_k>.txt.")
@option("--order", "--arpa_order", "order", type=click.IntRange(2, 6), default=5, help="n-gram order.")
@option("--top_k", type=click.IntRange(min=1), default=500000, help="Keep the most frequent words only.")
@option("--prune", "--arpa_prune", "prune", default=None, show_default=False,
        help="lmplz count thresholds per order: '0|0|1' (or '0 0 1') [default: 0|0|1, cut to the order].")
@option("--max_arpa_memory", default="1G", help="lmplz's sorting memory (e.g. 4G or 50%).")
@option("--binary_a_bits", type=click.IntRange(0, 255), default=255, help="build_binary -a (pointer compression).")
@option("--binary_q_bits", type=click.IntRange(0, 25), default=8, help="build_binary -q (probability bits).")
@option("--binary_type", type=click.Choice(["trie", "probing"]), default="trie", help="KenLM data structure.")
@bool_option("--discount_fallback", help="Pass lmplz --discount_fallback (done anyway when the text is too small).")
@option("--alphabet_config_path", type=click.Path(dir_okay=False), default=None,
        help="Alphabet file [default: the English one sttx ships].")
@bool_option("--bytes_output_mode", help="Build a scorer for a bytes-output-mode model (UTF-8 trie).")
@option("--validate_label_locale", default=None, help="Also clean each line with this label validator (e.g. en).")
@option("--default_alpha", type=float, default=None, help="LM weight stored in the scorer [default: Coqui's].")
@option("--default_beta", type=float, default=None, help="Word insertion bonus stored in the scorer.")
@bool_option("--show_progressbar", default=True, help="Progress bar while reading the text (on a terminal).")
@click.pass_context
def build_command(ctx: click.Context, **flags: Any) -> None:
    """Build OUT/kenlm.scorer from --text: the text normalised to the alphabet, a pruned n-gram model from KenLM's
    lmplz, filtered to the --top_k words and quantised by build_binary, packaged in Coqui STT's scorer format.

    KenLM's tools are taken from PATH, else compiled once into ~/.cache/sttx/kenlm (scripts/setup.sh does it).
    """
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.importing import resolve_label_validator
    from sttx.core.inference.lm.build import LmBuildConfig, build_lm
    from sttx.core.inference.scorer import DEFAULT_ALPHA, DEFAULT_BETA

    validate = None
    if flags["validate_label_locale"]:
        registry = plugin_manager(ctx).registries().label_validators
        validate = resolve_label_validator(flags["validate_label_locale"], registry)
    config = LmBuildConfig(
        text=tuple(flags["text"]), output_dir=flags["out"],
        alphabet=load_alphabet(flags["alphabet_config_path"], flags["bytes_output_mode"]),
        order=flags["order"], top_k=flags["top_k"], prune=_prune(flags["prune"], flags["order"]),
        max_arpa_memory=flags["max_arpa_memory"], binary_a_bits=flags["binary_a_bits"],
        binary_q_bits=flags["binary_q_bits"], binary_type=flags["binary_type"],
        discount_fallback=flags["discount_fallback"], validate=validate,
        default_alpha=DEFAULT_ALPHA if flags["default_alpha"] is None else flags["default_alpha"],
        default_beta=DEFAULT_BETA if flags["default_beta"] is None else flags["default_beta"],
        show_progressbar=flags["show_progressbar"],
    )
    steps = (lambda line: click.echo(line, err=True)) if flags["show_progressbar"] else (lambda line: None)
    result = build_lm(config, report=steps)
    corpus = result.corpus
    click.echo(f"text: {corpus.kept} of {corpus.lines} lines kept ({corpus.outside_alphabet} outside the alphabet, "
               f"{corpus.rejected_by_validator} rejected by the validator), {corpus.words} words, "
               f"{len(corpus.counts)} distinct")
    note = ", with --discount_fallback (small text)" if result.discount_fallback else ""
    click.echo(f"n-gram counts {list(result.scorer.kenlm.counts)} (order {config.order}{note})")
    click.echo(f"wrote {result.scorer_path} ({result.scorer_path.stat().st_size} bytes; trie of "
               f"{result.vocabulary} words: {result.scorer.n_states} states, {result.scorer.n_arcs} arcs), "
               f"{result.binary}, {result.vocabulary_file}")


def _prune(text: str | None, order: int) -> tuple[int, ...]:
    """The thresholds given, or generate_lm.py's usual ``0|0|1`` cut to the order."""
    from sttx.core.inference.lm.build import parse_prune

    return parse_prune(text) if text else (0, 0, 1)[:order]


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx lm build``."""
    lm_group(cli).add_command(build_command)
