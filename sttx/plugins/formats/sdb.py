"""DeepSpeech's Sample DataBase (.sdb), read and written in its exact big-endian layout, as a format plugin."""

from __future__ import annotations

import json
import mmap
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.errors import DataError, UsageError
from sttx.core.contract.registry import SampleFormat
from sttx.core.contract.samples import SampleRef
from sttx.core.data.audio import AudioError, AudioInfo, audio_info, encode_audio, read_audio, resample
from sttx.plugins.formats.opus_container import MIME_TYPE as OPUS_MIME
from sttx.plugins.formats.opus_container import decode_opus, encode_opus, opus_header

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import Sample

MAGIC = b"SAMPLEDB"
WAV_MIME = "audio/wav"
AUDIO_TYPES = {"wav": WAV_MIME, "opus": OPUS_MIME}
INT = struct.Struct(">I")
BIGINT = struct.Struct(">Q")
_SPEECH, _TRANSCRIPT = "speech", "transcript"


@attrs.frozen
class SDBAudio:
    """One entry's audio bytes inside an SDB file; each read opens its own handle (thread-safe)."""

    path: str
    offset: int
    length: int
    mime: str

    def read_bytes(self, name: str) -> bytes:
        """The stored audio bytes."""
        with Path(self.path).open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read(self.length)
        if len(data) != self.length:
            raise AudioError(name, f"truncated sample database (wanted {self.length} bytes, got {len(data)})")
        return data

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode the entry: WAV and other soundfile formats, or the Mozilla Opus container."""
        data = self.read_bytes(name)
        if self.mime == OPUS_MIME:
            audio, rate = decode_opus(data, name)
            if len(audio) == 0:
                raise AudioError(name, "holds no audio (0 frames)")
            return resample(audio, rate, target_rate)
        return read_audio(data, target_rate=target_rate, name=name)

    def info(self, name: str) -> AudioInfo:
        """Rate, channels and length as stored in the entry."""
        if self.mime != OPUS_MIME:
            return audio_info(self.read_bytes(name), name=name)
        with Path(self.path).open("rb") as handle:
            handle.seek(self.offset)
            pcm_len, rate, channels, width = opus_header(handle.read(10).ljust(10, b"\0"))
        frames = pcm_len // max(1, channels * width)
        return AudioInfo(frames / rate if rate else 0.0, rate, channels, frames, "MOZILLA_OPUS", "OPUS")


def _header(view: Any, path: Path) -> tuple[list[dict[str, str]], int]:
    """(schema, offset just after the meta JSON); DataError for anything that is not an SDB."""
    if len(view) < 16 or view[:8] != MAGIC:
        raise DataError(f"{path}: not a sample database (no SAMPLEDB magic)")
    (meta_len,) = BIGINT.unpack_from(view, 8)
    try:
        meta = json.loads(bytes(view[16 : 16 + meta_len]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: unreadable meta data ({error})") from None
    schema = meta.get("schema") if isinstance(meta, dict) else None
    if not isinstance(schema, list) or not schema:
        raise DataError(f"{path}: missing schema in the meta data")
    contents = [column.get("content") for column in schema]
    if _SPEECH not in contents:
        raise DataError(f"{path}: no speech data (missing in schema)")
    mime = schema[contents.index(_SPEECH)].get("mime-type", "")
    if mime != OPUS_MIME and not mime.startswith("audio/"):
        raise DataError(f"{path}: unsupported speech mime-type {mime!r}")
    return schema, 16 + meta_len


def _index(view: Any, path: Path, header_end: int) -> list[int]:
    """The absolute entry offsets from the index chunk, checked against the sample chunk."""
    try:
        chunk_len, count = BIGINT.unpack_from(view, header_end)[0], BIGINT.unpack_from(view, header_end + 8)[0]
        index_at = header_end + 8 + chunk_len
        index_len, index_count = BIGINT.unpack_from(view, index_at)[0], BIGINT.unpack_from(view, index_at + 8)[0]
        offsets = list(struct.unpack_from(f">{count}Q", view, index_at + 16))
    except struct.error:
        raise DataError(f"{path}: truncated sample database (index missing)") from None
    if index_count != count or index_len != 8 + 8 * count:
        raise DataError(f"{path}: index lists {index_count} samples, sample chunk says {count}")
    return offsets


def _wav_duration(view: Any, start: int, length: int) -> float | None:
    """Seconds of a stored WAV from its chunks, without decoding (None when it is not plain RIFF/WAVE)."""
    if length < 44 or view[start : start + 4] != b"RIFF" or view[start + 8 : start + 12] != b"WAVE":
        return None
    position, end, byte_rate = start + 12, start + length, 0
    while position + 8 <= end:
        chunk, size = bytes(view[position : position + 4]), struct.unpack_from("<I", view, position + 4)[0]
        if chunk == b"fmt ":
            byte_rate = struct.unpack_from("<I", view, position + 16)[0]
        elif chunk == b"data":
            return min(size, end - position - 8) / byte_rate if byte_rate else None
        position += 8 + size + (size & 1)
    return None


def _entry(view: Any, path: Path, index: int, offset: int, schema: list[dict[str, str]]) -> SampleRef:
    try:
        (entry_len,) = INT.unpack_from(view, offset)
        position, columns = offset + 4, {}
        for column in schema:
            (length,) = INT.unpack_from(view, position)
            columns[column.get("content")] = (position + 4, length)
            position += 4 + length
    except struct.error:
        raise DataError(f"{path}: wrong sample index {index} (entry at byte {offset} runs past the end)") from None
    if position != offset + 4 + entry_len or position > len(view):
        raise DataError(f"{path}: wrong sample index {index} (entry at byte {offset} is inconsistent)")
    start, length = columns[_SPEECH]
    mime = schema[[c.get("content") for c in schema].index(_SPEECH)]["mime-type"]
    transcript = None
    if _TRANSCRIPT in columns:
        text_at, text_len = columns[_TRANSCRIPT]
        try:
            transcript = bytes(view[text_at : text_at + text_len]).decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}: sample {index} has a transcript that is not UTF-8") from None
    if mime == OPUS_MIME and length >= 10:
        pcm_len, rate, channels, width = opus_header(bytes(view[start : start + 10]))
        duration = pcm_len / (rate * channels * width) if rate and channels and width else None
    else:
        duration = _wav_duration(view, start, length)
    audio = SDBAudio(str(path), start, length, mime)
    return SampleRef(id=f"{path}:{index}", transcript=transcript, audio=audio, size=length, duration=duration)


def read_sdb(path: Path) -> Iterator[SampleRef]:
    """One SampleRef per entry, in index order; ids are ``<path>:<index>`` as in DeepSpeech."""
    path = Path(path)
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            raise DataError(f"{path}: empty file, not a sample database")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            schema, header_end = _header(view, path)
            refs = [_entry(view, path, i, offset, schema) for i, offset in enumerate(_index(view, path, header_end))]
    yield from refs


def _encode(sample: Sample, mime: str, bitrate: int | None) -> bytes:
    if mime == OPUS_MIME:
        return encode_opus(sample.audio, sample.sample_rate, bitrate, sample.id)
    return encode_audio(sample.audio, sample.sample_rate)


def write_sdb(
    samples: Iterable[Sample], path: Path, *, audio_type: str = "wav", bitrate: int | None = None, labeled: bool = True
) -> int:
    """Write an SDB: magic, meta, 16 back-patched bytes, entries, index; returns the sample count.

    :param audio_type: ``wav`` (whole 16-bit WAV files) or ``opus`` (DeepSpeech's Opus container)
    :param bitrate: Opus bitrate in bit/s (the encoder's default when None)
    :param labeled: store the transcript column
    """
    if audio_type not in AUDIO_TYPES:
        raise UsageError(f"--audio_type {audio_type!r}: choose one of {', '.join(AUDIO_TYPES)}")
    mime = AUDIO_TYPES[audio_type]
    schema = [{"content": _SPEECH, "mime-type": mime}]
    schema += [{"content": _TRANSCRIPT, "mime-type": "text/plain"}] if labeled else []
    meta = json.dumps({"schema": schema}).encode("utf-8")
    path, offsets = Path(path), []
    partial = path.with_name(path.name + ".partial")  # a failed run never leaves a plausible-looking SDB
    try:
        with partial.open("wb") as handle:
            handle.write(MAGIC + BIGINT.pack(len(meta)) + meta + bytes(16))
            for sample in samples:
                offsets.append(handle.tell())
                handle.write(_entry_bytes(sample, mime, bitrate, labeled, path))
            entries_len = handle.tell() - (16 + len(meta) + 16)
            handle.write(BIGINT.pack(8 + 8 * len(offsets)) + BIGINT.pack(len(offsets)))
            handle.write(struct.pack(f">{len(offsets)}Q", *offsets))
            handle.seek(16 + len(meta))
            handle.write(BIGINT.pack(8 + entries_len) + BIGINT.pack(len(offsets)))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return len(offsets)


def _entry_bytes(sample: Sample, mime: str, bitrate: int | None, labeled: bool, path: Path) -> bytes:
    """INT entry_len, then per column INT len and the data: audio, then the UTF-8 transcript."""
    columns = [_encode(sample, mime, bitrate)]
    if labeled:
        if sample.transcript is None:
            raise DataError(f"{sample.id}: no transcript, but the SDB {path} is labeled")
        columns.append(sample.transcript.encode("utf-8"))
    body = b"".join(INT.pack(len(column)) + column for column in columns)
    return INT.pack(len(body)) + body


@hookimpl
def register_sample_formats(register: SampleFormatRegistry) -> None:
    """DeepSpeech's Sample DataBase."""
    register.add(
        "sdb",
        SampleFormat(extensions=(".sdb",), read=read_sdb, write=write_sdb, description="DeepSpeech Sample DataBase"),
    )
