"""Importing DeepSpeech/Coqui TF1 checkpoints: names, gate order, biases, CuDNN params, forward-pass equality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.inference.reference import flat_windows
from sttx.core.training.acoustic_weights import numpy_forward
from sttx.core.training.ds_checkpoint import (
    CheckpointImportError,
    is_deepspeech_checkpoint,
    read_deepspeech_weights,
    read_flags,
    restore_deepspeech,
    split_fused_lstm,
)
from tests.core.training.ds_tf1 import LSTM, cudnn_opaque, ds_variables, tf1_logits, write_checkpoint


@pytest.fixture(scope="module")
def values() -> dict[str, np.ndarray]:
    return ds_variables()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory, values) -> Path:
    folder = write_checkpoint(tmp_path_factory.mktemp("ds") / "ckpt", values)
    (folder / "flags.txt").write_text("--n_hidden=24\n--relu_clip=20.0\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def windows() -> np.ndarray:
    features = np.random.default_rng(11).standard_normal((37, 26)).astype(np.float32) * 8
    return flat_windows(features)


def test_detects_and_reads_flags(checkpoint: Path, tmp_path: Path) -> None:
    assert is_deepspeech_checkpoint(checkpoint)
    assert not is_deepspeech_checkpoint(tmp_path)
    assert read_flags(checkpoint) == {"n_hidden": "24", "relu_clip": "20.0"}


def test_forward_pass_equals_tf1(checkpoint: Path, values, windows: np.ndarray) -> None:
    """Imported weights give DeepSpeech's own (TF1 BlockLSTM, gates i, j, f, o) logits."""
    weights = read_deepspeech_weights(checkpoint)
    assert weights.n_hidden == 24 and weights.n_classes == 29
    np.testing.assert_allclose(numpy_forward(weights, windows), tf1_logits(values, windows), atol=2e-4)


def test_gate_mapping_is_not_identity(checkpoint: Path, values, windows: np.ndarray) -> None:
    """Guard: the TF1 kernel loaded without the i, j, f, o -> i, f, c, o remap gives other outputs."""
    import attrs

    kernel, bias = values[f"{LSTM}/kernel"], values[f"{LSTM}/bias"]
    right = read_deepspeech_weights(checkpoint)
    wrong = attrs.evolve(right, lstm_kernel=kernel[:24], lstm_recurrent=kernel[24:], lstm_bias=bias)
    assert not np.allclose(numpy_forward(wrong, windows), tf1_logits(values, windows), atol=1e-2)
    np.testing.assert_array_equal(right.lstm_kernel[:, 24:48], kernel[:24, 48:72])  # Keras f is TF1's third block


def test_forget_bias_is_folded_in(values) -> None:
    kernel, bias = values[f"{LSTM}/kernel"], values[f"{LSTM}/bias"]
    _, _, shifted = split_fused_lstm(kernel, bias, forget_bias=1.0)
    _, _, plain = split_fused_lstm(kernel, bias)
    np.testing.assert_allclose(shifted - plain, np.r_[np.zeros(24), np.ones(24), np.zeros(48)])


def test_cudnn_checkpoint(tmp_path: Path, values, windows: np.ndarray) -> None:
    """A checkpoint holding CuDNN's opaque params instead of the compatible cell loads to the same model."""
    cudnn = {k: v for k, v in values.items() if not k.startswith(LSTM)}
    cudnn["cudnn_lstm/opaque_kernel"] = cudnn_opaque(values)
    folder = write_checkpoint(tmp_path / "cudnn", cudnn, state_file="checkpoint")
    weights = read_deepspeech_weights(folder)
    np.testing.assert_allclose(numpy_forward(weights, windows), tf1_logits(values, windows), atol=2e-4)


def test_missing_variable_is_named(tmp_path: Path, values) -> None:
    partial = {k: v for k, v in values.items() if k != "layer_3/bias"}
    folder = write_checkpoint(tmp_path / "partial", partial)
    with pytest.raises(CheckpointImportError, match="layer_3/bias"):
        read_deepspeech_weights(folder)


def test_alphabet_must_fit_the_output_layer(tmp_path: Path, checkpoint: Path) -> None:
    weights, alphabet, relu_clip = restore_deepspeech(checkpoint)
    assert alphabet.n_classes == weights.n_classes and relu_clip == 20.0
    small = tmp_path / "alphabet.txt"
    small.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(CheckpointImportError, match="output classes"):
        restore_deepspeech(checkpoint, small)


def test_keras_model_after_import_equals_tf1(checkpoint: Path, values, windows: np.ndarray) -> None:
    """Loaded into the deepspeech model plugin's Keras model, the forward pass is DeepSpeech's."""
    from types import SimpleNamespace

    import tensorflow as tf

    from sttx.core.training.ds_checkpoint import load_into_model
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(SimpleNamespace(n_hidden=24), 29)
    load_into_model(model, read_deepspeech_weights(checkpoint))
    features = windows[:, 9 * 26 : 10 * 26]  # the centre frame of each window is the feature frame
    logits = model(tf.constant(features[None]), training=False).numpy()[0]
    np.testing.assert_allclose(logits, tf1_logits(values, windows), atol=2e-4)


def test_import_into_model_with_dropped_layers(checkpoint: Path) -> None:
    from types import SimpleNamespace

    from sttx.core.training.ds_checkpoint import import_into_model
    from sttx.core.training.transfer import dropped_layers
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(SimpleNamespace(n_hidden=24), 29)
    fresh = model.get_layer("layer_6").get_weights()[0].copy()
    loaded = import_into_model(model, checkpoint, skip=dropped_layers(1))
    assert "layer_6" not in loaded and "lstm" in loaded
    np.testing.assert_array_equal(model.get_layer("layer_6").get_weights()[0], fresh)
    np.testing.assert_array_equal(model.get_layer("layer_1").get_weights()[0],
                                  read_deepspeech_weights(checkpoint).dense["layer_1"].kernel)
    with pytest.raises(CheckpointImportError, match="layer_1/weights"):
        import_into_model(build_model(SimpleNamespace(n_hidden=16), 29), checkpoint)
