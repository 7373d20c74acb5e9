"""The tflite exporter: structure libstt relies on, metadata values, parity with the reference, quantization."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from sttx.core.data.audio import read_audio
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.model_source import ExportSource
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import TFLiteAcoustic, WeightsAcoustic
from sttx.plugins.exporters.check import check_tflite
from sttx.plugins.exporters.flatbuffer import TFLiteCheckError
from sttx.plugins.exporters.tflite import _build_graph, convert_tflite, export_tflite

ALLOWED = {"RESHAPE", "FULLY_CONNECTED", "MINIMUM", "UNPACK", "ADD", "SPLIT", "LOGISTIC", "MUL", "TANH",
           "CONCATENATION", "SOFTMAX", "DEQUANTIZE", "custom:AudioSpectrogram", "custom:Mfcc"}


@pytest.fixture(scope="module")
def float_file(tmp_path_factory: pytest.TempPathFactory, weights, alphabet) -> Path:
    path = tmp_path_factory.mktemp("tflite") / "float.tflite"
    options = ExportOptions(export_beam_width=123, export_quantize=False)
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), options))
    return path


def test_structure_and_geometry(float_file: Path, alphabet) -> None:
    summary = check_tflite(float_file)
    assert (summary.n_steps, summary.n_context, summary.n_input) == (16, 9, 26)
    assert (summary.n_hidden, summary.n_classes) == (32, alphabet.n_classes)
    assert set(summary.ops) <= ALLOWED
    assert all(version == 1 for version in summary.ops.values())
    assert summary.min_runtime_version is not None


def test_metadata_outputs(float_file: Path, alphabet) -> None:
    runtime = TFLiteAcoustic(float_file)
    runtime.interpreter.invoke()
    value = {name: runtime.interpreter.get_tensor(index) for name, index in runtime.index.items()}
    assert [int(value[f"metadata_{n}"][0]) for n in ("version", "sample_rate", "feature_win_len")] == [6, 16000, 32]
    assert [int(value[f"metadata_{n}"][0]) for n in ("feature_win_step", "beam_width")] == [20, 123]
    assert bytes(value["metadata_alphabet"][0]) == alphabet.serialize()
    assert runtime.alphabet() == alphabet


def test_float_parity_with_reference(float_file: Path, weights, speech: list[Path]) -> None:
    """The interpreter, chunked by n_steps with the state carried, equals a float64 numpy forward pass."""
    for wav in speech:
        features = libstt_features(read_audio(wav))
        exported = TFLiteAcoustic(float_file).probabilities(features)
        reference = WeightsAcoustic(weights).probabilities(features)
        assert exported.shape == reference.shape == (len(features), 29)
        np.testing.assert_allclose(exported, reference, atol=1e-4)


def test_mfcc_output_matches_features(float_file: Path, speech: list[Path]) -> None:
    """The in-graph AudioSpectrogram + Mfcc give the features sttx computes for the same window."""
    from sttx.core.inference.reference import libstt_windows, quantize_like_libstt

    audio = read_audio(speech[0])
    runtime = TFLiteAcoustic(float_file)
    samples = quantize_like_libstt(audio)[:512]
    runtime.interpreter.set_tensor(runtime.index["input_samples"], samples)
    runtime.interpreter.invoke()
    got = runtime.interpreter.get_tensor(runtime.index["mfccs"])
    np.testing.assert_allclose(got[0], libstt_features(audio)[0], atol=1e-5)
    assert len(libstt_windows(audio)[1]) == 512


def test_n_steps_option(weights, alphabet, tmp_path: Path) -> None:
    path = tmp_path / "steps.tflite"
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), ExportOptions(n_steps=5, export_quantize=False)))
    assert check_tflite(path).n_steps == 5
    features = np.random.default_rng(3).standard_normal((13, 26)).astype(np.float32) * 10
    np.testing.assert_allclose(
        TFLiteAcoustic(path).probabilities(features), WeightsAcoustic(weights).probabilities(features), atol=1e-4
    )


@pytest.mark.parametrize("kind", ["export_quantize", "export_float16"])
def test_lossy_exports_run_and_report(kind: str, weights, alphabet, tmp_path: Path, caplog) -> None:
    source = ExportSource(acoustic_weights=weights, alphabet=alphabet)
    with caplog.at_level(logging.INFO, logger="sttx.plugins.exporters.parity"):
        (path,) = export_tflite(source, {kind: True}, tmp_path)
    summary = check_tflite(path)
    assert "parity" in caplog.text and "max |dprob|" in caplog.text
    if kind == "export_quantize":
        assert summary.ops["FULLY_CONNECTED"] == 9  # per-tensor: v12 (per-channel) is unknown to TFLite 2.9
        float_bytes = convert_tflite(weights, alphabet.serialize(), ExportOptions(export_quantize=False))
        assert path.stat().st_size < 0.6 * len(float_bytes)
    else:
        assert "DEQUANTIZE" in summary.ops


def test_check_rejects_missing_metadata_producers(weights, tmp_path: Path) -> None:
    import tensorflow as tf

    graph, inputs, outputs = _build_graph(weights, ExportOptions())
    with graph.as_default():
        converter = tf.compat.v1.lite.TFLiteConverter(graph.as_graph_def(), inputs, outputs)
    converter.allow_custom_ops = True
    path = tmp_path / "bare.tflite"
    path.write_bytes(converter.convert())
    with pytest.raises(TFLiteCheckError, match="metadata_version"):
        check_tflite(path)


def test_check_rejects_alphabet_producer_not_last(float_file: Path, tmp_path: Path) -> None:
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(float_file))
    operators = model.subgraphs[0].operators
    operators[-1], operators[-2] = operators[-2], operators[-1]
    path = tmp_path / "swapped.tflite"
    flatbuffer_utils.write_model(model, str(path))
    with pytest.raises(TFLiteCheckError, match="last operator"):
        check_tflite(path)


def test_check_rejects_per_channel_quantization(weights, alphabet, tmp_path: Path) -> None:
    """Per-channel dynamic-range quantization gives FULLY_CONNECTED v12, which libstt's TFLite 2.9 lacks."""
    import tensorflow as tf

    from sttx.plugins.exporters.flatbuffer import add_metadata_producers

    graph, inputs, outputs = _build_graph(weights, ExportOptions())
    with graph.as_default():
        converter = tf.compat.v1.lite.TFLiteConverter(graph.as_graph_def(), inputs, outputs)
    converter.allow_custom_ops = True
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    path = tmp_path / "per_channel.tflite"
    path.write_bytes(add_metadata_producers(converter.convert(), dict.fromkeys(
        ["metadata_version", "metadata_sample_rate", "metadata_feature_win_len", "metadata_feature_win_step",
         "metadata_beam_width"], 1), alphabet.serialize()))
    with pytest.raises(TFLiteCheckError, match=r"FULLY_CONNECTED|min_runtime_version"):
        check_tflite(path)


