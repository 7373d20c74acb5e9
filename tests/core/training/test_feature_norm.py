"""--feature_norm: statistics measured on the training set, kept in checkpoints, folded into layer_1 for export."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sttx.core.data import feature_stats
from sttx.core.data.collections import read_collection
from sttx.core.training import checkpoints
from sttx.core.training.acoustic_weights import weights_from_model
from sttx.core.training.config import TrainConfig
from sttx.core.training.loop import train
from sttx.core.training.sample_job import SAMPLE_CSV
from sttx.core.training.stopping import StopRequest
from tests.core.training.test_training import write_clips

tf = pytest.importorskip("tensorflow")


def sample_mfccs(count: int) -> np.ndarray:
    """MFCC frames of the first ``count`` shipped sample clips, stacked."""
    from sttx.core.data.audio import read_audio
    from sttx.core.data.features import mfcc

    with SAMPLE_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:count]
    return np.concatenate([mfcc(tf.constant(read_audio(SAMPLE_CSV.parent / row["wav_filename"]))).numpy()
                           for row in rows])


def test_measure_standardises_the_clips_it_reads(pm) -> None:
    refs = read_collection(str(SAMPLE_CSV), pm.registries().sample_formats)[:6]
    mean, scale = feature_stats.measure(refs, limit=6)
    normalised = (sample_mfccs(6) - mean) * scale
    np.testing.assert_allclose(normalised.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(normalised.std(axis=0), 1.0, atol=1e-3)
    assert scale[0] < 0.2 < scale[-1]  # c0 (log energy) spreads far wider than the high coefficients


def test_measure_skips_unreadable_clips_and_fails_clearly_when_none_decode(tmp_path, pm) -> None:
    good = read_collection(str(SAMPLE_CSV), pm.registries().sample_formats)[:2]
    broken = tmp_path / "broken.csv"
    (tmp_path / "junk.wav").write_bytes(b"RIFF not audio")
    broken.write_text("wav_filename,wav_filesize,transcript\njunk.wav,14,junk\n", encoding="utf-8")
    junk = read_collection(str(broken), pm.registries().sample_formats)
    with_junk = feature_stats.measure([*junk, *good], limit=3)
    np.testing.assert_allclose(with_junk[0], feature_stats.measure(good, limit=2)[0], rtol=1e-5)
    with pytest.raises(Exception, match="--feature_norm: no training clip could be decoded"):
        feature_stats.measure(junk)


def test_spread_indices_cover_the_range() -> None:
    assert feature_stats.spread_indices(3, 5) == [0, 1, 2]
    picked = feature_stats.spread_indices(1000, 10)
    assert len(picked) == 10 and picked[0] == 0 and picked[-1] == 999


def _config(directory: Path, clips: str, **overrides: object) -> TrainConfig:
    settings = {"train_files": clips, "checkpoint_dir": str(directory), "n_hidden": 24, "epochs": 2,
                "train_batch_size": 1, "checkpoint_secs": 0, "show_progressbar": False, "feature_norm": True}
    settings.update(overrides)
    return TrainConfig(**settings)  # type: ignore[arg-type]


def test_a_new_run_measures_the_statistics_and_a_resumed_one_keeps_them(tmp_path, pm) -> None:
    clips = write_clips(tmp_path / "clips.csv", 3)
    registries = pm.registries()
    first = train(_config(tmp_path / "run", clips), registries, echo=lambda _: None, stop=StopRequest(at_step=2))
    mean, scale = (np.asarray(w) for w in first.model.get_layer("feature_norm").weights)
    refs = read_collection(clips, registries.sample_formats)
    expected_mean, expected_scale = feature_stats.measure(refs)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-5)
    np.testing.assert_allclose(scale, expected_scale, rtol=1e-5)
    # the resumed run reads them from the checkpoint, even when the training set changed meanwhile
    other = write_clips(tmp_path / "other.csv", 1)
    second = train(_config(tmp_path / "run", other), registries, echo=lambda _: None)
    np.testing.assert_array_equal(np.asarray(second.model.get_layer("feature_norm").weights[0]), mean)
    restored = checkpoints.restore_for_inference(tmp_path / "run", registries=registries)
    np.testing.assert_array_equal(np.asarray(restored.model.get_layer("feature_norm").weights[1]), scale)
    # the fold: raw windows through the folded layer_1 equal normalised windows through the trained one
    folded = weights_from_model(restored.model).dense["layer_1"]
    kernel, bias = (np.asarray(w) for w in restored.model.get_layer("layer_1").weights)
    windows = np.random.default_rng(0).normal(size=(4, kernel.shape[0])).astype(np.float32) * 20
    normalised = (windows - np.tile(mean, 19)) * np.tile(scale, 19)
    np.testing.assert_allclose(windows @ folded.kernel + folded.bias, normalised @ kernel + bias, rtol=1e-4,
                               atol=1e-3)


def test_without_the_flag_the_model_has_no_normalisation(tmp_path, pm) -> None:
    clips = write_clips(tmp_path / "clips.csv", 1)
    result = train(_config(tmp_path / "run", clips, feature_norm=False, epochs=1), pm.registries(),
                   echo=lambda _: None)
    assert "feature_norm" not in {layer.name for layer in result.model.layers}


@pytest.mark.parametrize(("first", "then", "used"), [(True, False, "with"), (False, True, "without")])
def test_resuming_with_the_other_setting_is_refused(tmp_path, pm, first, then, used) -> None:
    clips = write_clips(tmp_path / "clips.csv", 1)
    registries = pm.registries()
    train(_config(tmp_path / "run", clips, epochs=1, feature_norm=first), registries, echo=lambda _: None)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=f"feature_norm/mean is .*; the checkpoint was trained {used} --feature_norm"):
        train(_config(tmp_path / "run", clips, epochs=2, feature_norm=then), registries, echo=lambda _: None)
