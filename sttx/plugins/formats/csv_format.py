"""DeepSpeech/Coqui training CSV (wav_filename, wav_filesize, transcript) as a sample format plugin."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sttx import hookimpl
from sttx.core.contract.errors import DataError
from sttx.core.contract.registry import SampleFormat
from sttx.core.contract.samples import SampleRef
from sttx.core.data.sources import FileAudio
from sttx.plugins.formats.common import AudioFolder, file_size, resolve_audio_path

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import Sample

COLUMNS = ("wav_filename", "wav_filesize", "transcript")
REQUIRED = ("wav_filename", "transcript")


def _open_rows(path: Path) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(row number counted from 1 after the header, row) pairs; a missing column is a DataError."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            missing = [column for column in REQUIRED if column not in (reader.fieldnames or [])]
            if missing:
                found = f"found {reader.fieldnames}" if reader.fieldnames else "the file is empty"
                raise DataError(f"{path} header: missing column(s) {', '.join(missing)}; {found}")
            yield from enumerate(reader, start=1)
        except csv.Error as error:
            raise DataError(f"{path} row {reader.line_num}: {error}") from None
        except UnicodeDecodeError:
            # a binary file, or a CSV saved in a legacy code page: name the line, not a decoder traceback
            raise DataError(f"{path} line {_first_undecodable_line(path)}: not UTF-8 text") from None


def _first_undecodable_line(path: Path) -> int:
    """The 1-based number of the first line that is not valid UTF-8 (the decoder reads ahead in blocks)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _size(value: str | None, audio_path: str, where: str) -> int:
    if value is None or not value.strip():
        return file_size(audio_path)  # DeepSpeech reads 0 here; the real size keeps the size ordering meaningful
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{where}: wav_filesize {value!r} is not an integer") from None


def read_csv(path: Path) -> Iterator[SampleRef]:
    """One SampleRef per row; relative wav_filename values are resolved against the CSV's folder."""
    base = str(path.parent)
    for row_number, row in _open_rows(path):
        where = f"{path} row {row_number}"
        name, transcript = row.get("wav_filename"), row.get("transcript")
        if not name or transcript is None:
            raise DataError(f"{where}: no {'wav_filename' if not name else 'transcript'} value")
        audio_path = resolve_audio_path(name, base)
        size = _size(row.get("wav_filesize"), audio_path, where)
        yield SampleRef(id=audio_path, transcript=transcript, audio=FileAudio(audio_path), size=size, origin=where)


def write_csv(samples: Iterable[Sample], path: Path, *, absolute_paths: bool = False) -> int:
    """Write WAV files into a folder named after the CSV, and the CSV listing them; returns the row count."""
    path = Path(path)
    folder = AudioFolder(path, absolute_paths)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for count, sample in enumerate(samples, start=1):
            audio_path, size = folder.save(count - 1, sample)
            writer.writerow([audio_path, size, sample.transcript or ""])
    return count


@hookimpl
def register_sample_formats(register: SampleFormatRegistry) -> None:
    """The DeepSpeech training CSV."""
    register.add(
        "csv",
        SampleFormat(extensions=(".csv",), read=read_csv, write=write_csv, description="DeepSpeech/Coqui CSV"),
    )
