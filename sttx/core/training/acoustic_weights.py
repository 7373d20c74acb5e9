"""The DeepSpeech acoustic model as plain arrays, and its forward pass written with TF ops for export graphs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from sttx.core.contract.errors import SttxError

if TYPE_CHECKING:
    import tensorflow as tf

DENSE_LAYERS = ("layer_1", "layer_2", "layer_3", "layer_5", "layer_6")
#: the optional layer of fixed weights [mean, scale] (per MFCC coefficient) in front of layer_1: the trainer sets
#: it, weights_from_model folds it into layer_1
FEATURE_NORM = "feature_norm"
DEFAULT_RELU_CLIP = 20.0


class ModelShapeError(SttxError):
    """The model does not have the DeepSpeech layers an exporter needs (names the layer at fault)."""


@attrs.frozen
class Dense:
    """One dense layer: kernel [in, out], bias [out], and the optional LayerNorm after its clipped ReLU."""

    kernel: np.ndarray
    bias: np.ndarray
    norm_gamma: np.ndarray | None = None
    norm_beta: np.ndarray | None = None
    norm_epsilon: float = 1e-3


@attrs.frozen
class AcousticWeights:
    """Everything the forward pass needs; the LSTM is in Keras layout (gates i, f, c, o; one bias)."""

    dense: dict[str, Dense]
    lstm_kernel: np.ndarray
    lstm_recurrent: np.ndarray
    lstm_bias: np.ndarray
    relu_clip: float = DEFAULT_RELU_CLIP

    @property
    def n_hidden(self) -> int:
        """Width of the LSTM cell (the state size libstt reads)."""
        return int(self.lstm_recurrent.shape[0])

    @property
    def n_classes(self) -> int:
        """Output classes, blank last."""
        return int(self.dense["layer_6"].bias.shape[0])

    @property
    def n_input_window(self) -> int:
        """Width of the flattened context window layer_1 reads (19*26 = 494)."""
        return int(self.dense["layer_1"].kernel.shape[0])


def _layer(model: Any, name: str) -> Any:
    try:
        return model.get_layer(name)
    except ValueError:
        raise ModelShapeError(f"model {getattr(model, 'name', '?')!r} has no layer {name!r}") from None


def _norm_of(model: Any, name: str) -> Any:
    for candidate in (f"{name}_norm", f"{name}_layer_norm", f"{name}/LayerNorm", f"{name}_ln"):
        try:
            return model.get_layer(candidate)
        except ValueError:
            continue
    return None


def weights_from_model(model: Any, relu_clip: float | None = None) -> AcousticWeights:
    """Read a DeepSpeech-shaped Keras model (layer_1..3, lstm, layer_5, layer_6) into arrays."""
    dense = {}
    for name in DENSE_LAYERS:
        kernel, bias = (np.asarray(v, np.float32) for v in _layer(model, name).get_weights()[:2])
        norm = _norm_of(model, name)
        if norm is not None:
            gamma, beta = (np.asarray(v, np.float32) for v in norm.get_weights())
            dense[name] = Dense(kernel, bias, gamma, beta, float(getattr(norm, "epsilon", 1e-3)))
        else:
            dense[name] = Dense(kernel, bias)
    dense["layer_1"] = _fold_feature_norm(model, dense["layer_1"])
    lstm = _layer(model, "lstm")
    kernel, recurrent, bias = (np.asarray(v, np.float32) for v in lstm.get_weights())
    clip = relu_clip if relu_clip is not None else getattr(model, "relu_clip", None)
    clip = clip if clip is not None else _find_relu_clip(model)
    return AcousticWeights(dense, kernel, recurrent, bias, float(clip))


def _fold_feature_norm(model: Any, layer_1: Dense) -> Dense:
    """layer_1 reading raw windows: ``((x - m) * s) @ W + b == x @ (s * W) + (b - (m * s) @ W)``.

    m and s are per coefficient, tiled over the window's frames (frame outer, coefficient inner), so the
    exported graph and libstt feed raw MFCC windows, zero padding included, to the same function.
    """
    try:
        norm = model.get_layer(FEATURE_NORM)
    except ValueError:
        return layer_1
    mean, scale = (np.asarray(v, np.float64) for v in norm.get_weights())
    frames = layer_1.kernel.shape[0] // mean.shape[0]
    mean, scale = np.tile(mean, frames), np.tile(scale, frames)
    kernel = layer_1.kernel.astype(np.float64)
    folded = (kernel * scale[:, None]).astype(np.float32)
    bias = (layer_1.bias.astype(np.float64) - (mean * scale) @ kernel).astype(np.float32)
    return attrs.evolve(layer_1, kernel=folded, bias=bias)


def _find_relu_clip(model: Any) -> float:
    """The clip value the model plugin recorded (a layer or model attribute), else DeepSpeech's 20."""
    for layer in getattr(model, "layers", ()):
        value = getattr(layer, "relu_clip", None) or getattr(layer, "max_value", None)
        if value is not None:
            return float(value)
    return DEFAULT_RELU_CLIP


