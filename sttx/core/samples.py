"""Sample and SampleRef: one utterance as it flows from a collection row into the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import numpy as np

    from sttx.core.audio import AudioInfo


@attrs.frozen(kw_only=True, eq=False)
class Sample:
    """One utterance with its audio decoded.

    :param id: a stable identifier (a file path, or ``<collection>:<index>``)
    :param audio: float32 mono samples in [-1, 1]
    :param sample_rate: samples per second of ``audio``
    :param transcript: the label text, or None for unlabeled data
    """

    id: str
    audio: np.ndarray
    sample_rate: int = 16000
    transcript: str | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / self.sample_rate


@runtime_checkable
class AudioSource(Protocol):
    """Where a SampleRef's audio lives; ``read`` must be thread-safe and the object picklable."""

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode to float32 mono at ``target_rate``; AudioError names ``name`` on failure."""
        ...  # pragma: no cover

    def info(self, name: str) -> AudioInfo:
        """Rate, channels and length as stored, without decoding the samples."""
        ...  # pragma: no cover


@attrs.frozen
class FileAudio:
    """An audio file on disk, optionally a segment of it (NeMo manifests' ``offset``/``duration``)."""

    path: str
    offset: float = 0.0
    duration: float | None = None

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode the file (each call opens its own handle, so threads never share one)."""
        from sttx.core.audio import read_audio

        return read_audio(self.path, target_rate=target_rate, offset=self.offset, duration=self.duration, name=name)

    def info(self, name: str) -> AudioInfo:
        """The file's header (for a segment, its duration is the segment's)."""
        from sttx.core.audio import audio_info

        info = audio_info(self.path, name=name)
        if not self.offset and self.duration is None:
            return info
        length = max(0.0, info.duration - self.offset)
        duration = length if self.duration is None else min(self.duration, length)
        return attrs.evolve(info, duration=duration, frames=round(duration * info.sample_rate))


@attrs.frozen
class BytesAudio:
    """A whole audio file held in memory (WAV, FLAC, Ogg...)."""

    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode the bytes."""
        from sttx.core.audio import read_audio

        return read_audio(self.data, target_rate=target_rate, name=name)

    def info(self, name: str) -> AudioInfo:
        """The header of the in-memory file."""
        from sttx.core.audio import audio_info

        return audio_info(self.data, name=name)


@attrs.frozen(kw_only=True)
class SampleRef:
    """A collection row: cheap to keep by the million and to pickle; ``load()`` decodes the audio.

    :param id: a stable identifier (the audio path, or ``<collection>:<index>``)
    :param transcript: the label text, or None for unlabeled data
    :param audio: where the audio lives (FileAudio, BytesAudio, an SDB entry...)
    :param size: bytes of audio, DeepSpeech's sort key (``wav_filesize``)
    :param duration: seconds, when the collection knows it without decoding
    :param origin: the collection file and row, for messages (``train.csv row 3``)
    """

    id: str
    transcript: str | None
    audio: AudioSource
    size: int = 0
    duration: float | None = None
    origin: str | None = None

    def load(self, target_rate: int = 16000) -> Sample:
        """Decode to a Sample at ``target_rate`` (thread-safe; AudioError names the sample)."""
        audio = self.audio.read(target_rate, self.id)
        return Sample(id=self.id, audio=audio, sample_rate=target_rate, transcript=self.transcript)

    @property
    def where(self) -> str:
        """The row for messages: its origin when known, else its id."""
        return self.origin or self.id
