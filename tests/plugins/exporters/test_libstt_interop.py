"""The stock libstt 1.4 (from the stt 1.4.0 wheel) loads and runs sttx's .tflite exports and agrees with sttx."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttx.core.data.audio import read_audio
from sttx.core.evaluation.metrics import char_error_rate
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import TFLiteAcoustic
from sttx.plugins.exporters.libstt import LibsttError, run_libstt
from sttx.plugins.exporters.tflite import convert_tflite
from tests.plugins.exporters.ctc_beam import prefix_beam_search

BEAM = 16


@pytest.fixture(scope="module", params=["float", "quantized", "float16"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, weights, alphabet) -> Path:
    kind = request.param
    options = ExportOptions(
        export_quantize=kind == "quantized", export_float16=kind == "float16", export_beam_width=BEAM
    )
    path = tmp_path_factory.mktemp("libstt") / f"{request.param}.tflite"
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), options))
    return path


def test_libstt_matches_sttx_inference(libstt_dir: Path, exported: Path, speech: list[Path], alphabet) -> None:
    """Top three candidates and confidences of libstt equal a prefix beam search over sttx's own inference."""
    results = run_libstt(libstt_dir, exported, speech, candidates=3)  # raises on interpreter errors in stderr
    runtime = TFLiteAcoustic(exported)
    for result, wav in zip(results, speech, strict=True):
        probs = runtime.probabilities(libstt_features(read_audio(wav)))
        expected = prefix_beam_search(probs, BEAM, alphabet.blank)[:3]
        texts = [text for text, _ in result.candidates]
        if exported.stem != "quantized":
            assert texts == [alphabet.decode(labels) for labels, _ in expected]
            for (_, confidence), (_, score) in zip(result.candidates, expected, strict=True):
                assert confidence == pytest.approx(score, abs=2e-3)
        else:
            # int8 hybrid kernels quantize activations per call, and TFLite 2.9 (libstt) and 2.21 round an
            # occasional one differently; this random model's recurrent state amplifies such a flip (seen: 1 clip in
            # 40 with 5% of its letters moved and the confidence off by 2e-3 of itself), so the bound is near-agreement
            assert char_error_rate([alphabet.decode(expected[0][0])], [texts[0]]) < 0.1
            assert result.candidates[0][1] == pytest.approx(expected[0][1], rel=1e-2)
        assert len(result.candidates[0][0]) > 5  # a random model emits many labels: real work happened


def test_libstt_runs_on_empty_and_short_audio(libstt_dir: Path, exported: Path, tmp_path: Path, alphabet) -> None:
    """The flush window gives one frame even for 100 samples: libstt and sttx agree there too."""
    import numpy as np
    import soundfile

    wav = tmp_path / "short.wav"
    audio = (np.sin(np.arange(100) / 3) * 8000).astype(np.int16)
    soundfile.write(wav, audio, 16000, subtype="PCM_16")
    result = run_libstt(libstt_dir, exported, [wav], candidates=1)[0]
    probs = TFLiteAcoustic(exported).probabilities(libstt_features(audio))
    assert probs.shape == (1, alphabet.n_classes)
    best = prefix_beam_search(probs, BEAM, alphabet.blank)[0]
    assert result.candidates[0][0] == alphabet.decode(best[0])


def test_harness_fails_on_a_model_libstt_cannot_run(libstt_dir: Path, weights, tmp_path: Path, speech) -> None:
    """Without the metadata producers libstt crashes; the harness reports it instead of passing."""
    import tensorflow as tf

    from sttx.plugins.exporters.tflite import _build_graph

    graph, inputs, outputs = _build_graph(weights, ExportOptions())
    with graph.as_default():
        converter = tf.compat.v1.lite.TFLiteConverter(graph.as_graph_def(), inputs, outputs)
    converter.allow_custom_ops = True
    broken = tmp_path / "no_metadata.tflite"
    broken.write_bytes(converter.convert())
    with pytest.raises(LibsttError):
        run_libstt(libstt_dir, broken, speech[:1])
