"""NeMo-style JSON-lines manifests (audio_filepath, text, duration, optional offset) as a sample format plugin."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sttx import hookimpl
from sttx.core.contract.errors import DataError
from sttx.core.contract.registry import SampleFormat
from sttx.core.contract.samples import SampleRef
from sttx.core.data.sources import FileAudio
from sttx.plugins.formats.common import AudioFolder, file_size, resolve_audio_path

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import Sample

_BYTES_PER_SECOND = 32000  # 16 kHz 16-bit mono: a WAV-equivalent size, so rows sort like DeepSpeech's CSV rows


def _number(entry: dict[str, Any], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise DataError(f"{where}: {key} {value!r} is not a non-negative number of seconds")
    return float(value)


def _entry(line: str, where: str) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(f"{where}: not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(entry, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(entry).__name__}")
    for key in ("audio_filepath", "text"):
        if not isinstance(entry.get(key), str) or (key == "audio_filepath" and not entry[key]):
            raise DataError(f"{where}: missing or non-string {key!r}")
    return entry


def _ref(entry: dict[str, Any], base: str, where: str) -> SampleRef:
    audio_path = resolve_audio_path(entry["audio_filepath"], base)
    duration = _number(entry, "duration", where)
    offset = _number(entry, "offset", where) or 0.0
    size = round(duration * _BYTES_PER_SECOND) + 44 if duration is not None else file_size(audio_path)
    sample_id = f"{audio_path}@{offset:g}" if offset else audio_path  # segments of one file need distinct ids
    audio = FileAudio(audio_path, offset, duration)
    return SampleRef(id=sample_id, transcript=entry["text"], audio=audio, size=size, duration=duration, origin=where)


def read_jsonl(path: Path) -> Iterator[SampleRef]:
    """One SampleRef per non-blank line; relative audio paths are resolved against the manifest's folder."""
    base = str(Path(path).parent)
    with Path(path).open("rb") as handle:  # decoded line by line, so a bad byte is reported with its row
        for number, raw in enumerate(handle, start=1):
            where = f"{path} row {number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise DataError(f"{where}: not UTF-8 text") from None
            if line.strip():
                yield _ref(_entry(line, where), base, where)


def write_jsonl(samples: Iterable[Sample], path: Path, *, absolute_paths: bool = False) -> int:
    """Write WAV files into a folder named after the manifest, and one JSON line per sample; returns the count."""
    path = Path(path)
    folder = AudioFolder(path, absolute_paths)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for count, sample in enumerate(samples, start=1):
            audio_path, _ = folder.save(count - 1, sample)
            entry = {"audio_filepath": audio_path, "text": sample.transcript or "", "duration": sample.duration}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return count


@hookimpl
def register_sample_formats(register: SampleFormatRegistry) -> None:
    """NeMo manifests (.jsonl, and .json as NeMo names them)."""
    register.add(
        "jsonl",
        SampleFormat(extensions=(".jsonl", ".json"), read=read_jsonl, write=write_jsonl, description="NeMo manifest"),
    )
