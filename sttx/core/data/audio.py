"""Audio I/O: decode any soundfile format to float32 mono at the target rate, and write 16-bit PCM."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile

from sttx.core.contract.errors import SttxError
from sttx.core.contract.samples import AudioInfo

DEFAULT_RATE = 16000
_INT16_SCALE = 32768.0  # the native client and TF decode_wav divide by 32768 (DeepSpeech training used 32767)
_DATA_SIZE = re.compile(r"^data : (\d+) \(should be (\d+)\)", re.MULTILINE)
_STREAMING_SIZES = 0x7FFFFFFF  # placeholder sizes of WAVs written to a pipe are at or above this
_WRITE_FORMATS = {".wav": "WAV", ".flac": "FLAC"}

Source = str | Path | bytes


class AudioError(SttxError):
    """An audio file (or blob) that cannot be decoded: unreadable, empty, truncated or of an unknown format."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"audio {name}: {problem}")


def _name(source: Source, name: str | None) -> str:
    if name:
        return name
    return f"<{len(source)} bytes>" if isinstance(source, bytes) else str(source)


def _open(source: Source, name: str) -> soundfile.SoundFile:
    """Open for reading; every failure becomes an AudioError naming the file."""
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise AudioError(name, "no such file")
        if path.stat().st_size == 0:
            raise AudioError(name, "empty file (0 bytes)")
    elif not source:
        raise AudioError(name, "empty data (0 bytes)")
    try:
        handle = soundfile.SoundFile(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (soundfile.SoundFileError, RuntimeError, OSError, TypeError, ValueError) as error:
        raise AudioError(name, f"cannot decode ({_reason(error)})") from None
    _check_header(handle, name)
    return handle


def _reason(error: Exception) -> str:
    text = str(error)
    return text.split(": ", 1)[1].rstrip(".") if text.startswith("Error opening") and ": " in text else text


def _check_header(handle: soundfile.SoundFile, name: str) -> None:
    """libsndfile quietly shortens a WAV whose data chunk claims more bytes than the file has: we refuse it."""
    match = _DATA_SIZE.search(handle.extra_info or "")
    if match and int(match.group(2)) < int(match.group(1)) < _STREAMING_SIZES:
        handle.close()
        raise AudioError(
            name, f"truncated: the header promises {match.group(1)} data bytes, the file has {match.group(2)}"
        )
    if handle.frames == 0 and handle.format != "MP3":
        handle.close()
        raise AudioError(name, "holds no audio (0 frames)")


def audio_info(source: Source, *, name: str | None = None) -> AudioInfo:
    """Rate, channels and length from the header, without decoding the samples."""
    label = _name(source, name)
    with _open(source, label) as handle:
        rate, frames = int(handle.samplerate), int(handle.frames)
        return AudioInfo(frames / rate, rate, int(handle.channels), frames, handle.format, handle.subtype)


def _read_frames(
    handle: soundfile.SoundFile, name: str, offset: float, duration: float | None, channels: Sequence[int] | None = None
) -> np.ndarray:
    rate = handle.samplerate
    outside = [channel for channel in channels or () if not 0 <= channel < handle.channels]
    if outside:
        raise AudioError(name, f"has {handle.channels} channel(s); channel {outside[0]} asked for")
    start = round(offset * rate)
    if start < 0 or (start and start >= handle.frames):
        raise AudioError(name, f"offset {offset}s is outside the audio ({handle.frames / rate:.3f}s)")
    if start:
        handle.seek(start)
    wanted = -1 if duration is None else round(duration * rate)
    integer = handle.subtype == "PCM_16"
    try:
        data = handle.read(wanted, dtype="int16" if integer else "float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError) as error:
        raise AudioError(name, f"truncated or corrupt ({error})") from None
    expected = handle.frames - start if wanted < 0 else min(wanted, handle.frames - start)
    if len(data) < expected and handle.format != "MP3":  # MP3 headers only estimate the length
        raise AudioError(name, f"truncated: read {len(data)} of {expected} frames")
    audio = data.astype(np.float32) / np.float32(_INT16_SCALE) if integer else data
    if channels:
        audio = audio[:, list(channels)]
    return audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]


def read_audio(
    source: Source,
    *,
    target_rate: int = DEFAULT_RATE,
    offset: float = 0.0,
    duration: float | None = None,
    channels: Sequence[int] | None = None,
    name: str | None = None,
) -> np.ndarray:
    """Decode ``source`` (a path or the bytes of a file) to float32 mono at ``target_rate``.

    16-bit PCM is scaled by 1/32768 as the native client does; other rates are resampled with soxr.

    :param offset: seconds to skip (JSONL manifests' ``offset``)
    :param duration: seconds to read from ``offset``; None reads to the end
    :param channels: the channels (0-based) mixed down to mono; None mixes all of them
    :param name: how messages name the source (default: the path)
    """
    label = _name(source, name)
    with _open(source, label) as handle:
        rate = int(handle.samplerate)
        audio = _read_frames(handle, label, offset, duration, channels)
    if len(audio) == 0:
        raise AudioError(label, "holds no audio (0 frames)")
    return resample(audio, rate, target_rate)


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """float32 mono resampled with soxr (high quality); unchanged when the rates match."""
    if rate == target_rate:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import soxr

    return np.asarray(soxr.resample(audio, rate, target_rate, quality="HQ"), dtype=np.float32)


def to_int16(audio: np.ndarray) -> np.ndarray:
    """float [-1, 1] to int16, the inverse of the 1/32768 scaling (exact for audio that came from int16)."""
    scaled = np.round(np.asarray(audio, dtype=np.float64) * _INT16_SCALE)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def encode_audio(audio: np.ndarray, rate: int, file_format: str = "WAV") -> bytes:
    """A whole 16-bit PCM WAV (or FLAC) file in memory."""
    buffer = io.BytesIO()
    soundfile.write(buffer, to_int16(audio), rate, format=file_format, subtype="PCM_16")
    return buffer.getvalue()


def write_audio(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """Write 16-bit PCM mono to a .wav or .flac file (by extension)."""
    file_format = _WRITE_FORMATS.get(Path(path).suffix.lower())
    if file_format is None:
        raise AudioError(str(path), f"cannot write {Path(path).suffix or 'extensionless'} files; use .wav or .flac")
    Path(path).write_bytes(encode_audio(audio, rate, file_format))
