"""Segmentation from per-frame VAD decisions: padding, merging, outlier cuts, and short recordings left whole."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.inference.vad import VadOptions, padded_spans, split_outliers, vad_segments, voiced_runs

FRAME = 480  # 30 ms at 16 kHz


def frames(pattern: str) -> np.ndarray:
    return np.array([c == "#" for c in pattern])


def test_voiced_runs() -> None:
    assert voiced_runs(frames("..##.#...###")) == [(2, 4), (5, 6), (9, 12)]
    assert voiced_runs(frames("##")) == [(0, 2)]
    assert voiced_runs(frames("....")) == []


def test_runs_are_padded_both_sides_and_merge_when_padding_overlaps() -> None:
    runs = voiced_runs(frames("..##....##" + "." * 30 + "#" + "...."))
    length = 45 * FRAME
    spans = padded_spans(runs, FRAME, 3 * FRAME, length)
    # the first two runs are 4 frames apart, closer than twice the padding: one segment holding both
    assert [span for span, _ in spans] == [(0, 13 * FRAME), (37 * FRAME, 44 * FRAME)]
    assert spans[0][1] == [(2 * FRAME, 4 * FRAME), (8 * FRAME, 10 * FRAME)]
    # padding stops at the recording's edges
    assert padded_spans([(0, 2)], FRAME, 3 * FRAME, 4 * FRAME - 7)[0][0] == (0, 4 * FRAME - 7)
    # starts move back onto the feature grid
    assert padded_spans([(10, 12)], FRAME, 100, 20 * FRAME, step=320)[0][0] == (4480, 12 * FRAME + 100)


def test_outliers_are_cut_in_the_longest_pause_and_voice_is_never_cut() -> None:
    runs = [(0, 100), (110, 200), (250, 300), (305, 400)]
    assert split_outliers((0, 400), runs, 1000) == [(0, 400)]
    assert split_outliers((0, 400), runs, 300) == [(0, 225), (225, 400)]  # the 50-sample pause, at its middle
    assert split_outliers((0, 400), runs, 150) == [(0, 105), (105, 225), (225, 302), (302, 400)]
    # a voiced run longer than the limit has no pause to cut at: it stays whole
    assert split_outliers((0, 900), [(50, 850)], 300) == [(0, 900)]
    # on the 20 ms feature grid: the multiple of the step nearest the middle of the pause
    assert split_outliers((0, 4000), [(0, 1000), (1500, 4000)], 3000, step=320) == [(0, 1280), (1280, 4000)]
    assert split_outliers((0, 4000), [(0, 1000), (1100, 4000)], 3000, step=320) == [(0, 1050), (1050, 4000)]


@pytest.mark.parametrize("seed", range(20))
def test_no_voiced_frame_is_lost_or_cut(seed: int) -> None:
    """Random decisions: every voiced sample lands in one segment, no boundary falls inside a voiced run, and
    each run keeps the full padding unless an edge of the recording or an outlier cut comes first."""
    rng = np.random.default_rng(seed)
    decisions = rng.random(400) < rng.uniform(0.05, 0.6)
    length = len(decisions) * FRAME - int(rng.integers(0, FRAME))
    pad, limit = int(rng.integers(0, 20)) * FRAME, int(rng.integers(10, 200)) * FRAME
    step = 320 if seed % 2 else 1
    runs = [(a * FRAME, min(b * FRAME, length)) for a, b in voiced_runs(decisions)]
    pieces = [piece for span, held in padded_spans(voiced_runs(decisions), FRAME, pad, length, step)
              for piece in split_outliers(span, held, limit, step)]
    assert all(start % step == 0 for start, _ in pieces)  # on the feature grid
    assert all(a < b for a, b in pieces) and all(b <= c for (_, b), (c, _) in itertools.pairwise(pieces))
    bounds = {bound for piece in pieces for bound in piece}
    for first, end in runs:
        assert sum(a <= first and end <= b for a, b in pieces) == 1
        assert not any(first < bound < end for bound in bounds)
    unpadded = [span for span, _ in padded_spans(voiced_runs(decisions), FRAME, pad, length, step)]
    for first, end in runs:
        a, b = next(span for span in unpadded if span[0] <= first and end <= span[1])
        assert first - a >= min(pad, first) and b - end >= min(pad, length - end)


def test_short_recordings_stay_whole() -> None:
    """Up to --outlier_duration_ms the recording is one segment, pauses and all; longer ones are split."""
    rng = np.random.default_rng(0)
    burst = (rng.standard_normal(16000) * 0.3).astype(np.float32)
    silence = np.zeros(3 * 16000, np.float32)
    audio = np.concatenate([silence, burst, silence, burst, silence])  # 11 s
    (whole,) = vad_segments(audio, options=VadOptions(outlier_duration_ms=11000))
    assert (whole.start_ms, whole.end_ms) == (0, 11000) and whole.audio is audio
    split = vad_segments(audio, options=VadOptions(outlier_duration_ms=10000))
    assert len(split) == 2
    for segment, burst_start in zip(split, (3000, 7000), strict=True):
        assert burst_start - 330 <= segment.start_ms <= burst_start - 270  # 300 ms before the frame it starts in
        assert burst_start + 1270 <= segment.end_ms <= burst_start + 1450  # after, plus WebRTC's own hangover
        assert len(segment.audio) == (segment.end_ms - segment.start_ms) * 16


def test_vad_options_are_checked() -> None:
    with pytest.raises(UsageError, match="aggressiveness"):
        VadOptions(aggressiveness=4)
    with pytest.raises(UsageError, match="--vad_padding_ms"):
        VadOptions(padding_ms=-1)
    with pytest.raises(UsageError, match="--outlier_duration_ms must be at least 300, not 200"):
        VadOptions(outlier_duration_ms=200)
    with pytest.raises(UsageError, match="16000"):
        vad_segments(np.zeros(11 * 22050, np.float32), 22050)
