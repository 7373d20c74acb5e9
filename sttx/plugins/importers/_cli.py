"""Options every ``sttx import NAME`` command shares (DeepSpeech's importer flags), and printing the report."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sttx.api import AlphabetPath, bool_option, option, plugin_manager

if TYPE_CHECKING:
    from sttx.core.data.importing import ImportReport
    from sttx.plugins.importers._common import ImportOptions

_DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))
_COMMON = ("audio_format", "sample_rate", "jobs", "max_secs", "filter_alphabet", "normalize",
           "validate_label_locale", "space_after_every_character", "absolute_paths", "show_progressbar")


def import_options(command: Callable[..., Any], *, max_secs: float = 10.0) -> Callable[..., Any]:
    """Decorate an importer command with the shared flags (read back with :func:`build_options`)."""
    decorators = [
        option("--audio_format", type=click.Choice(["wav", "flac"]), default="wav", help="Format of converted clips."),
        option("--sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate of converted clips (Hz)."),
        option("--jobs", type=click.IntRange(min=1), default=_DEFAULT_JOBS, help="Parallel conversion processes."),
        option("--max_secs", type=click.FloatRange(min=0, min_open=True), default=max_secs,
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


def sets_option() -> Callable[[Any], Any]:
    """``--sets``: which of the sets the corpus defines to import."""
    return option("--sets", default=None, help="Comma-separated sets (train,dev,test) [default: all found].")


def corpus_command(name: str, prepare: Callable[..., ImportReport], help_text: str, *,
                   extra: Sequence[Callable[[Any], Any]] = (), split_unit: str | None = None,
                   max_secs: float = 10.0) -> click.Command:
    """The command ``sttx import NAME CORPUS``: the corpus folder or archive, ``--out_dir``, ``--extract_dir``,
    the ``extra`` options, ``--dev_percent``/``--test_percent`` of the ``split_unit`` (speakers, clips) when the
    importer splits the corpus itself, and the shared flags. It calls ``prepare(corpus, out_dir=...,
    extract_dir=..., options=..., **extra values)``."""

    @click.pass_context
    def run(ctx: click.Context, corpus: Path, **values: Any) -> None:
        options = build_options(ctx, values)
        echo_report(prepare(corpus, options=options, **values))

    held_out = [option(f"--{which}_percent", type=click.FloatRange(0, 50), default=10.0,
                       help=f"Share of the {split_unit} held out for {which}.") for which in ("dev", "test")]
    decorators = [
        click.argument("corpus", type=click.Path(exists=True, path_type=Path)),
        option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
               help="Where the CSVs, converted clips and import_report.json go [default: CORPUS/sttx_import]."),
        option("--extract_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
               help="Where an archive CORPUS is extracted [default: beside it, named without the suffix]."),
        *extra,
        *(held_out if split_unit else []),
    ]
    command = import_options(run, max_secs=max_secs)  # applied first, so listed after the corpus's own options
    for decorator in reversed(decorators):
        command = decorator(command)
    return click.command(name, help=help_text)(command)
