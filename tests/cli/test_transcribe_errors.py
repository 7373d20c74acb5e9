"""`sttx transcribe MODEL ...` with a MODEL that is not a speech-to-text model: one line naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli

CLIP = Path(__file__).resolve().parents[2] / "sttx" / "data" / "sample" / "clips" / "0001.flac"


def transcribe(pm, model: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(build_cli(pm), ["transcribe", str(model), str(CLIP)], prog_name="sttx")
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.startswith("Error:")]


def test_a_file_that_is_not_tflite(pm, tmp_path: Path) -> None:
    """Found as MODEL is parsed (a usage error, before TensorFlow loads)."""
    garbage = tmp_path / "model.tflite"
    garbage.write_bytes(b"garbage, not a flatbuffer\n")
    code, errors = transcribe(pm, garbage)
    assert code == 2 and len(errors) == 1
    assert errors[0].endswith(f"model {garbage} is not a TFLite flatbuffer (no TFL3 identifier); sttx expects a "
                              ".tflite exported by `sttx export` or DeepSpeech/Coqui STT")
    other = tmp_path / "output_graph.pb"
    other.write_bytes(b"\x08\x01")
    code, errors = transcribe(pm, other)
    assert code == 2 and len(errors) == 1
    assert errors[0].endswith(f"model {other} is neither a .tflite file nor a directory; sttx expects a .tflite "
                              "export, an export dir, a SavedModel dir or a checkpoint dir")


def test_a_tflite_model_that_is_not_speech_to_text(pm, tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def double(x: Any) -> Any:
        return x * 2.0

    converter = tf.lite.TFLiteConverter.from_concrete_functions([double.get_concrete_function()], double)
    path = tmp_path / "toy.tflite"
    path.write_bytes(converter.convert())
    code, errors = transcribe(pm, path)
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"Error: {path} is a TFLite model but not a speech-to-text export: it has no "
                                "input_node, previous_state_c")
