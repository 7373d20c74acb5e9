"""Options every ``sttx import NAME`` command shares (DeepSpeech's importer flags), and printing the report."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sttx.cli.options import bool_option, option
from sttx.cli.types import AlphabetPath, plugin_manager

if TYPE_CHECKING:
    from sttx.core.data.importing import ImportReport
    from sttx.plugins.importers._common import ImportOptions

_DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))
_COMMON = ("audio_format", "sample_rate", "jobs", "max_secs", "filter_alphabet", "normalize",
           "validate_label_locale", "space_after_every_character", "absolute_paths", "show_progressbar")


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an importer command with the shared flags (read back with :func:`build_options`)."""
    decorators = [
        option("--audio_format", type=click.Choice(["wav", "flac"]), default="wav", help="Format of converted clips."),
        option("--sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate of converted clips (Hz)."),
        option("--jobs", type=click.IntRange(min=1), default=_DEFAULT_JOBS, help="Parallel conversion processes."),
        option("--max_secs", type=click.FloatRange(min=0, min_open=True), default=10.0,
               help="Skip clips longer than this (seconds)."),
        option("--filter_alphabet", type=AlphabetPath(dir_okay=False, path_type=Path), default=None,
               help="Skip rows whose label this alphabet file cannot encode."),
        bool_option("--normalize", help="NFKD-normalise labels to ASCII before validating them."),
        option("--validate_label_locale", default=None,
               help="Label validator: a registered locale (en, ...) or a .py file defining validate_label(label) "
                    "[default: en]."),
        bool_option("--space_after_every_character", help="Write labels with a space after every character."),
        bool_option("--absolute_paths", help="Write absolute clip paths into the CSVs."),
        bool_option("--show_progressbar", default=True, help="Show a progress bar on a terminal."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def build_options(ctx: click.Context, values: dict[str, Any]) -> ImportOptions:
    """Pop the shared flags out of ``values`` into an ImportOptions (resolving the validator and alphabet)."""
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.importing import LabelFilter, resolve_label_validator
    from sttx.plugins.importers._common import ImportOptions

    flags = {name: values.pop(name) for name in _COMMON}
    registry = plugin_manager(ctx).registries().label_validators
    alphabet = load_alphabet(flags["filter_alphabet"]) if flags["filter_alphabet"] else None
    label_filter = LabelFilter(validate=resolve_label_validator(flags["validate_label_locale"], registry),
                               normalize=flags["normalize"], alphabet=alphabet)
    return ImportOptions(
        label_filter=label_filter, audio_format=flags["audio_format"], sample_rate=flags["sample_rate"],
        max_secs=flags["max_secs"], jobs=flags["jobs"],
        space_after_every_character=flags["space_after_every_character"], absolute_paths=flags["absolute_paths"],
        show_progress=None if flags["show_progressbar"] else False,
    )


def echo_report(report: ImportReport) -> None:
    """DeepSpeech's report for each output collection, then where the files went."""
    for name in report.outcomes:
        click.echo(report.text(name))
    train_all = report.notes.get("train_all")
    if train_all:
        click.echo(f"train-all: {train_all['rows']} samples (validated minus {train_all['held_out']} that share a "
                   "speaker or a sentence with dev or test).")
    for name, path in report.files.items():
        click.echo(f"Wrote {name}: {path}")
