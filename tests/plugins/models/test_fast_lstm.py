"""FastLSTM against Keras' LSTM: same variables, outputs and gradients (float32 exact, bfloat16 close), dropout."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from sttx.plugins.models.fast_lstm import FastLSTM  # noqa: E402

BATCH, STEPS, N_IN, UNITS = 3, 9, 5, 4


def layers(policy: str = "float32") -> tuple[object, object]:
    reference = keras.layers.LSTM(UNITS, return_sequences=True, unit_forget_bias=False, name="lstm")
    fast = FastLSTM(UNITS, name="lstm", dtype=policy)
    reference.build((None, None, N_IN))
    fast.build((None, None, N_IN))
    rng = np.random.default_rng(1)
    weights = [0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in reference.get_weights()]
    reference.set_weights(weights)
    fast.set_weights(weights)
    return reference, fast


INPUT = np.random.default_rng(0).standard_normal((BATCH, STEPS, N_IN)).astype(np.float32)


def outputs_and_gradients(layer: object, compiled: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    x = tf.constant(INPUT)

    def run() -> tuple[object, list[object]]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cast(layer(x), tf.float32)
            loss = tf.reduce_sum(y * tf.cos(tf.range(UNITS, dtype=tf.float32))) + tf.reduce_sum(y[:, -1] ** 2)
        return y, tape.gradient(loss, [x, *layer.trainable_variables])

    y, grads = tf.function(run)() if compiled else run()
    return np.asarray(y), [np.asarray(tf.cast(g, tf.float32)) for g in grads]


def test_same_variables_as_keras() -> None:
    reference, fast = layers()
    assert [v.path for v in fast.weights] == [v.path for v in reference.weights]
    assert [v.shape for v in fast.weights] == [v.shape for v in reference.weights]


def test_float32_outputs_and_gradients_match_keras() -> None:
    reference, fast = layers()
    y_ref, g_ref = outputs_and_gradients(reference)
    y_fast, g_fast = outputs_and_gradients(fast, compiled=True)
    np.testing.assert_allclose(y_fast, y_ref, atol=1e-6)
    for mine, theirs in zip(g_fast, g_ref, strict=True):  # input, kernel, recurrent kernel, bias
        np.testing.assert_allclose(mine, theirs, atol=2e-6, rtol=1e-5)


def test_bfloat16_stays_close_and_returns_float32_gradients() -> None:
    reference, fast = layers("mixed_bfloat16")
    y_ref, g_ref = outputs_and_gradients(reference)
    y_fast, g_fast = outputs_and_gradients(fast, compiled=True)
    assert fast.compute_dtype == "bfloat16" and all(v.dtype == "float32" for v in fast.weights)
    np.testing.assert_allclose(y_fast, y_ref, atol=0.02)
    for mine, theirs in zip(g_fast, g_ref, strict=True):
        np.testing.assert_allclose(mine, theirs, atol=0.05 * np.abs(theirs).max())


def test_dropout_only_in_training_and_refused_options() -> None:
    layer = FastLSTM(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=3, name="lstm")
    x = tf.constant(INPUT)
    assert np.array_equal(layer(x, training=False), layer(x, training=False))
    assert not np.allclose(layer(x, training=True), layer(x, training=False))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True))
    assert all(np.isfinite(g).all() and np.abs(g).sum() > 0 for g in tape.gradient(loss, layer.trainable_variables))
    with pytest.raises(ValueError, match="returns sequences"):
        FastLSTM(UNITS, return_sequences=False)