def dense_layer(weights: AcousticWeights, name: str, x: tf.Tensor, *, activation: bool = True) -> tf.Tensor:
    """``x @ kernel + bias``, then clipped ReLU and the optional LayerNorm (layer_6 stays linear)."""
    import tensorflow as tf

    layer = weights.dense[name]
    y = tf.matmul(x, tf.constant(layer.kernel)) + tf.constant(layer.bias)
    if not activation:
        return y
    y = tf.minimum(tf.nn.relu(y), weights.relu_clip)
    if layer.norm_gamma is not None:
        mean, variance = tf.nn.moments(y, axes=[-1], keepdims=True)
        y = (y - mean) * tf.math.rsqrt(variance + layer.norm_epsilon) * layer.norm_gamma + layer.norm_beta
    return y


def lstm_steps(
    weights: AcousticWeights, x: tf.Tensor, c: tf.Tensor, h: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """An LSTM unrolled over the static rows of ``x`` [n_steps, n]: returns outputs [n_steps, n], c, h.

    The input projection of all steps is one matmul; each step adds ``h @ recurrent`` (Keras gates i, f, c, o).
    """
    import tensorflow as tf

    projected = tf.matmul(x, tf.constant(weights.lstm_kernel)) + tf.constant(weights.lstm_bias)
    recurrent = tf.constant(weights.lstm_recurrent)
    outputs = []
    for row in tf.unstack(projected, axis=0):
        z = tf.expand_dims(row, 0) + tf.matmul(h, recurrent)
        i, f, g, o = tf.split(z, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
    return tf.concat(outputs, axis=0), c, h


def acoustic_forward(
    weights: AcousticWeights, windows: tf.Tensor, c: tf.Tensor, h: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Flattened context windows [n_steps, 494] and state -> (logits [n_steps, n_classes], new c, new h)."""
    x = windows
    for name in ("layer_1", "layer_2", "layer_3"):
        x = dense_layer(weights, name, x)
    x, c, h = lstm_steps(weights, x, c, h)
    x = dense_layer(weights, "layer_5", x)
    return dense_layer(weights, "layer_6", x, activation=False), c, h


def numpy_forward(weights: AcousticWeights, windows: np.ndarray) -> np.ndarray:
    """Reference logits [T, n_classes] for flattened windows [T, 494] from a zero state, in float64 numpy."""

    def dense(name: str, x: np.ndarray, activation: bool = True) -> np.ndarray:
        layer = weights.dense[name]
        y = x @ layer.kernel.astype(np.float64) + layer.bias
        if not activation:
            return y
        y = np.minimum(np.maximum(y, 0.0), weights.relu_clip)
        if layer.norm_gamma is not None:
            mean, var = y.mean(-1, keepdims=True), y.var(-1, keepdims=True)
            y = (y - mean) / np.sqrt(var + layer.norm_epsilon) * layer.norm_gamma + layer.norm_beta
        return y

    def sigmoid(v: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-v))

    x = dense("layer_3", dense("layer_2", dense("layer_1", np.asarray(windows, np.float64))))
    projected = x @ weights.lstm_kernel.astype(np.float64) + weights.lstm_bias
    c = h = np.zeros(weights.n_hidden)
    outputs = []
    for row in projected:
        i, f, g, o = np.split(row + h @ weights.lstm_recurrent, 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return dense("layer_6", dense("layer_5", np.stack(outputs)), activation=False)