def test_options_reject_bad_values() -> None:
    from sttx.core.contract.errors import UsageError

    with pytest.raises(UsageError, match="n_steps"):
        ExportOptions(n_steps=0)
    with pytest.raises(UsageError, match="exclude"):
        ExportOptions(export_quantize=True, export_float16=True)
    assert ExportOptions().export_quantize  # Coqui STT 1.4's default
    assert not ExportOptions(export_float16=True).export_quantize
    assert ExportOptions.from_config({"export_min_ds_version": "0.9.3"}).export_min_stt_version == "0.9.3"


@pytest.mark.parametrize(("layer_norm", "feature_norm"), [(False, False), (True, False), (False, True)])
def test_keras_model_export_parity(layer_norm: bool, feature_norm: bool, alphabet, speech: list[Path],
                                   tmp_path: Path) -> None:
    """The model plugin's Keras model (with LayerNorm, or feature normalisation folded into layer_1) exports with
    float parity to ~1e-4."""
    from types import SimpleNamespace

    from sttx.core.inference.runtimes import KerasAcoustic
    from sttx.plugins.models.deepspeech import build_model

    geometry = SimpleNamespace(n_hidden=32, layer_norm=layer_norm, feature_norm=feature_norm, relu_clip=2.0)
    model = build_model(geometry, alphabet.n_classes)
    rng = np.random.default_rng(5)
    model.set_weights([w + rng.standard_normal(w.shape).astype(np.float32) * 0.1 for w in model.get_weights()])
    if feature_norm:  # statistics of the scale MFCCs have: c0 far from 0 and wide, the rest near 1
        mean = np.concatenate([[-30.0], rng.standard_normal(25)]).astype(np.float32)
        scale = np.concatenate([[1 / 60], rng.uniform(0.3, 2.0, 25)]).astype(np.float32)
        model.get_layer("feature_norm").set_weights([mean, scale])
    float_export = {"export_quantize": False}  # float parity; the default (int8, as Coqui) is checked elsewhere
    (path,) = export_tflite(ExportSource(model=model, alphabet=alphabet), float_export, tmp_path)  # checks parity
    features = libstt_features(read_audio(speech[1]))
    expected = KerasAcoustic(model).probabilities(features)
    np.testing.assert_allclose(TFLiteAcoustic(path).probabilities(features), expected, atol=1e-4)
