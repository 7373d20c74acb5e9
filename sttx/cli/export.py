"""`sttx export`: write .tflite / SavedModel exports of a checkpoint, each checked for parity, with a model card."""

from __future__ import annotations

import logging
from typing import Any

import click

from sttx import hookimpl
from sttx.cli.options import bool_option, option
from sttx.cli.types import FileListType, RegisteredName, ScorerPath, plugin_manager
from sttx.core.tf_runtime import load_tensorflow
from sttx.core.training.checkpoint_dirs import default_load_dir

CARD_OPTIONS = (
    ("--export_author_id", "author", "Author of the model (model card)."),
    ("--export_model_name", "model", "Name of the model (model card)."),
    ("--export_model_version", "0.0.1", "Version of the model (model card)."),
    ("--export_contact_info", "<public contact information of the author>", "Contact (model card)."),
    ("--export_license", "<SPDX identifier of the license>", "License (model card)."),
    ("--export_language", "<language code>", "Language, e.g. en-US (model card)."),
    ("--export_description", "<description of the model>", "Free text (model card)."),
)


def export_options(function: Any) -> Any:
    """The export flags shared by ``sttx export`` (and usable by ``sttx train``), with Coqui's names."""
    decorators = [
        option("--export_dir", required=True, type=click.Path(file_okay=False), help="Where to write the export."),
        bool_option("--export_tflite", default=True, help="Write output_graph.tflite for libstt 1.x."),
        bool_option("--export_savedmodel", default=False, help="Write a SavedModel with serving signatures."),
        option("--export_format", "export_formats", multiple=True, type=RegisteredName("exporters"),
               help="Another registered exporter by name."),
        bool_option("--export_quantize", default=None,
                    show_default="true, as Coqui STT 1.4; false with --export_float16",
                    help="Dynamic-range int8 weights (per-tensor); --noexport_quantize writes float32."),
        bool_option("--export_float16", default=False, help="float16 weights."),
        option("--n_steps", type=click.IntRange(min=1), default=16, help="Time steps per acoustic-model call."),
        option("--export_beam_width", type=click.IntRange(min=1), default=500, help="Default beam for libstt."),
        option("--export_file_name", default="output_graph", help="File name of the .tflite (no extension)."),
        bool_option("--export_zip", default=False, help="Zip the export dir (with the scorer) to <export_dir>.zip."),
        bool_option("--remove_export", default=False, help="Delete the export dir first."),
        option("--scorer_path", "--scorer", "scorer_path", type=ScorerPath(dir_okay=False),
               default=None, help="Scorer to bundle as exported.scorer."),
        option("--export_min_stt_version", "--export_min_ds_version", "export_min_stt_version", default="1.0.0",
               help="Oldest libstt the model supports (model card)."),
        option("--export_max_stt_version", "--export_max_ds_version", "export_max_stt_version", default="1.9.9",
               help="Newest libstt the model supports (model card)."),
        *(option(name, default=default, help=text) for name, default, text in CARD_OPTIONS),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def run_export_command(ctx: click.Context, source: Any, settings: dict[str, Any]) -> None:
    """Shared by the commands: pick the formats, export, print what was written."""
    from sttx.core.inference.export import export_model, formats_from_flags

    by_default = ctx.get_parameter_source("export_tflite") not in (click.core.ParameterSource.COMMANDLINE,
                                                                   click.core.ParameterSource.ENVIRONMENT)
    formats = formats_from_flags(settings.pop("export_tflite"), settings.pop("export_savedmodel"),
                                 settings.pop("export_formats"))
    logging.getLogger("sttx.plugins.exporters").setLevel(logging.INFO)
    result = export_model(
        source,
        settings,
        settings["export_dir"],
        formats,
        registry=plugin_manager(ctx).registries().exporters,
        scorer_path=settings.get("scorer_path"),
        zip_it=settings["export_zip"],
        remove_export=settings["remove_export"],
        tflite_by_default=by_default,
    )
    for name, paths in result.files.items():
        click.echo(f"{name}: {', '.join(str(path) for path in paths)}")
    click.echo(f"model card: {result.model_card}")
    if result.zip_file:
        click.echo(f"zip: {result.zip_file}")


@click.command("export")
@option("--checkpoint_dir", "--load_checkpoint_dir", "checkpoint_dir", default=None, show_default=False,
        type=click.Path(file_okay=False, exists=True),
        help="sttx or DeepSpeech/Coqui checkpoint dir [default: $XDG_DATA_HOME/sttx/checkpoints].")
@option("--dev_files", type=FileListType(), default="", help="CSV whose first clips the parity check runs.")
@export_options
@click.pass_context
def export_command(ctx: click.Context, checkpoint_dir: str | None, dev_files: list[str], **settings: Any) -> None:
    """Export a checkpoint for inference; every export is checked against the checkpoint right away."""
    if checkpoint_dir is None:
        path, line = default_load_dir()
        click.echo(line, err=True)
        checkpoint_dir = str(path)
    load_tensorflow()
    from sttx.core.inference.model_source import ExportSource

    source = ExportSource.from_checkpoint_dir(checkpoint_dir, dev_files=tuple(dev_files))
    run_export_command(ctx, source, settings)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx export``."""
    cli.add_command(export_command)
