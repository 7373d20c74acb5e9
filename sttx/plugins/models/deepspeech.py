"""The DeepSpeech acoustic model in Keras 3: three clipped-ReLU dense layers, an LSTM, a dense layer, the output.

Geometry and names follow DeepSpeech 0.9 (``layer_1``, ``layer_2``, ``layer_3``, ``lstm``, ``layer_5``,
``layer_6``), so its checkpoints map onto this model one variable at a time:

- ``layer_N/weights`` and ``layer_N/bias`` are ``layer_N``'s kernel and bias;
- DeepSpeech's LSTM kernel ``cudnn_compatible_lstm_cell/kernel`` is ``[n_input + n_hidden, 4n]`` over ``[x, h]``
  with gates (i, j=c̃, f, o); Keras keeps ``kernel [n_input, 4n]`` (the x rows), ``recurrent_kernel [n, 4n]``
  (the h rows) and gates (i, f, c, o), so each block of n columns moves: i->i, f->f, j->c, o->o. The cell's
  ``forget_bias`` is 0, which Keras matches with ``unit_forget_bias=False`` (no hidden +1).

Dropout: layer_1 ``dropout_rate``, layer_2 ``dropout_rate2``, layer_3 ``dropout_rate3``, layer_5
``dropout_rate6`` (negative: same as dropout_rate); unlike DeepSpeech, ``dropout_rate4`` and ``dropout_rate5``
are used, as the LSTM's input and recurrent dropout. Rates are the fraction *dropped*.
"""

from __future__ import annotations

from typing import Any

from sttx import hookimpl
from sttx.core.contract.registry import ModelArchitecture
from sttx.core.data.features import N_CONTEXT, N_INPUT

#: width of layer_1's input: 2*9+1 frames of 26 coefficients, frame outer, coefficient inner
N_WINDOW = (2 * N_CONTEXT + 1) * N_INPUT
DENSE_LAYERS = ("layer_1", "layer_2", "layer_3", "layer_5", "layer_6")
_DEFAULTS = {"n_hidden": 2048, "relu_clip": 20.0, "layer_norm": False, "feature_norm": False, "dropout_rate": 0.05,
             "dropout_rate2": -1.0, "dropout_rate3": -1.0, "dropout_rate4": 0.0, "dropout_rate5": 0.0,
             "dropout_rate6": -1.0, "dtype_policy": "float32"}


def setting(config: Any, name: str) -> Any:
    """``config.name``, or DeepSpeech's default when the config object does not have it."""
    return getattr(config, name, _DEFAULTS[name])


def dropout_rates(config: Any) -> dict[str, float]:
    """The rate each dropout layer uses; -1 (any negative) in rates 2, 3 and 6 means ``dropout_rate``."""
    base = float(setting(config, "dropout_rate"))

    def rate(name: str) -> float:
        value = float(setting(config, name))
        return base if value < 0 else value

    return {"layer_1": base, "layer_2": rate("dropout_rate2"), "layer_3": rate("dropout_rate3"),
            "layer_5": rate("dropout_rate6"), "lstm_input": rate("dropout_rate4"), "lstm_recurrent":
            rate("dropout_rate5")}


def parameter_count(n_hidden: int, n_classes: int, *, layer_norm: bool = False) -> int:
    """Trainable parameters of the geometry, without building it (47,224,861 at 2048 hidden, 29 classes)."""
    n = n_hidden
    dense = (N_WINDOW + 1) * n + 3 * (n + 1) * n + (n + 1) * n_classes
    lstm = (n + n + 1) * 4 * n
    norms = 4 * 2 * n if layer_norm else 0
    return dense + lstm + norms


def build_model(config: Any, n_classes: int) -> Any:
    """A Keras model: features [B, T, 26] float32 -> logits [B, T, n_classes] float32 (blank last).

    ``config`` supplies n_hidden, relu_clip, layer_norm, feature_norm, the dropout rates, ``dtype_policy`` and
    ``train_cudnn`` (Keras's LSTM, which picks cuDNN on a GPU, instead of the CPU-fast FastLSTM)
    (float32, mixed_bfloat16 or mixed_float16); the output layer always computes in float32 so CTC and softmax do.
    With feature_norm, a fixed per-coefficient affine map (sttx.plugins.models.feature_norm) feeds layer_1.
    """
    import keras

    from sttx.core.data.features import context_windows
    from sttx.core.training.acoustic_weights import FEATURE_NORM
    from sttx.plugins.models.fast_lstm import FastLSTM
    from sttx.plugins.models.feature_norm import FeatureNorm

    n, clip, policy = int(setting(config, "n_hidden")), float(setting(config, "relu_clip")), setting(
        config, "dtype_policy")
    rates = dropout_rates(config)
    features = keras.Input((None, N_INPUT), name="features", dtype="float32")
    windows = keras.layers.Lambda(
        lambda f: keras.ops.reshape(context_windows(f), (keras.ops.shape(f)[0], -1, N_WINDOW)),
        output_shape=(None, N_WINDOW), name="context_windows")(features)
    x = FeatureNorm(name=FEATURE_NORM)(windows) if setting(config, "feature_norm") else windows
    for name in ("layer_1", "layer_2", "layer_3"):
        x = _clipped_dense(x, name, n, clip, rates[name], config, policy)
    if getattr(config, "train_cudnn", False):
        # Keras's LSTM runs cuDNN's kernel on a GPU (without recurrent dropout); same weights as FastLSTM
        x = keras.layers.LSTM(n, return_sequences=True, unit_forget_bias=False, dropout=rates["lstm_input"],
                              recurrent_dropout=rates["lstm_recurrent"], name="lstm", dtype=policy)(x)
    else:
        x = FastLSTM(n, dropout=rates["lstm_input"], recurrent_dropout=rates["lstm_recurrent"], name="lstm",
                     dtype=policy)(x)
    x = _clipped_dense(x, "layer_5", n, clip, rates["layer_5"], config, policy)
    logits = keras.layers.Dense(n_classes, name="layer_6", dtype="float32")(x)
    model = keras.Model(features, logits, name="deepspeech")
    model.relu_clip = clip  # read by the exporters
    return model


def _clipped_dense(x: Any, name: str, units: int, clip: float, rate: float, config: Any, policy: str) -> Any:
    """Dense, clipped ReLU ``min(max(x, 0), clip)``, the optional LayerNorm, then dropout."""
    import keras

    x = keras.layers.Dense(units, name=name, dtype=policy)(x)
    x = keras.layers.ReLU(max_value=clip, name=f"{name}_relu", dtype=policy)(x)
    if setting(config, "layer_norm"):
        x = keras.layers.LayerNormalization(epsilon=1e-12, name=f"{name}_norm", dtype=policy)(x)
    if rate > 0:
        x = keras.layers.Dropout(rate, name=f"{name}_dropout", dtype=policy)(x)
    return x


@hookimpl
def register_models(register: Any) -> None:
    """Register ``deepspeech``, sttx's default architecture."""
    register.add("deepspeech", ModelArchitecture(
        build=build_model, description="DeepSpeech 0.9: 3 clipped-ReLU dense, LSTM, dense, output (CTC)"))
