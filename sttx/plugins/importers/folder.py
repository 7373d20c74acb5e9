"""The folder importer (``sttx import folder``): audio files with sibling .txt transcripts, or a CSV/TSV manifest."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, SourceRow, import_rows, write_csv

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus")
PATH_COLUMNS = ("path", "wav_filename", "audio", "file", "filename", "audio_filepath")
TEXT_COLUMNS = ("text", "transcript", "sentence", "label")
DEFAULT_OUT = "sttx_import"


def scan_folder(root: Path, skip: Path) -> list[SourceRow]:
    """Every audio file under ``root`` (but not under ``skip``) with its sibling .txt; a .txt without audio too."""
    try:
        files = sorted(path for path in root.rglob("*") if path.is_file() and skip not in path.parents)
    except OSError as error:
        raise CorpusError(f"{root}: cannot read ({error})") from None
    audio = {path.with_suffix(""): path for path in files if path.suffix.lower() in AUDIO_SUFFIXES}
    texts = {path.with_suffix(""): path for path in files if path.suffix.lower() == ".txt"}
    if not audio and not texts:
        raise CorpusError(f"{root}: no audio files ({', '.join(AUDIO_SUFFIXES)}) and no .txt transcripts")
    rows = []
    for stem in sorted(set(audio) | set(texts)):
        clip, text = audio.get(stem), texts.get(stem)
        sentence = text.read_text(encoding="utf-8", errors="replace").strip() if text else ""
        listed = clip or stem.with_name(stem.name + ".wav")
        rows.append(SourceRow(collection=root.name, source=str((text or listed).relative_to(root)), line=1,
                              audio=clip if clip else listed, audio_text=str(listed.relative_to(root)),
                              sentence=sentence))
    return rows


def read_manifest(manifest: Path, base: Path) -> list[SourceRow]:
    """Rows of a CSV or TSV (by extension) with a path column and a text column (names as in PATH/TEXT_COLUMNS)."""
    delimiter = "\t" if manifest.suffix.lower() in (".tsv", ".tab") else ","
    try:
        with manifest.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            fields = {name.strip().lower(): name for name in reader.fieldnames or ()}
            path_key = next((fields[name] for name in PATH_COLUMNS if name in fields), None)
            text_key = next((fields[name] for name in TEXT_COLUMNS if name in fields), None)
            if path_key is None or text_key is None:
                raise CorpusError(f"{manifest}: needs a path column ({'/'.join(PATH_COLUMNS)}) and a text column "
                                  f"({'/'.join(TEXT_COLUMNS)}) in its header")
            return [_manifest_row(manifest, base, reader.line_num, record.get(path_key), record.get(text_key))
                    for record in reader]
    except OSError as error:
        raise CorpusError(f"{manifest}: cannot read ({error})") from None


def _manifest_row(manifest: Path, base: Path, line: int, path: str | None, text: str | None) -> SourceRow:
    given = (path or "").strip()
    return SourceRow(collection=manifest.stem, source=manifest.name, line=line,
                     audio=(base / given) if given else None, audio_text=given, sentence=(text or "").strip())


def prepare_folder(
    corpus: str | Path,
    *,
    manifest: str | Path | None = None,
    out_dir: str | Path | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a folder of clips into ``<out_dir>/<name>.csv`` with converted clips under ``<out_dir>/clips``.

    Without ``manifest`` each audio file's transcript is the sibling file with a .txt suffix; with one, its
    rows name the clips (relative to ``corpus``). ``out_dir`` defaults to ``<corpus>/sttx_import``.
    """
    options = options or ImportOptions()
    root = Path(corpus)
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder")
    out = Path(out_dir) if out_dir else root / DEFAULT_OUT
    rows = read_manifest(Path(manifest), root) if manifest else scan_folder(root, out)
    name = rows[0].collection if rows else (Path(manifest).stem if manifest else root.name)
    suffix = "." + options.audio_format

    def target_for(source: Path) -> Path:
        relative = source.relative_to(root) if source.is_relative_to(root) else Path(source.name)
        return out / "clips" / relative.with_suffix(suffix)

    report = ImportReport("folder", str(root), options.max_secs, outcomes={name: []})
    report.add(import_rows(rows, target_for, options))
    report.files[name] = str(write_csv(out / f"{name}.csv", report.outcomes[name],
                                       absolute_paths=options.absolute_paths))
    report.write(out / "import_report.json")
    return report


@click.command("folder")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@option("--manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
        help="CSV/TSV with a path and a text column, paths relative to CORPUS [default: sibling .txt files].")
@option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"Where the CSV and converted clips go [default: CORPUS/{DEFAULT_OUT}].")
@import_options
@click.pass_context
def folder_command(ctx: click.Context, corpus: Path, manifest: Path | None, out_dir: Path | None,
                   **flags: object) -> None:
    """Import a folder of audio files with .txt transcripts (or a --manifest) into a DeepSpeech CSV."""
    options = build_options(ctx, flags)
    echo_report(prepare_folder(corpus, manifest=manifest, out_dir=out_dir, options=options))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("folder", Importer(prepare=prepare_folder, command=folder_command,
                                    description="audio files with sibling .txt transcripts, or a CSV/TSV manifest"))
