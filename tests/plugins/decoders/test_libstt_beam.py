"""The beam decoder without a scorer gives libstt's transcripts at the same beam width (stock libstt 1.4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.decoding import DecodeSettings
from sttx.core.data.audio import read_audio
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import TFLiteAcoustic
from sttx.plugins.decoders.beam import create_beam
from sttx.plugins.exporters.libstt import run_libstt
from sttx.plugins.exporters.tflite import convert_tflite
from tests.plugins.exporters.conftest import alphabet, libstt_dir, speech, weights  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, weights, alphabet) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("beam") / "model.tflite"
    # float weights: int8 hybrid kernels of TFLite 2.9 (libstt) and 2.21 round activations differently
    options = ExportOptions(export_beam_width=500, export_quantize=False)
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), options))
    return path


@pytest.mark.parametrize("beam_width", [1, 8, 64])
def test_beam_without_scorer_equals_libstt(libstt_dir: Path, exported: Path, speech: list[Path], alphabet,  # noqa: F811
                                           beam_width: int) -> None:
    """Top three transcripts and confidences of a random model (hard: it emits many labels) on two clips."""
    results = run_libstt(libstt_dir, exported, speech, beam_width=beam_width, candidates=3)
    runtime = TFLiteAcoustic(exported)
    # the native client decodes with cutoff_top_n 40 (hard-coded) and cutoff_prob 1.0
    decoder = create_beam(DecodeSettings(beam_width=beam_width, cutoff_top_n=40), alphabet)
    for result, wav in zip(results, speech, strict=True):
        probs = np.asarray(runtime.probabilities(libstt_features(read_audio(wav))), np.float64)
        found = decoder.decode(np.log(probs).astype(np.float32), 3)
        assert [h.text for h in found] == [text for text, _ in result.candidates]
        assert [h.score for h in found] == pytest.approx([c for _, c in result.candidates], abs=2e-3)
        assert len(found[0].text) > 5
