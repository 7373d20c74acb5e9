"""The Hugging Face importer (``sttx import hf``): a local save_to_disk folder or parquet files -> a CSV per split."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, SourceRow, write_csv
from sttx.plugins.importers._hf_read import TEXT_COLUMNS, SplitFiles, audio_of, columns_of, find_splits, open_batches
from sttx.plugins.importers._spans import Recording, SpanConverter, SpanRow, import_spans

DEFAULT_OUT = "sttx_import"
_CHUNK_ROWS = 256  # rows converted per round: bounds the audio bytes held in memory


def pick_columns(file: Path, audio: str, text: str | None, speaker: str | None) -> list[str]:
    """[audio, text, speaker?] as present in ``file``; a missing column is an error listing the ones it has."""
    names = columns_of(file)
    chosen = text or next((name for name in TEXT_COLUMNS if name in names), TEXT_COLUMNS[0])
    for flag, column in (("--audio_column", audio), ("--text_column", chosen), ("--speaker_column", speaker)):
        if column is not None and column not in names:
            raise CorpusError(f"{file}: no column {column!r} (it has {', '.join(names)}); name one with {flag}")
    return [audio, chosen] + ([speaker] if speaker else [])


def split_rows(split: SplitFiles, clips: Path, suffix: str, columns: list[str], root: Path) -> Iterator[SpanRow]:
    """One SpanRow per dataset row, numbered from 0 across the split's files; clips named by that number.

    A cell without bytes is read from its path; a relative path starts at ``root`` (the dataset's folder).
    """
    index = 0
    for file in split.files:
        pick_columns(file, columns[0], columns[1], columns[2] if len(columns) > 2 else None)
        for batch in open_batches(file, columns):
            for record in batch:
                yield _row(split.name, (file, root), index, record, columns, clips / f"{index:07d}{suffix}")
                index += 1


def _row(split: str, where: tuple[Path, Path], index: int, record: dict, columns: list[str], output: Path
         ) -> SpanRow:
    file, root = where
    found = audio_of(record.get(columns[0]), f"{file.name} row {index}", root)
    cell = record.get(columns[0])
    shown = (cell.get("path") if isinstance(cell, dict) else None) or f"row {index}"
    speaker = str(record.get(columns[2]) or "") if len(columns) > 2 else ""
    row = SourceRow(collection=split, source=file.name, line=index, audio=None, audio_text=str(shown),
                    sentence=str(record.get(columns[1]) or "").strip(), speaker=speaker)
    if isinstance(found, Recording):
        return SpanRow(row=row, output=output, recording=found)
    return SpanRow(row=row, output=output, skip=found)


def _chunks(rows: Iterator[SpanRow], size: int) -> Iterator[list[SpanRow]]:
    chunk: list[SpanRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prepare_hf(
    dataset: str | Path,
    *,
    splits: Sequence[str] | None = None,
    audio_column: str = "audio",
    text_column: str | None = None,
    speaker_column: str | None = None,
    out_dir: str | Path | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a local Hugging Face dataset into ``<out_dir>/<split>.csv`` with clips in ``clips/<split>/``.

    Audio is decoded from the stored bytes of the Audio column ({bytes, path}; a path when there are no bytes).
    ``text_column`` None takes the first of text, sentence, transcription, ... that the dataset has.
    """
    options = options or ImportOptions()
    found = find_splits(dataset)
    chosen = list(found) if splits is None else list(splits)
    unknown = [name for name in chosen if name not in found]
    if unknown:
        raise CorpusError(f"{dataset}: no split {', '.join(unknown)}; it has {', '.join(found)}")
    root = Path(dataset) if Path(dataset).is_dir() else Path(dataset).parent
    out = Path(out_dir) if out_dir else root / DEFAULT_OUT
    columns = {name: pick_columns(found[name].files[0], audio_column, text_column, speaker_column) for name in chosen}
    report = ImportReport("hf", str(dataset), options.max_secs, outcomes={name: [] for name in chosen})
    with SpanConverter(options) as converter:
        for name in chosen:
            rows = split_rows(found[name], out / "clips" / name, "." + options.audio_format, columns[name], root)
            for chunk in _chunks(rows, _CHUNK_ROWS):
                report.add(import_spans(chunk, options, converter))
    for name in chosen:
        report.files[name] = str(write_csv(out / f"{name}.csv", report.outcomes[name],
                                           absolute_paths=options.absolute_paths))
    report.notes["columns"] = {name: columns[name] for name in chosen}
    report.write(out / "import_report.json")
    return report


@click.command("hf")
@click.argument("dataset")
@option("--split", "splits", default=None, help="Comma-separated splits to import [default: every split found].")
@option("--audio_column", default="audio", help="The Audio column ({bytes, path}), or a column of paths or bytes.")
@option("--text_column", default=None, help=f"The transcript column [default: the first of {', '.join(TEXT_COLUMNS)}].")
@option("--speaker_column", default=None, help="A speaker column, recorded in the report.")
@option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"Where the CSVs and converted clips go [default: {DEFAULT_OUT}/ in or beside DATASET].")
@import_options
@click.pass_context
def hf_command(ctx: click.Context, dataset: str, splits: str | None, audio_column: str, text_column: str | None,
               speaker_column: str | None, out_dir: Path | None, **flags: object) -> None:
    """Import a LOCAL Hugging Face dataset: a save_to_disk folder, a folder of parquet files, or one file.

    Nothing is downloaded: a hub name is refused; save the dataset or download its parquet files first.
    """
    options = build_options(ctx, flags)
    names = [name.strip() for name in splits.split(",") if name.strip()] if splits else None
    echo_report(prepare_hf(dataset, splits=names, audio_column=audio_column, text_column=text_column,
                           speaker_column=speaker_column, out_dir=out_dir, options=options))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("hf", Importer(prepare=prepare_hf, command=hf_command,
                                description="local Hugging Face datasets (save_to_disk folders or parquet files)"))
