"""Where a SampleRef's audio lives: a file on disk (or a segment of it) or a whole file held in memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from sttx.core.data.audio import audio_info, read_audio

if TYPE_CHECKING:
    import numpy as np

    from sttx.core.contract.samples import AudioInfo


@attrs.frozen
class FileAudio:
    """An audio file on disk, optionally a segment of it (NeMo manifests' ``offset``/``duration``)."""

    path: str
    offset: float = 0.0
    duration: float | None = None

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode the file (each call opens its own handle, so threads never share one)."""
        return read_audio(self.path, target_rate=target_rate, offset=self.offset, duration=self.duration, name=name)

    def info(self, name: str) -> AudioInfo:
        """The file's header (for a segment, its duration is the segment's)."""
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
        return read_audio(self.data, target_rate=target_rate, name=name)

    def info(self, name: str) -> AudioInfo:
        """The header of the in-memory file."""
        return audio_info(self.data, name=name)
