"""Training the conformer through sttx's engine: it learns, resumes exactly, rejects clips too short after 4x."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.training.config import TrainConfig, with_model_defaults
from sttx.core.training.stopping import StopRequest
from tests.core.training.test_training import run, weights, write_clips

tf = pytest.importorskip("tensorflow")

TINY = {"model": "conformer", "model_size": "xs", "conformer_dim": 32, "conformer_layers": 2, "conformer_heads": 2,
        "conformer_kernel": 3}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_clips(tmp_path_factory.mktemp("clips") / "three.csv", 3)


def config(directory: Path, clips: str, **overrides: object) -> TrainConfig:
    settings = {**TINY, "train_files": clips, "checkpoint_dir": str(directory), "epochs": 2, "train_batch_size": 1,
                "dropout_rate": 0.1, "checkpoint_secs": 0, "show_progressbar": False, "learning_rate": 0.003,
                "lr_schedule": "cosine", "warmup_steps": 2}
    settings.update(overrides)
    return TrainConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("inter_ctc_weight", [0.0, 0.3])  # the intermediate head and its slots resume too
def test_resume_is_exact(tmp_path, clips, pm, inter_ctc_weight: float) -> None:
    registries = pm.registries()
    whole = run(config(tmp_path / "whole", clips, inter_ctc_weight=inter_ctc_weight), registries)
    first = run(config(tmp_path / "split", clips, inter_ctc_weight=inter_ctc_weight), registries,
                StopRequest(at_step=4))
    assert first.interrupted and first.global_step == 4
    second = run(config(tmp_path / "split", clips, inter_ctc_weight=inter_ctc_weight), registries)
    assert second.global_step == whole.global_step == 6
    assert whole.lines[0].startswith("sttx train: conformer model, ")
    for a, b in zip(weights(whole), weights(second), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # 150 steps: 1-2 minutes on 2 cores (6 when shared with other jobs)
def test_a_tiny_conformer_overfits_three_clips(tmp_path, clips, pm) -> None:
    overrides = {"conformer_dim": 64, "epochs": 150, "dropout_rate": 0.0, "learning_rate": 0.005,
                 "train_batch_size": 3, "warmup_steps": 10, "lr_final_ratio": 0.1, "dev_files": clips,
                 "dev_batch_size": 3}
    result = run(config(tmp_path, clips, **overrides), pm.registries())
    assert result.global_step == 150
    assert result.dev.cer < 0.1, result.lines[-3:]  # 0.0 measured


def test_clips_too_short_after_subsampling_are_rejected(tmp_path, pm) -> None:
    from sttx.core.data.rejects import TOO_SHORT, RejectLog
    from sttx.core.training.run_setup import _pipeline

    path = Path(write_clips(tmp_path / "one.csv", 1))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    # ~2 s: about 100 MFCC frames (DeepSpeech keeps 80 labels) but 50 conformer outputs (too few for 80)
    rows[0]["transcript"] = "ab" * 40
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    from sttx.core.data.collections import read_collection

    registries = pm.registries()
    refs = read_collection(str(path), registries.sample_formats)
    kept = {}
    for model in ("deepspeech", "conformer"):
        cfg = TrainConfig(model=model, train_files=str(path), checkpoint_dir=str(tmp_path / model))
        rejects = RejectLog()
        pipeline = _pipeline(refs, _alphabet(), cfg, rejects, train=False, which="dev",
                             architecture=registries.models.get(model))
        kept[model] = sum(int(batch["label_lengths"].shape[0]) for batch in pipeline.for_epoch(0))
        if model == "conformer":
            assert [reason for _, reason, _ in rejects.entries()] == [TOO_SHORT]
    assert kept == {"deepspeech": 1, "conformer": 0}


def _alphabet():
    from sttx.core.data.alphabet import load_alphabet

    return load_alphabet(None)


def test_model_defaults_apply_unless_the_flag_is_given(pm) -> None:
    registries = pm.registries()
    conformer = registries.models.get("conformer")
    settings = {"model": "conformer", "learning_rate": 0.001, "train_batch_size": 1, "augment": (), "model_size": ""}
    merged = with_model_defaults(settings, conformer, {"train_batch_size"}, registries.augmentations.parse)
    assert merged["learning_rate"] == 0.002 and merged["lr_schedule"] == "cosine" and merged["warmup_steps"] == 500
    assert merged["train_batch_size"] == 1  # given explicitly
    assert merged["dropout_rate"] == 0.0
    assert merged["inter_ctc_weight"] == 0.3  # on the middle block (--inter_ctc_block 0)
    assert [a.name for a in merged["augment"]] == ["frequency_mask", "time_mask", "pitch", "tempo"]
    deepspeech = registries.models.get("deepspeech")
    ds = {"model": "deepspeech", "learning_rate": 0.001, "model_size": ""}
    assert with_model_defaults(ds, deepspeech, set()) == ds  # DeepSpeech's defaults are the flags' own
    with pytest.raises(UsageError, match="--model_size: the deepspeech model does not use it"):
        with_model_defaults({**ds, "model_size": "xs"}, deepspeech, {"model_size"})
    with pytest.raises(UsageError, match=r"--inter_ctc_weight: the deepspeech model does not use it$"):
        with_model_defaults({**ds, "inter_ctc_weight": 0.3}, deepspeech, {"inter_ctc_weight"})  # no width hint


def test_drop_source_layers_counts_blocks_from_the_output(tmp_path, clips, pm) -> None:
    registries = pm.registries()
    source = run(config(tmp_path / "source", clips, epochs=1, inter_ctc_weight=0.3), registries)
    target = run(config(tmp_path / "source", clips, epochs=0, checkpoint_dir="", load_checkpoint_dir=str(
        tmp_path / "source"), save_checkpoint_dir=str(tmp_path / "target"), drop_source_layers=2,
        inter_ctc_weight=0.3), registries)
    assert "--drop_source_layers: re-initialised block_2, output (weights and optimizer slots)" in target.lines
    loaded = {w.path: np.asarray(w) for w in source.model.weights}
    for weight in target.model.weights:
        same = np.array_equal(np.asarray(weight), loaded[weight.path])
        fresh = weight.path.startswith(("block_2_", "output/", "output_intermediate/"))  # the head goes too
        if weight.path.endswith("seed_generator_state") or (fresh and not weight.trainable):
            continue
        assert same != fresh or (fresh and not np.any(np.asarray(weight))), weight.path


def test_bfloat16_computes_in_bf16_with_float32_logits() -> None:
    import types

    from sttx.plugins.models.conformer import build_model

    geometry = {key: value for key, value in TINY.items() if key != "model"}
    model = build_model(types.SimpleNamespace(**geometry, dropout_rate=0.0, dtype_policy="mixed_bfloat16"), 29)
    assert model.get_layer("block_1_attention").compute_dtype == "bfloat16"
    # the depthwise convolution stays float32: TF 2.21's oneDNN bf16 depthwise kernel can stall on a batch shape
    assert model.get_layer("block_1_conv_depthwise").compute_dtype == "float32"
    logits = model(np.random.default_rng(0).standard_normal((2, 40, 80)).astype("float32"))
    assert logits.dtype == "float32" and tuple(logits.shape) == (2, 10, 29)


def test_the_step_descends_the_weighted_sum_with_the_intermediate_ctc_and_reports_the_final_loss() -> None:
    import types

    import keras

    from sttx.core.training.train_step import ctc_loss, make_train_step
    from sttx.plugins.models.conformer import build_model

    geometry = {key: value for key, value in TINY.items() if key != "model"}
    model = build_model(types.SimpleNamespace(**geometry, dropout_rate=0.0, dtype_policy="float32",
                                              inter_ctc_weight=0.25), 29)
    rng = np.random.default_rng(5)
    batch = {"features": tf.constant(rng.standard_normal((2, 48, 80)).astype("float32")),
             "feature_lengths": tf.constant([48, 40]), "labels": tf.constant([[3, 4, 5], [6, 7, 0]]),
             "label_lengths": tf.constant([3, 2])}
    logit_lengths = tf.constant([12, 10])

    def mean_ctc(logits: object) -> object:
        return tf.reduce_mean(ctc_loss(batch["labels"], batch["label_lengths"], logits, logit_lengths))

    with tf.GradientTape() as tape:
        final, intermediate = model.intermediate_ctc(batch["features"], training=True)
        expected_loss = mean_ctc(final)
        objective = 0.75 * expected_loss + 0.25 * mean_ctc(intermediate)
    expected = [np.asarray(g) for g in tape.gradient(objective, model.trainable_variables)]
    before = [np.asarray(v) for v in model.trainable_variables]
    step = make_train_step(model, keras.optimizers.SGD(learning_rate=1.0), tf.distribute.get_strategy(), 1)
    loss, _, finite, samples = step(batch, tf.constant(0, tf.int64))
    assert bool(finite) and int(samples) == 2
    assert float(loss) == pytest.approx(float(expected_loss), rel=1e-5)  # the final CTC, comparable to dev loss
    paths = [v.path for v in model.trainable_variables]
    assert "output_intermediate/kernel" in paths
    for path, old, new, gradient in zip(paths, before, model.trainable_variables, expected, strict=True):
        np.testing.assert_allclose(old - np.asarray(new), gradient, rtol=1e-3, atol=1e-5, err_msg=path)
