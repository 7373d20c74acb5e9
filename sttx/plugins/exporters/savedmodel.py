"""The ``savedmodel`` exporter: Coqui-style serving signatures ``compute_features`` and ``forward_from_features``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sttx import hookimpl
from sttx.core.contract.registry import Exporter
from sttx.core.inference.export_options import ExportOptions

if TYPE_CHECKING:
    from sttx.core.contract.registry import ExporterRegistry
    from sttx.core.training.acoustic_weights import AcousticWeights

log = logging.getLogger(__name__)


def build_module(weights: AcousticWeights, options: ExportOptions) -> Any:
    """A tf.Module whose two tf.functions are the serving signatures (weights held as variables)."""
    import tensorflow as tf

    from sttx.core.data.features import context_windows, mfcc

    class AcousticModule(tf.Module):
        def __init__(self) -> None:
            super().__init__(name="sttx_acoustic")
            self.dense = {
                name: (tf.Variable(layer.kernel, name=f"{name}_kernel"), tf.Variable(layer.bias, name=f"{name}_bias"))
                for name, layer in weights.dense.items()
            }
            self.norms = {
                name: (tf.Variable(layer.norm_gamma), tf.Variable(layer.norm_beta), layer.norm_epsilon)
                for name, layer in weights.dense.items()
                if layer.norm_gamma is not None
            }
            self.lstm = [tf.Variable(v, name=n) for v, n in ((weights.lstm_kernel, "lstm_kernel"),
                         (weights.lstm_recurrent, "lstm_recurrent"), (weights.lstm_bias, "lstm_bias"))]

        def _dense(self, name: str, x: tf.Tensor, activation: bool = True) -> tf.Tensor:
            kernel, bias = self.dense[name]
            y = tf.matmul(x, kernel) + bias
            if not activation:
                return y
            y = tf.minimum(tf.nn.relu(y), weights.relu_clip)
            if name in self.norms:
                gamma, beta, epsilon = self.norms[name]
                mean, variance = tf.nn.moments(y, axes=[-1], keepdims=True)
                y = (y - mean) * tf.math.rsqrt(variance + epsilon) * gamma + beta
            return y

        @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="input_wavfile")])
        def compute_features(self, input_wavfile: tf.Tensor) -> dict[str, tf.Tensor]:
            audio, _ = tf.audio.decode_wav(input_wavfile, desired_channels=1)
            features = mfcc(tf.reshape(audio, [-1]), options.audio_sample_rate)
            return {"features": features, "features_len": tf.shape(features)[0]}

        @tf.function(input_signature=[tf.TensorSpec([None, None, 26], tf.float32, name="features"),
                                      tf.TensorSpec([None], tf.int32, name="features_len")])
        def forward_from_features(self, features: tf.Tensor, features_len: tf.Tensor) -> dict[str, tf.Tensor]:
            mask = tf.sequence_mask(features_len, tf.shape(features)[1], dtype=features.dtype)
            windows = context_windows(features * mask[:, :, None])
            batch, steps = tf.shape(features)[0], tf.shape(features)[1]
            x = tf.reshape(windows, [batch * steps, weights.n_input_window])
            for name in ("layer_1", "layer_2", "layer_3"):
                x = self._dense(name, x)
            kernel, recurrent, bias = self.lstm
            projected = tf.transpose(tf.reshape(tf.matmul(x, kernel) + bias, [batch, steps, -1]), [1, 0, 2])

            def step(state: tuple[tf.Tensor, tf.Tensor], z: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
                i, f, g, o = tf.split(z + tf.matmul(state[1], recurrent), 4, axis=1)
                c = tf.sigmoid(f) * state[0] + tf.sigmoid(i) * tf.tanh(g)
                return c, tf.sigmoid(o) * tf.tanh(c)

            zeros = tf.zeros([batch, weights.n_hidden])
            _, outputs = tf.scan(step, projected, initializer=(zeros, zeros))
            x = tf.reshape(tf.transpose(outputs, [1, 0, 2]), [batch * steps, weights.n_hidden])
            logits = self._dense("layer_6", self._dense("layer_5", x), activation=False)
            return {"probs": tf.nn.softmax(tf.reshape(logits, [batch, steps, weights.n_classes]))}

    return AcousticModule()


def export_savedmodel(model_state: Any, config: Any, export_dir: str | Path) -> list[Path]:
    """Write a SavedModel (SERVING tag) with alphabet.txt beside it, then check parity with the checkpoint."""
    import tensorflow as tf

    from sttx.core.inference.model_source import ExportSource
    from sttx.core.inference.runtimes import SavedModelAcoustic
    from sttx.plugins.exporters.parity import check_export_parity

    source = ExportSource.coerce(model_state)
    options = ExportOptions.from_config(config, relu_clip=source.relu_clip)
    target = Path(export_dir)
    if source.architecture != "deepspeech":  # a model with its own front end: its Keras graph as it is
        from sttx.plugins.exporters.utterance import export_keras_savedmodel

        return export_keras_savedmodel(source, options, target)
    target.mkdir(parents=True, exist_ok=True)
    module = build_module(source.weights(), options)
    signatures = {"compute_features": module.compute_features, "forward_from_features": module.forward_from_features}
    tf.saved_model.save(module, str(target), signatures=signatures)
    source.alphabet.write(target / "alphabet.txt")
    check_export_parity(source, SavedModelAcoustic(target), str(target), options, lossy=False)
    return [target / "saved_model.pb", target / "variables", target / "alphabet.txt"]


@hookimpl
def register_exporters(register: ExporterRegistry) -> None:
    """The TF Serving SavedModel exporter."""
    register.add("savedmodel", Exporter(export=export_savedmodel, description="SavedModel with serving signatures"))
