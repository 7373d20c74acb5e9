"""`sttx transcribe MODEL AUDIO...`: text, DeepSpeech .tlog files, or JSON with per-token timings."""

from __future__ import annotations

import json
from typing import Any

import click

from sttx import hookimpl
from sttx.cli.decode_options import decode_options
from sttx.cli.options import bool_option, option
from sttx.cli.types import AudioPath, ModelPath, plugin_manager
from sttx.core.tf_runtime import load_tensorflow


@click.command("transcribe")
@click.argument("model", type=ModelPath())
@click.argument("audio", nargs=-1, required=True, type=AudioPath())
@bool_option("--recursive", help="Descend into sub-folders of folder inputs.")
@bool_option("--vad", default=True,
             help="Split recordings longer than --outlier_duration_ms at pauses (WebRTC VAD); shorter ones whole.")
@option("--vad_aggressiveness", type=click.IntRange(0, 3), default=3,
        help="0 calls the most frames voiced, 3 the fewest.")
@option("--vad_padding_ms", type=click.IntRange(min=0), default=300,
        help="Audio kept on both sides of each voiced run; runs closer than twice this stay together.")
@option("--outlier_duration_ms", type=click.IntRange(min=300), default=10000,
        help="Recordings up to this long are transcribed whole; longer segments are cut at their longest pause.")
@bool_option("--tlog", help="Write <audio>.tlog (JSON list of start/end ms and transcript) beside each file.")
@bool_option("--force", help="Overwrite existing .tlog files.")
@option("--json", "as_json", is_flag=True, help="Print JSON: segments with per-token start times.")
@bool_option("--show_progressbar", default=True, help="Progress bar over files (only on a terminal).")
@decode_options
@click.pass_context
def transcribe_command(ctx: click.Context, model: str, audio: tuple[str, ...], recursive: bool, vad: bool,
                       vad_aggressiveness: int, vad_padding_ms: int, outlier_duration_ms: int, tlog: bool,
                       force: bool, as_json: bool, show_progressbar: bool, decoder: str,
                       **decoding_flags: Any) -> None:
    """Transcribe AUDIO files or folders with MODEL (export dir, .tflite, SavedModel or checkpoint dir)."""
    from sttx.core.contract.decoding import DecodeSettings
    from sttx.core.evaluation.decoders import choose_decoder

    decoding = choose_decoder(plugin_manager(ctx).registries().decoders, decoder or None,
                              DecodeSettings(**decoding_flags))
    load_tensorflow()
    from sttx.core.inference.transcribe import transcribe_paths
    from sttx.core.inference.vad import VadOptions

    options = None
    if vad:
        options = VadOptions(aggressiveness=vad_aggressiveness, padding_ms=vad_padding_ms,
                             outlier_duration_ms=outlier_duration_ms)
    results = transcribe_paths(model, audio, recursive=recursive, vad=options, tlog=tlog, force=force,
                               progress=None if show_progressbar else False, decoding=decoding)
    if as_json:
        rows = [{"path": str(r.path), "transcript": r.text, "segments": [s.as_json() for s in r.segments]}
                for r in results]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for result in results:
        click.echo(result.text if len(results) == 1 else f"{result.path}\t{result.text}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx transcribe``."""
    cli.add_command(transcribe_command)
