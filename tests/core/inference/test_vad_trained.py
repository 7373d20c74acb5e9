"""Slow: with a trained model, splitting costs no accuracy: short clips are read as without the VAD, and a long
recording of clips joined by pauses is read as well as the clips one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from sttx.core.data.audio import read_audio, write_audio
from sttx.core.inference.transcribe import transcribe_paths
from sttx.core.inference.vad import VadOptions
from tests.core.inference.conftest import STEP, TRAINED_CLIPS, sample_rows


def wer(hypotheses: list[str], references: list[str]) -> float:
    """Corpus word error rate."""
    errors = sum(Levenshtein.distance(h.split(), r.split()) for h, r in zip(hypotheses, references, strict=True))
    return errors / sum(len(r.split()) for r in references)


def joined_recording(clips: list[Path], seed: int = 1) -> np.ndarray:
    """The clips with 1-2 s of silence before each and 1 s at the end, each starting on the 20 ms feature grid."""
    rng = np.random.default_rng(seed)
    parts, position = [], 0
    for clip in clips:
        audio = read_audio(clip)
        pause = STEP * int(rng.integers(50, 100)) + -position % STEP
        parts += [np.zeros(pause, np.float32), audio]
        position += pause + len(audio)
    return np.concatenate([*parts, np.zeros(16000, np.float32)])


@pytest.mark.slow
def test_splitting_costs_no_accuracy(tmp_path: Path, trained_model: Path) -> None:
    rows = sample_rows()[:TRAINED_CLIPS]
    clips = [Path(row["wav_filename"]) for row in rows]
    references = [row["transcript"] for row in rows]
    default = transcribe_paths(trained_model, clips, vad=VadOptions())
    whole = transcribe_paths(trained_model, clips, vad=None)
    assert [r.text for r in default] == [r.text for r in whole]  # short clips: the VAD changes nothing
    one_by_one = wer([r.text for r in whole], references)
    assert one_by_one < 0.15, "the model must read its clips for the comparison to mean anything"

    recording = tmp_path / "long.wav"
    write_audio(recording, joined_recording(clips), 16000)
    (split,) = transcribe_paths(trained_model, [recording], vad=VadOptions())
    assert split.segments[-1].end_ms > VadOptions().outlier_duration_ms
    assert len(split.segments) == len(clips)  # one segment per clip: the pauses, and only they, split it
    joined = wer([split.text], [" ".join(references)])
    assert joined <= one_by_one + 0.01, (split.text, [r.text for r in whole])
