"""Whole-utterance exports of models with their own front end (the conformer): a SavedModel and ``tflite_offline``.

Both take the front end's features of a whole utterance and return per-frame probabilities; the front end and the
alphabet travel with the file (``front_end.json`` and ``alphabet.txt`` beside a SavedModel, ``metadata_*``
outputs inside the .tflite), so ``sttx transcribe`` computes the same features the model was trained on.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sttx import hookimpl
from sttx.core.contract.registry import Exporter
from sttx.core.inference.export_options import ExportOptions

log = logging.getLogger(__name__)


def _declarations(model: Any) -> tuple[Any, int, int]:
    """(front end, time reduction, feature width) of a Keras model built from its architecture."""
    from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END

    front_end = getattr(model, "front_end", None) or DEEPSPEECH_FRONT_END
    return front_end, int(getattr(model, "time_reduction", 1) or 1), int(model.inputs[0].shape[-1])


def export_keras_savedmodel(source: Any, options: ExportOptions, target: Path) -> list[Path]:
    """A SavedModel with ``compute_features`` (wav bytes -> features) and ``forward_from_features``."""
    import tensorflow as tf

    from sttx.core.data.features import compute_features
    from sttx.core.inference.runtimes import FRONT_END_FILE, SavedModelAcoustic, front_end_json
    from sttx.plugins.exporters.parity import check_export_parity

    model = source.model
    front_end, reduction, width = _declarations(model)
    module = tf.Module(name="sttx_acoustic")
    module.model = model

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="input_wavfile")])
    def features_of(input_wavfile: Any) -> dict[str, Any]:
        audio, _ = tf.audio.decode_wav(input_wavfile, desired_channels=1)
        features = compute_features(tf.reshape(audio, [-1]), front_end, options.audio_sample_rate)
        return {"features": features, "features_len": tf.shape(features)[0]}

    @tf.function(input_signature=[tf.TensorSpec([None, None, width], tf.float32, name="features"),
                                  tf.TensorSpec([None], tf.int32, name="features_len")])
    def forward(features: Any, features_len: Any) -> dict[str, Any]:
        probs = tf.nn.softmax(tf.cast(model(features, training=False), tf.float32))
        return {"probs": probs, "probs_len": (features_len + reduction - 1) // reduction}

    module.compute_features, module.forward_from_features = features_of, forward
    target.mkdir(parents=True, exist_ok=True)
    tf.saved_model.save(module, str(target), signatures={"compute_features": features_of,
                                                        "forward_from_features": forward})
    source.alphabet.write(target / "alphabet.txt")
    (target / FRONT_END_FILE).write_text(front_end_json(front_end, reduction), encoding="utf-8")
    check_export_parity(source, SavedModelAcoustic(target), str(target), options, lossy=False)
    return [target / "saved_model.pb", target / "variables", target / "alphabet.txt", target / FRONT_END_FILE]


def convert_utterance_tflite(source: Any, quantize: bool) -> bytes:
    """The model as a .tflite: ``serving_default(features [1, T, F]) -> probs, metadata_alphabet,
    metadata_front_end``; ``quantize`` stores the weights as int8 (dynamic-range quantisation)."""
    import numpy as np
    import tensorflow as tf

    from sttx.core.inference.runtimes import front_end_json

    model = source.model
    front_end, reduction, width = _declarations(model)
    alphabet_blob = np.frombuffer(source.alphabet.serialize(), np.uint8)
    front_blob = np.frombuffer(front_end_json(front_end, reduction).encode("utf-8"), np.uint8)

    @tf.function(input_signature=[tf.TensorSpec([1, None, width], tf.float32, name="features")])
    def serve(features: Any) -> dict[str, Any]:
        probs = tf.nn.softmax(tf.cast(model(features, training=False), tf.float32))
        return {"probs": probs, "metadata_alphabet": tf.constant(alphabet_blob),
                "metadata_front_end": tf.constant(front_blob)}

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    # the weights as constants (the converter would keep Keras 3 variables as uninitialised resources), then a
    # SavedModel of that constant graph so the .tflite keeps the signature and its output names
    concrete = serve.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)

    @tf.function(input_signature=[tf.TensorSpec([1, None, width], tf.float32, name="features")])
    def constant_serve(features: Any) -> dict[str, Any]:
        return tf.nest.pack_sequence_as(concrete.structured_outputs, tf.nest.flatten(frozen(features)))

    module = tf.Module(name="sttx_acoustic")
    module.serve = constant_serve
    with tempfile.TemporaryDirectory(prefix="sttx-tflite-") as folder:
        tf.saved_model.save(module, folder, signatures={"serving_default": constant_serve},
                            options=tf.saved_model.SaveOptions(experimental_custom_gradients=False))
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bytes(converter.convert())


def export_tflite_offline(model_state: Any, config: Any, export_dir: str | Path) -> list[Path]:
    """Write ``<export_file_name>.tflite`` (int8 weights with --export_quantize) and check its parity."""
    from sttx.core.inference.model_source import ExportSource
    from sttx.core.inference.runtimes import UtteranceTFLiteAcoustic
    from sttx.plugins.exporters.parity import check_export_parity

    source = ExportSource.coerce(model_state)
    options = ExportOptions.from_config(config)
    path = Path(export_dir) / f"{options.export_file_name}.tflite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(convert_utterance_tflite(source, options.export_quantize))
    log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    check_export_parity(source, UtteranceTFLiteAcoustic(path), str(path), options, lossy=options.export_quantize)
    return [path]


@hookimpl
def register_exporters(register: Any) -> None:
    """The whole-utterance .tflite that `sttx transcribe` runs (any Keras model, the conformer included)."""
    register.add("tflite_offline", Exporter(
        export=export_tflite_offline, description="whole-utterance .tflite for sttx transcribe (float or int8)"))
