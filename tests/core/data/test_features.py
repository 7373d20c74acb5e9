"""MFCC identical to DeepSpeech's ops (tf.raw_ops on real speech), frame counts and context windows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sttx.core.data import features

tf = pytest.importorskip("tensorflow")

SAMPLE_CSV = Path(features.__file__).resolve().parents[2] / "data" / "sample" / "sample.csv"


def _speech(tmp_path: Path) -> list[np.ndarray]:
    """Real speech at 16 kHz: the shipped sample corpus, else espeak-ng synthesis into tmp_path."""
    from sttx.core.data.audio import read_audio

    if SAMPLE_CSV.is_file():
        import csv

        with SAMPLE_CSV.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))[:3]
        return [read_audio(SAMPLE_CSV.parent / row["wav_filename"]) for row in rows]
    if shutil.which("espeak-ng") is None:
        pytest.skip("no sample corpus and no espeak-ng to synthesise speech")
    clips = []
    for n, text in enumerate(["the quick brown fox jumps over the lazy dog", "she sells sea shells"]):
        wav = tmp_path / f"{n}.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
        clips.append(read_audio(wav))
    return clips


def _reference(audio: np.ndarray) -> np.ndarray:
    """DeepSpeech's audio_to_features, composed here from the raw ops with its exact arguments."""
    spec = tf.raw_ops.AudioSpectrogram(
        input=tf.constant(audio)[:, None], window_size=512, stride=320, magnitude_squared=True
    )
    mfcc = tf.raw_ops.Mfcc(
        spectrogram=spec, sample_rate=16000, upper_frequency_limit=8000.0, lower_frequency_limit=20.0,
        filterbank_channel_count=40, dct_coefficient_count=26,
    )
    return mfcc.numpy()[0]


def test_mfcc_matches_raw_ops_on_speech(tmp_path: Path) -> None:
    for audio in _speech(tmp_path):
        ours = features.mfcc(tf.constant(audio)).numpy()
        expected = _reference(audio)
        assert ours.shape == (features.n_frames(len(audio)), 26)
        assert np.std(ours[:, 1]) > 1.0  # speech, not silence: the coefficients move
        np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)


def test_mfcc_inside_tf_data_equals_eager(tmp_path: Path) -> None:
    audio = _speech(tmp_path)[0]
    dataset = tf.data.Dataset.from_tensors(audio).map(features.mfcc, num_parallel_calls=2)
    (mapped,) = list(dataset.as_numpy_iterator())
    np.testing.assert_array_equal(mapped, features.mfcc(tf.constant(audio)).numpy())


def test_spectrogram_shape_and_power() -> None:
    tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    spec = features.spectrogram(tf.constant(tone)).numpy()
    assert spec.shape == (49, 257)
    assert int(np.argmax(spec[10])) == 32  # 1 kHz at 31.25 Hz per bin
    mfcc = features.mfcc_from_spectrogram(tf.constant(spec)).numpy()
    np.testing.assert_array_equal(mfcc, features.mfcc(tf.constant(tone)).numpy())


@pytest.mark.parametrize(("samples", "frames"), [(0, 0), (511, 0), (512, 1), (831, 1), (832, 2), (16000, 49)])
def test_n_frames(samples: int, frames: int) -> None:
    assert features.n_frames(samples) == frames
    audio = tf.zeros([samples], tf.float32)
    assert features.mfcc(audio).shape[0] == frames


def test_context_windows_shape_and_values() -> None:
    x = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3) + 1
    windows = features.context_windows(tf.constant(x), n_context=2).numpy()
    assert windows.shape == (2, 5, 5, 3)
    for t in range(5):
        for k in range(5):
            source = t + k - 2
            expected = x[:, source] if 0 <= source < 5 else np.zeros((2, 3))
            np.testing.assert_array_equal(windows[:, t, k], expected)
    default = features.context_windows(tf.zeros([1, 7, 26]))
    assert default.shape == (1, 7, 19, 26)
