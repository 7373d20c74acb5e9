"""Split long recordings into voiced segments with WebRTC's VAD (webrtcvad-wheels), as DeepSpeech's transcribe.

DeepSpeech (via DSAlign) feeds 30 ms frames to the VAD, opens a segment when more than half of the last 10 frames
are voiced and closes it when more than half are unvoiced. Segments longer than ``outlier_duration_ms`` are cut
again at their quietest frame, so no segment grows without bound.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import attrs
import numpy as np

from sttx.core.contract.errors import UsageError

VAD_RATES = (8000, 16000, 32000, 48000)


@attrs.frozen
class Segment:
    """A voiced stretch: its bounds in milliseconds and its samples."""

    start_ms: int
    end_ms: int
    audio: np.ndarray = attrs.field(eq=False, repr=False)


@attrs.frozen(kw_only=True)
class VadOptions:
    """--vad_aggressiveness 0-3, --outlier_duration_ms, and DeepSpeech's framing constants."""

    aggressiveness: int = 3
    outlier_duration_ms: int = 10000
    frame_ms: int = 30
    padding_frames: int = 10
    threshold: float = 0.5

    def __attrs_post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise UsageError(f"--vad_aggressiveness must be 0, 1, 2 or 3, not {self.aggressiveness}")
        if self.frame_ms not in (10, 20, 30):
            raise UsageError(f"VAD frames must be 10, 20 or 30 ms, not {self.frame_ms}")
        if self.outlier_duration_ms < 10 * self.frame_ms:
            raise UsageError(f"--outlier_duration_ms must be at least {10 * self.frame_ms}")


def _frames(audio: np.ndarray, rate: int, frame_ms: int) -> Iterator[np.ndarray]:
    size = rate * frame_ms // 1000
    for start in range(0, len(audio) - size + 1, size):
        yield audio[start : start + size]


def voiced_ranges(audio: np.ndarray, rate: int, options: VadOptions) -> list[tuple[int, int]]:
    """(first, end) frame indices of voiced stretches, by DeepSpeech's ring-buffer hysteresis."""
    import webrtcvad

    from sttx.core.data.audio import to_int16

    if rate not in VAD_RATES:
        raise UsageError(f"the VAD needs audio at {', '.join(map(str, VAD_RATES))} Hz, not {rate}")
    vad = webrtcvad.Vad(options.aggressiveness)
    ring: deque[bool] = deque(maxlen=options.padding_frames)
    limit = options.threshold * options.padding_frames
    ranges, start, index = [], None, -1
    for index, frame in enumerate(_frames(to_int16(audio), rate, options.frame_ms)):
        ring.append(vad.is_speech(frame.tobytes(), rate))
        if start is None and sum(ring) > limit:
            start = index - len(ring) + 1  # the ring's frames open the segment
            ring.clear()
        elif start is not None and len(ring) - sum(ring) > limit:
            ranges.append((start, index + 1))
            start = None
            ring.clear()
    if start is not None:
        ranges.append((start, index + 1))
    return ranges


def _cut(audio: np.ndarray, rate: int, first: int, end: int, options: VadOptions) -> list[tuple[int, int]]:
    """Split a frame range longer than the outlier duration at its quietest frame (recursively)."""
    if (end - first) * options.frame_ms <= options.outlier_duration_ms:
        return [(first, end)]
    size = rate * options.frame_ms // 1000
    middle = range(first + (end - first) // 4, end - (end - first) // 4)
    energy = [float(np.sum(audio[i * size : (i + 1) * size] ** 2)) for i in middle]
    split = middle[int(np.argmin(energy))]
    return _cut(audio, rate, first, split, options) + _cut(audio, rate, split, end, options)


def vad_segments(audio: np.ndarray, rate: int = 16000, options: VadOptions | None = None) -> list[Segment]:
    """Voiced segments of a recording, none longer than ``options.outlier_duration_ms``."""
    options = options or VadOptions()
    size = rate * options.frame_ms // 1000
    segments = []
    for first, end in voiced_ranges(audio, rate, options):
        for a, b in _cut(audio, rate, first, end, options):
            segments.append(Segment(a * options.frame_ms, b * options.frame_ms, audio[a * size : b * size]))
    return segments
