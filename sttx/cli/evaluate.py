"""`sttx evaluate`: WER, CER and loss of a checkpoint on test files, with DeepSpeech's report and JSON output."""

from __future__ import annotations

import click

from sttx import hookimpl
from sttx.cli.decode_options import decode_options
from sttx.cli.options import bool_option, option
from sttx.cli.types import AlphabetPath, FileListType, plugin_manager
from sttx.core.tf_runtime import load_tensorflow
from sttx.core.training.checkpoint_dirs import default_load_dir


@click.command("evaluate")
@option("--test_files", type=FileListType(), required=True, help="Collections to evaluate (comma-separated).")
@option("--checkpoint_dir", "--load_checkpoint_dir", "checkpoint_dir", default=None, show_default=False,
        type=click.Path(file_okay=False, exists=True),
        help="The training run's checkpoint dir [default: $XDG_DATA_HOME/sttx/checkpoints, where `sttx train` "
             "saves without one].")
@option("--load_evaluate", type=click.Choice(["auto", "best", "last"]), default="auto",
        help="Which checkpoint: auto = best dev, else the latest.")
@option("--test_batch_size", type=click.IntRange(min=1), default=1, help="Samples per batch.")
@option("--report_count", type=click.IntRange(min=0), default=5, help="Best, median and worst samples printed.")
@option("--test_output_file", default="", show_default=False, type=click.Path(dir_okay=False),
        help="Write every sample's result to this JSON file.")
@option("--alphabet_config_path", default="", show_default=False, type=AlphabetPath(dir_okay=False),
        help="Alphabet to decode with [default: the checkpoint's alphabet.txt].")
@bool_option("--bytes_output_mode", help="Check that the checkpoint outputs UTF-8 bytes.")
@option("--limit_test", type=click.IntRange(min=0), default=0, help="At most this many samples per file (0: all).")
@bool_option("--reverse_test", help="With --limit_test, keep the longest samples instead of the shortest.")
@option("--n_hidden", type=click.IntRange(min=1), default=None, help="Layer width [default: the checkpoint's].")
@option("--audio_sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate the model expects.")
@bool_option("--show_progressbar", default=True, help="Show a progress bar on a terminal.")
@decode_options
@click.pass_context
def evaluate_command(ctx: click.Context, **settings: object) -> None:
    """Evaluate a checkpoint on --test_files: per-file WER/CER/loss and best, median and worst samples."""
    if settings["checkpoint_dir"] is None:
        path, line = default_load_dir()
        click.echo(line, err=True)
        settings["checkpoint_dir"] = str(path)
    load_tensorflow()
    from sttx.core.evaluation.evaluator import format_report
    from sttx.core.training.evaluate_checkpoint import EvaluateConfig, evaluate_checkpoint

    config = EvaluateConfig(**settings)  # type: ignore[arg-type]
    result = evaluate_checkpoint(config, plugin_manager(ctx).registries())
    click.echo(format_report(result))
    if config.test_output_file:
        click.echo(f"wrote {len(result.samples)} results to {config.test_output_file}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx evaluate``."""
    cli.add_command(evaluate_command)
