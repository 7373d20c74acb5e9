"""The ``tflite`` exporter: a .tflite with the Coqui STT 1.x native-client interface that stock libstt runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sttx import hookimpl
from sttx.core.contract.registry import Exporter
from sttx.core.inference.export_options import ExportOptions
from sttx.core.training.acoustic_weights import AcousticWeights, acoustic_forward

if TYPE_CHECKING:
    from sttx.core.contract.registry import ExporterRegistry

log = logging.getLogger(__name__)

GRAPH_VERSION = 6  # Coqui STT 1.4's ds_graph_version(); libstt rejects lower versions
N_CONTEXT = 9
N_INPUT = 26


def mfcc_graph(samples: Any, options: ExportOptions) -> Any:
    """One window of float samples [win] -> MFCC [1, 26] with the ops TFLite maps to its custom kernels."""
    import tensorflow as tf

    spectrogram = tf.raw_ops.AudioSpectrogram(
        input=tf.reshape(samples, [-1, 1]),
        window_size=options.window_samples,
        stride=options.step_samples,
        magnitude_squared=True,
    )
    mfcc = tf.raw_ops.Mfcc(
        spectrogram=spectrogram,
        sample_rate=tf.constant(options.audio_sample_rate, tf.int32),
        upper_frequency_limit=options.audio_sample_rate / 2,
        lower_frequency_limit=20.0,
        filterbank_channel_count=40,
        dct_coefficient_count=N_INPUT,
    )
    return tf.reshape(mfcc, [1, N_INPUT], name="mfccs")


def _build_graph(weights: AcousticWeights, options: ExportOptions) -> tuple[Any, list[Any], list[Any]]:
    """A static TF1-style graph with libstt's tensor names; weights are constants, the LSTM is unrolled."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        samples = v1.placeholder(tf.float32, [options.window_samples], name="input_samples")
        window = 2 * N_CONTEXT + 1
        node = v1.placeholder(tf.float32, [1, options.n_steps, window, N_INPUT], name="input_node")
        c = v1.placeholder(tf.float32, [1, weights.n_hidden], name="previous_state_c")
        h = v1.placeholder(tf.float32, [1, weights.n_hidden], name="previous_state_h")
        mfccs = mfcc_graph(samples, options)
        flat = tf.reshape(node, [options.n_steps, window * N_INPUT])
        logits, new_c, new_h = acoustic_forward(weights, flat, c, h)
        probs = tf.nn.softmax(logits, name="logits")
        outputs = [mfccs, probs, tf.identity(new_c, name="new_state_c"), tf.identity(new_h, name="new_state_h")]
    return graph, [samples, node, c, h], outputs


def convert_tflite(weights: AcousticWeights, alphabet_blob: bytes, options: ExportOptions) -> bytes:
    """Convert with the MLIR converter (custom ops allowed), then append the metadata producers."""
    import tensorflow as tf

    from sttx.plugins.exporters.flatbuffer import add_metadata_producers

    graph, inputs, outputs = _build_graph(weights, options)
    with graph.as_default():
        converter = tf.compat.v1.lite.TFLiteConverter(graph.as_graph_def(), inputs, outputs)
    converter.allow_custom_ops = True
    if options.export_quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter._experimental_disable_per_channel = True  # per-channel FC v12 is unknown to TFLite 2.9
    elif options.export_float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    flatbuffer = converter.convert()
    metadata = {
        "metadata_version": GRAPH_VERSION,
        "metadata_sample_rate": options.audio_sample_rate,
        "metadata_feature_win_len": options.feature_win_len,
        "metadata_feature_win_step": options.feature_win_step,
        "metadata_beam_width": options.export_beam_width,
    }
    return add_metadata_producers(flatbuffer, metadata, alphabet_blob)


def export_tflite(model_state: Any, config: Any, export_dir: str | Path) -> list[Path]:
    """Write ``<export_file_name>.tflite``, check its structure, then its parity with the checkpoint.

    :param model_state: an :class:`sttx.core.inference.model_source.ExportSource` (or anything it accepts)
    :param config: the command's config (DeepSpeech flag names); see :class:`ExportOptions`
    """
    from sttx.core.inference.model_source import ExportSource
    from sttx.core.inference.runtimes import TFLiteAcoustic
    from sttx.plugins.exporters.check import check_tflite
    from sttx.plugins.exporters.parity import check_export_parity

    source = ExportSource.coerce(model_state)
    options = ExportOptions.from_config(config, relu_clip=source.relu_clip)
    path = Path(export_dir) / f"{options.export_file_name}.tflite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(convert_tflite(source.weights(), source.alphabet.serialize(), options))
    summary = check_tflite(path)
    log.info("wrote %s (%d bytes, ops %s)", path, path.stat().st_size, summary.ops)
    lossy = options.export_quantize or options.export_float16
    check_export_parity(source, TFLiteAcoustic(path), str(path), options, lossy=lossy)
    return [path]


@hookimpl
def register_exporters(register: ExporterRegistry) -> None:
    """The libstt-compatible .tflite exporter."""
    register.add("tflite", Exporter(
        export=export_tflite, description="Coqui STT 1.x native-client .tflite", models=("deepspeech",),
        requirement="libstt's graph contract is DeepSpeech's streaming LSTM: 19-frame windows of 26 MFCC in, "
                    "previous_state_c/h carried between calls"))
