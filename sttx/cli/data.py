"""`sttx data`: convert collections between formats, write a data set's alphabet, and pre-flight check it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from sttx import hookimpl
from sttx.cli.base import SttxGroup
from sttx.cli.options import bool_option, option
from sttx.cli.types import AlphabetPath, CollectionPath, FileListType, plugin_manager
from sttx.core.contract.errors import UsageError

_DEFAULT_JOBS = min(4, os.cpu_count() or 1)


def _progress(show: bool) -> bool | None:
    """None lets tqdm decide (a bar only on a terminal); False hides it."""
    return None if show else False


@click.group("data", cls=SttxGroup)
def data_group() -> None:
    """Work with sample collections (CSV, SDB, JSONL): convert, alphabet, check."""


@data_group.command("convert")
@click.argument("sources", nargs=-1, required=True, type=CollectionPath())
@click.argument("target")
@option("--audio_type", type=click.Choice(["wav", "opus"]), default=None, help="SDB audio encoding [default: wav].")
@option("--bitrate", type=click.IntRange(min=500), default=None, help="Opus bitrate in bit/s.")
@option("--jobs", type=click.IntRange(min=1), default=_DEFAULT_JOBS, help="Parallel decoders.")
@option("--audio_sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate of the written audio.")
@bool_option("--absolute_paths", help="Write absolute audio paths into a CSV/JSONL target.")
@option("--shards", type=click.IntRange(min=1), default=None,
        help="TFRecord shards of a .shards.json target (sample i goes to shard i mod N) [default: 1].")
@bool_option("--show_progressbar", default=True, help="Show a progress bar on a terminal.")
@click.pass_context
def convert_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    target: str,
    audio_type: str | None,
    bitrate: int | None,
    jobs: int,
    audio_sample_rate: int,
    absolute_paths: bool,
    shards: int | None,
    show_progressbar: bool,
) -> None:
    """Convert SOURCES (CSV/SDB/JSONL/shards, comma lists allowed) into TARGET, its format chosen by extension.

    A .csv or .jsonl target gets its WAV files in a folder named after it; a .sdb target holds the audio itself;
    a .shards.json target is an index beside --shards TFRecord files (for multi-worker training).
    """
    from sttx.core.data.convert import convert

    options = {"audio_type": audio_type, "bitrate": bitrate, "absolute_paths": absolute_paths or None,
               "shards": shards}
    formats = plugin_manager(ctx).registries().sample_formats
    summary = convert(
        sources,
        target,
        formats,
        options=options,
        jobs=jobs,
        sample_rate=audio_sample_rate,
        progress=_progress(show_progressbar),
    )
    click.echo(summary.format())


@data_group.command("serve")
@bool_option("--dispatcher", help="Run the tf.data service dispatcher (one per cluster).")
@bool_option("--worker", help="Run a tf.data service worker (as many as the input needs).")
@option("--port", type=click.IntRange(0, 65535), default=5050, help="Port to serve on (0: any free one).")
@option("--dispatcher_address", default="", help="A worker's dispatcher, HOST:PORT.")
@option("--worker_address", default="", help="HOST:PORT the dispatcher reaches this worker at [default: "
        "localhost:PORT].")
def serve_command(dispatcher: bool, worker: bool, port: int, dispatcher_address: str, worker_address: str) -> None:
    """Serve the training input on tf.data service: `sttx train --data_service grpc://HOST:PORT` then decodes,
    augments, computes features and batches there (sharded corpora only; see docs/cluster.md)."""
    if dispatcher == worker:
        raise UsageError("give exactly one of --dispatcher and --worker")
    from sttx.core.data.service import start_server
    from sttx.core.tf_runtime import load_tensorflow

    load_tensorflow()
    role = "dispatcher" if dispatcher else "worker"
    server = start_server(role, port=port, dispatcher=dispatcher_address, worker_address=worker_address)
    click.echo(f"tf.data service {role} serving on port {port}" + (f" for {dispatcher_address}" if worker else ""))
    server.join()


@data_group.command("alphabet")
@click.argument("files", nargs=-1, required=True, type=CollectionPath())
@option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write (default: stdout)."
)
@click.pass_context
def alphabet_command(ctx: click.Context, files: tuple[str, ...], output: Path | None) -> None:
    """Write the alphabet of every transcript in FILES (one label per character, in codepoint order)."""
    from sttx.core.data.datacheck import dataset_alphabet

    alphabet, not_nfc = dataset_alphabet(files, plugin_manager(ctx).registries().sample_formats)
    if not_nfc:
        click.echo(f"warning: {len(not_nfc)} transcripts are not NFC-normalised; their alphabet may differ:", err=True)
        for problem in not_nfc[:10]:
            click.echo(f"  {problem.where}: {problem.detail}", err=True)
    if output is None:
        click.echo(alphabet.to_text(), nl=False)
    else:
        alphabet.write(output)
        click.echo(f"wrote {alphabet.size} labels to {output}", err=True)


@data_group.command("check")
@click.argument("files", nargs=-1, type=CollectionPath())
@option("--train_files", type=FileListType(), default=None, help="Training collections (checked for overlap).")
@option("--dev_files", type=FileListType(), default=None, help="Validation collections.")
@option("--test_files", type=FileListType(), default=None, help="Test collections.")
@option("--alphabet_config_path", type=AlphabetPath(dir_okay=False), default=None, help="Alphabet file.")
@bool_option("--bytes_output_mode", help="Check against UTF-8 bytes output (256 classes) instead of an alphabet.")
@option("--audio_sample_rate", type=click.IntRange(min=1000), default=16000, help="Rate the features use.")
@option("--jobs", type=click.IntRange(min=1), default=_DEFAULT_JOBS, help="Parallel decoders.")
@option("--max_rows", type=click.IntRange(min=0), default=20, help="Rows listed per kind of problem.")
@option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@bool_option("--show_progressbar", default=True, help="Show a progress bar on a terminal.")
@click.pass_context
def check_command(
    ctx: click.Context,
    files: tuple[str, ...],
    train_files: list[str] | None,
    dev_files: list[str] | None,
    test_files: list[str] | None,
    alphabet_config_path: str | None,
    bytes_output_mode: bool,
    audio_sample_rate: int,
    jobs: int,
    max_rows: int,
    as_json: bool,
    show_progressbar: bool,
) -> None:
    """Pre-flight report of a data set; exits 1 when it finds rows that would break training.

    FILES named after a split (train.csv, cv-dev.sdb, test_clean.jsonl) count as that split for the overlap check.

    Blocking: unreadable audio, empty transcripts, characters outside the alphabet, rows too short for their
    transcript under CTC, and the same audio in more than one of train/dev/test.
    """
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.datacheck import check_data, group_by_split

    splits = group_by_split(files)
    for name, paths in {"train": train_files, "dev": dev_files, "test": test_files}.items():
        splits[name] = splits.get(name, []) + (paths or [])
    splits = {name: paths for name, paths in splits.items() if paths}
    if not splits:
        raise UsageError("give collection FILES, or --train_files/--dev_files/--test_files")
    alphabet = load_alphabet(alphabet_config_path, bytes_output_mode)
    formats = plugin_manager(ctx).registries().sample_formats
    progress = _progress(show_progressbar)
    report = check_data(splits, formats, alphabet, sample_rate=audio_sample_rate, jobs=jobs, progress=progress)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.format(max_rows))
    if report.blocking:
        ctx.exit(1)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add the ``sttx data`` group."""
    cli.add_command(data_group)
