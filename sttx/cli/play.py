"""`sttx play SOURCE`: hear (or write) clips with augmentations applied, as DeepSpeech's bin/play.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sttx import hookimpl
from sttx.cli.augment_options import legacy_augmentation_options, pop_legacy_augmentations
from sttx.cli.options import bool_option, option
from sttx.cli.types import AugmentationType, CollectionPath, plugin_manager

FALLBACK_DIR = Path("sttx-play")


@click.command("play")
@click.argument("source", type=CollectionPath(audio_ok=True))
@option("--augment", "augment", type=AugmentationType(), multiple=True, help="name[key=value,...]; repeatable.")
@option("--start", type=click.IntRange(min=0), default=0, help="First sample to take (after --random shuffles).")
@option("--number", type=click.IntRange(min=-1), default=-1, help="How many samples to take (-1: all).")
@bool_option("--random", help="Shuffle the samples (seeded by --seed).")
@option("--clock", type=click.FloatRange(0.0, 1.0), default=0.5, help="Where value ranges stand, 0 to 1.")
@option("--seed", type=int, default=4568, help="Seed of the per-sample augmentation draws.")
@option("--audio_sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate to decode and play at.")
@option("--output", type=click.Path(path_type=Path), default=None, help="Write wav: FILE.wav (all clips) or DIR.")
@bool_option("--pipe", help="Write one streaming wav to stdout (e.g. | aplay); the report goes to stderr.")
@bool_option("--quiet", help="Do not print what fired on each clip.")
@legacy_augmentation_options(hidden=True)
@click.pass_context
def play_command(ctx: click.Context, source: str, augment: tuple[Any, ...], **kwargs: Any) -> None:
    """Play SOURCE (a wav/flac file or a CSV/SDB/JSONL collection) with --augment applied.

    Waveform augmentations (sample and signal domain) are applied with the per-sample seeds training uses at
    epoch 0; spectrogram and feature augmentations cannot be heard and are skipped with a note. Plays through
    the sound device when the optional `sounddevice` package and a device are present, else writes wav files.
    """
    from sttx.core.data import play

    registry = plugin_manager(ctx).registries().augmentations
    augmentations = list(augment) + [registry.parse(spec) for spec in pop_legacy_augmentations(kwargs)]
    refs = play.source_refs(source, plugin_manager(ctx).registries().sample_formats)
    indices = play.select(len(refs), kwargs["start"], kwargs["number"], kwargs["random"], kwargs["seed"])
    _, skipped = play.audible(augmentations)
    if skipped:
        click.echo(f"not audible, skipped: {', '.join(skipped)} (spectrogram/feature domain)", err=True)
    unreadable: list[Any] = []
    decoding = play.render(
        refs,
        indices,
        augmentations,
        sample_rate=kwargs["audio_sample_rate"],
        clock=kwargs["clock"],
        seed=kwargs["seed"],
        unreadable=unreadable,
    )
    clips = play.first_decoded(decoding, unreadable, source)  # before a wav header or an output dir is written
    report = (lambda clip: None) if kwargs["quiet"] else (lambda clip: click.echo(clip.describe(), err=kwargs["pipe"]))
    if kwargs["pipe"]:
        for clip in play.pipe_clips(clips, sys.stdout.buffer, kwargs["audio_sample_rate"]):
            report(clip)
    elif kwargs["output"] is not None:
        rendered = list(clips)
        for clip in rendered:
            report(clip)
        click.echo(f"wrote {len(play.write_clips(rendered, kwargs['output']))} file(s) to {kwargs['output']}", err=True)
    else:
        _play_or_write(clips, report)
    for error in unreadable:
        click.echo(f"skipped: {error}", err=True)
    if unreadable:
        click.echo(f"skipped {len(unreadable)} unreadable clip(s)", err=True)


def _play_or_write(clips: Any, report: Any) -> None:
    """Play each clip; from the first one that cannot be played on, write wav files instead."""
    from sttx.core.data import play

    pending: list[Any] = []
    for clip in clips:
        report(clip)
        if pending or not play.play_clip(clip):
            pending.append(clip)
    if pending:
        written = play.write_clips(pending, FALLBACK_DIR)
        click.echo(
            f"no sound device (install sounddevice, or use --output/--pipe): wrote {len(written)} file(s) to "
            f"{FALLBACK_DIR}/",
            err=True,
        )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx play``."""
    cli.add_command(play_command)
