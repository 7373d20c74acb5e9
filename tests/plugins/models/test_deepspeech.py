"""The DeepSpeech model plugin: geometry, parameter count, names, LSTM gate layout and forget bias, dropout, dtypes."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from sttx.core.training.ds_checkpoint import split_fused_lstm
from sttx.plugins.models.deepspeech import N_WINDOW, build_model, dropout_rates, parameter_count

keras = pytest.importorskip("keras")


@attrs.frozen
class Settings:
    n_hidden: int = 16
    relu_clip: float = 20.0
    layer_norm: bool = False
    dropout_rate: float = 0.05
    dropout_rate2: float = -1.0
    dropout_rate3: float = -1.0
    dropout_rate4: float = 0.0
    dropout_rate5: float = 0.0
    dropout_rate6: float = -1.0
    dtype_policy: str = "float32"


def test_parameter_count_at_deepspeech_size_matches_the_reference() -> None:
    assert parameter_count(2048, 29) == 47_224_861
    assert N_WINDOW == 494


@pytest.mark.parametrize("layer_norm", [False, True])
def test_parameter_count_formula_matches_the_built_model(layer_norm: bool) -> None:
    model = build_model(Settings(n_hidden=24, layer_norm=layer_norm), 29)
    assert model.count_params() == parameter_count(24, 29, layer_norm=layer_norm)


def test_layer_names_and_shapes_follow_deepspeech() -> None:
    n = 16
    model = build_model(Settings(n_hidden=n), 29)
    shapes = {v.path: tuple(v.shape) for v in model.weights}
    assert shapes == {
        "layer_1/kernel": (494, n), "layer_1/bias": (n,),
        "layer_2/kernel": (n, n), "layer_2/bias": (n,),
        "layer_3/kernel": (n, n), "layer_3/bias": (n,),
        "lstm/lstm_cell/kernel": (n, 4 * n), "lstm/lstm_cell/recurrent_kernel": (n, 4 * n),
        "lstm/lstm_cell/bias": (4 * n,),
        "layer_5/kernel": (n, n), "layer_5/bias": (n,),
        "layer_6/kernel": (n, 29), "layer_6/bias": (29,),
    }
    out = model(np.zeros((2, 7, 26), np.float32))
    assert tuple(out.shape) == (2, 7, 29)


def test_lstm_forget_bias_is_zero() -> None:
    lstm = build_model(Settings(), 29).get_layer("lstm")
    assert lstm.cell.unit_forget_bias is False
    np.testing.assert_array_equal(lstm.get_weights()[2], 0.0)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _deepspeech_lstm(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """DeepSpeech's cell: ``[x, h] @ kernel + bias`` split into gates i, j, f, o; forget_bias 0."""
    n = bias.shape[0] // 4
    c, h, outputs = np.zeros(n), np.zeros(n), []
    for row in x:
        i, j, f, o = np.split(np.concatenate([row, h]) @ kernel + bias, 4)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(j)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs)


def test_deepspeech_lstm_weights_map_onto_the_keras_gate_layout() -> None:
    n, rng = 8, np.random.default_rng(1)
    lstm = build_model(Settings(n_hidden=n), 29).get_layer("lstm")
    ds_kernel = rng.normal(0, 0.3, (2 * n, 4 * n)).astype(np.float32)
    ds_bias = rng.normal(0, 0.3, 4 * n).astype(np.float32)
    lstm.set_weights(list(split_fused_lstm(ds_kernel, ds_bias)))
    x = rng.normal(0, 1, (5, n)).astype(np.float32)
    got = np.asarray(lstm(x[None]))[0]
    np.testing.assert_allclose(got, _deepspeech_lstm(x, ds_kernel, ds_bias), atol=1e-5)


def test_clipped_relu_and_context_window_input() -> None:
    model = build_model(Settings(n_hidden=8, relu_clip=3.0), 29)
    assert model.get_layer("layer_1_relu").max_value == 3.0
    big = np.full((1, 4, 26), 1000.0, np.float32)
    layer_1 = keras.Model(model.input, model.get_layer("layer_1_relu").output)
    assert float(np.max(layer_1(big))) <= 3.0


def test_dropout_rates_follow_deepspeech_and_use_rates_4_and_5() -> None:
    rates = dropout_rates(Settings(dropout_rate=0.2, dropout_rate3=0.1, dropout_rate4=0.3, dropout_rate5=0.4))
    assert rates == {"layer_1": 0.2, "layer_2": 0.2, "layer_3": 0.1, "layer_5": 0.2,
                     "lstm_input": 0.3, "lstm_recurrent": 0.4}
    model = build_model(Settings(dropout_rate=0.2, dropout_rate4=0.3, dropout_rate5=0.4), 29)
    assert model.get_layer("layer_5_dropout").rate == 0.2
    assert (model.get_layer("lstm").dropout, model.get_layer("lstm").recurrent_dropout) == (0.3, 0.4)
    assert not any(layer.name == "layer_6_dropout" for layer in model.layers)


def test_mixed_precision_keeps_float32_logits_and_variables() -> None:
    model = build_model(Settings(dtype_policy="mixed_bfloat16"), 29)
    assert model.get_layer("layer_2").compute_dtype == "bfloat16"
    assert all(v.dtype == "float32" for v in model.weights)
    assert model(np.zeros((1, 5, 26), np.float32)).dtype == "float32"


def test_registered_as_deepspeech(pm) -> None:
    architecture = pm.registries().models.get("deepspeech")
    assert architecture.build is build_model


def test_the_fast_lstm_path_matches_keras_generic_lstm() -> None:
    import tensorflow as tf

    n, rng = 8, np.random.default_rng(2)
    lstm = build_model(Settings(n_hidden=n), 29).get_layer("lstm")
    lstm.set_weights([rng.normal(0, 0.4, w.shape).astype(np.float32) for w in lstm.get_weights()])
    keras_lstm = keras.layers.LSTM(n, return_sequences=True, unit_forget_bias=False)
    keras_lstm.build((None, None, n))
    keras_lstm.set_weights(lstm.get_weights())
    x = tf.constant(rng.normal(0, 1, (3, 6, n)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        fast = lstm(x)
        generic = keras_lstm(x)
        fast_sum, generic_sum = tf.reduce_sum(fast**2), tf.reduce_sum(generic**2)
    np.testing.assert_allclose(fast, generic, atol=1e-5)
    pairs = zip(tape.gradient(fast_sum, lstm.weights), tape.gradient(generic_sum, keras_lstm.weights), strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_train_cudnn_swaps_in_keras_lstm_with_the_same_weights() -> None:
    """--train_cudnn: keras.layers.LSTM (cuDNN on a GPU) under the same paths, so checkpoints load either way."""
    import tensorflow as tf

    fast = build_model(Settings(n_hidden=8, dropout_rate=0.0), 29)
    cudnn = build_model(_Cudnn(), 29)
    assert type(cudnn.get_layer("lstm")) is keras.layers.LSTM and type(fast.get_layer("lstm")) is not keras.layers.LSTM
    assert [(v.path, v.shape) for v in fast.weights] == [(v.path, v.shape) for v in cudnn.weights]
    cudnn.set_weights(fast.get_weights())
    x = tf.constant(np.random.default_rng(4).normal(0, 1, (2, 30, 26)).astype(np.float32))
    np.testing.assert_allclose(fast(x), cudnn(x), atol=1e-4)


@attrs.frozen
class _Cudnn(Settings):
    n_hidden: int = 8
    dropout_rate: float = 0.0
    train_cudnn: bool = True
