"""Split long recordings at pauses with WebRTC's VAD (webrtcvad-wheels), never losing or cutting a voiced frame.

A recording no longer than ``outlier_duration_ms`` is one segment: a model trained on clips of that length reads
them best whole, and cutting inside a short clip only costs accuracy. Longer recordings are judged in 30 ms
frames; every run of voiced frames is widened by ``padding_ms`` of audio on both sides (so soft word edges that
the VAD calls unvoiced stay in), runs whose padding overlaps merge, and a merged segment still longer than
``outlier_duration_ms`` is cut in the middle of its longest unvoiced gap (never inside a voiced run). Segments
start on the recording's 20 ms feature grid, so each one sees the MFCC frames a whole-file pass would see.
"""

from __future__ import annotations

import attrs
import numpy as np

from sttx.core.contract.errors import UsageError
from sttx.core.data.features import STEP_SAMPLES

VAD_RATES = (8000, 16000, 32000, 48000)

Span = tuple[int, int]


@attrs.frozen
class Segment:
    """A stretch of the recording: its bounds in milliseconds and its samples."""

    start_ms: int
    end_ms: int
    audio: np.ndarray = attrs.field(eq=False, repr=False)


@attrs.frozen(kw_only=True)
class VadOptions:
    """--vad_aggressiveness 0-3, --outlier_duration_ms, --vad_padding_ms and the VAD's frame length."""

    aggressiveness: int = 3
    outlier_duration_ms: int = 10000
    padding_ms: int = 300
    frame_ms: int = 30

    def __attrs_post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise UsageError(f"--vad_aggressiveness must be 0, 1, 2 or 3, not {self.aggressiveness}")
        if self.frame_ms not in (10, 20, 30):
            raise UsageError(f"VAD frames must be 10, 20 or 30 ms, not {self.frame_ms}")
        if self.outlier_duration_ms < 10 * self.frame_ms:
            raise UsageError(f"--outlier_duration_ms must be at least {10 * self.frame_ms}, not "
                             f"{self.outlier_duration_ms}")
        if self.padding_ms < 0:
            raise UsageError(f"--vad_padding_ms must be 0 or more, not {self.padding_ms}")


def frame_decisions(audio: np.ndarray, rate: int, options: VadOptions) -> np.ndarray:
    """One bool per ``frame_ms`` frame: voiced or not; a last partial frame is zero-padded and judged too."""
    import webrtcvad

    from sttx.core.data.audio import to_int16

    if rate not in VAD_RATES:
        raise UsageError(f"the VAD needs audio at {', '.join(map(str, VAD_RATES))} Hz, not {rate}")
    size = rate * options.frame_ms // 1000
    samples = to_int16(audio)
    samples = np.concatenate([samples, np.zeros(-len(samples) % size, dtype=np.int16)])
    vad = webrtcvad.Vad(options.aggressiveness)
    return np.array([vad.is_speech(samples[i : i + size].tobytes(), rate) for i in range(0, len(samples), size)],
                    dtype=bool)


def voiced_runs(decisions: np.ndarray) -> list[Span]:
    """(first, end) frame indices of each run of consecutive voiced frames."""
    edges = np.diff(np.concatenate([[0], decisions.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def padded_spans(runs: list[Span], frame: int, pad: int, length: int, step: int = 1) -> list[tuple[Span, list[Span]]]:
    """Sample spans of the runs widened by ``pad`` samples each side (starts moved back to a multiple of ``step``),
    merged where they overlap or touch.

    Each span comes with the runs (in samples) it holds, which is where a later cut must not fall.
    """
    merged: list[tuple[Span, list[Span]]] = []
    for first, end in runs:
        run = (first * frame, min(end * frame, length))
        start, stop = max(0, run[0] - pad), min(length, run[1] + pad)
        start -= start % step
        if merged and start <= merged[-1][0][1]:
            (previous, _), held = merged[-1]
            merged[-1] = ((previous, stop), [*held, run])
        else:
            merged.append(((start, stop), [run]))
    return merged


def split_outliers(span: Span, runs: list[Span], limit: int, step: int = 1) -> list[Span]:
    """Cut ``span`` (samples) in the middle of its longest gap between voiced runs until no piece exceeds
    ``limit`` samples; a piece with no gap left stays whole, however long. Cuts fall on multiples of ``step``
    (the multiple nearest the middle of the gap, when the gap holds one)."""
    start, stop = span
    if stop - start <= limit or len(runs) < 2:
        return [span]
    gaps = [(runs[i + 1][0] - runs[i][1], i) for i in range(len(runs) - 1)]
    _, index = max(gaps)  # the longest pause; the later one on a tie
    after, before = runs[index][1], runs[index + 1][0]
    cut = round((after + before) / 2 / step) * step
    cut = cut if after <= cut <= before else (after + before) // 2
    head, tail = runs[: index + 1], runs[index + 1 :]
    return split_outliers((start, cut), head, limit, step) + split_outliers((cut, stop), tail, limit, step)


def vad_segments(audio: np.ndarray, rate: int = 16000, options: VadOptions | None = None) -> list[Segment]:
    """The segments to transcribe: the whole recording when it is short, else its padded voiced stretches."""
    options = options or VadOptions()
    if len(audio) * 1000 <= options.outlier_duration_ms * rate:
        return [Segment(0, len(audio) * 1000 // rate, audio)]
    frame = rate * options.frame_ms // 1000
    pad, limit = options.padding_ms * rate // 1000, options.outlier_duration_ms * rate // 1000
    step = STEP_SAMPLES * rate // 16000  # the feature grid
    runs = voiced_runs(frame_decisions(audio, rate, options))
    pieces = [piece for span, held in padded_spans(runs, frame, pad, len(audio), step)
              for piece in split_outliers(span, held, limit, step)]
    return [Segment(start * 1000 // rate, stop * 1000 // rate, audio[start:stop]) for start, stop in pieces]
