"""Exporting a conformer (SavedModel, whole-utterance .tflite float and int8) and transcribing long recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.inference.export import export_model
from sttx.core.training.sample_job import SAMPLE_CSV
from tests.core.training.test_training import run, write_clips
from tests.plugins.models.test_conformer_training import config

tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory, pm_module) -> Path:
    """A tiny conformer trained two epochs on three sample clips, with the intermediate CTC head the conformer's
    defaults give it (a training-only head the exports must leave out)."""
    folder = tmp_path_factory.mktemp("conformer")
    clips = write_clips(folder / "three.csv", 3)
    run(config(folder / "run", clips, inter_ctc_weight=0.3), pm_module.registries())
    return folder / "run"


@pytest.fixture(scope="module")
def pm_module():
    from sttx.core.contract.plugins import get_plugin_manager

    return get_plugin_manager(load_entrypoints=False, disabled=set())


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four sample clips with a second of silence after each: a recording the VAD splits."""
    import csv

    import soundfile

    from sttx.core.data.audio import read_audio

    rows = list(csv.DictReader(SAMPLE_CSV.open(encoding="utf-8")))[:4]
    pieces = []
    for row in rows:
        pieces += [read_audio(SAMPLE_CSV.parent / row["wav_filename"]), np.zeros(16000, np.float32)]
    path = tmp_path_factory.mktemp("long") / "long.wav"
    soundfile.write(path, np.concatenate(pieces), 16000, subtype="PCM_16")
    return path


def export(checkpoint: Path, target: Path, formats: list[str], registries, **options: object):
    settings = {"export_file_name": "conformer", **options}
    return export_model(str(checkpoint), settings, target, formats, registry=registries.exporters, **{
        key: value for key, value in options.items() if key == "tflite_by_default"})


def test_libstt_tflite_refuses_a_conformer_in_one_line(checkpoint, tmp_path, pm_module) -> None:
    with pytest.raises(UsageError, match="libstt's graph contract is DeepSpeech's streaming LSTM") as error:
        export(checkpoint, tmp_path / "e", ["tflite"], pm_module.registries())
    assert "\n" not in str(error.value) and "--export_format" in str(error.value)
    assert not (tmp_path / "e").exists()  # refused before anything was written


def test_exports_match_the_checkpoint_and_transcribe_a_long_recording(checkpoint, recording, tmp_path,
                                                                      pm_module) -> None:
    from sttx.core.inference.transcribe import transcribe_paths
    from sttx.core.inference.vad import VadOptions

    registries = pm_module.registries()
    # --export_tflite's default becomes the whole-utterance .tflite; each export is parity-checked as written
    float_settings = {"export_file_name": "conformer", "export_quantize": False}
    result = export_model(str(checkpoint), float_settings, tmp_path / "float", ["tflite", "savedmodel"],
                          registry=registries.exporters, tflite_by_default=True)
    assert sorted(result.files) == ["savedmodel", "tflite_offline"]
    export_model(str(checkpoint), {"export_file_name": "conformer", "export_quantize": True}, tmp_path / "int8",
                 ["tflite_offline"], registry=registries.exporters)
    float_size = (tmp_path / "float" / "conformer.tflite").stat().st_size
    assert (tmp_path / "int8" / "conformer.tflite").stat().st_size < 0.75 * float_size  # int8 weights
    texts = {}
    for name, model in (("checkpoint", checkpoint), ("tflite", tmp_path / "float" / "conformer.tflite"),
                        ("savedmodel", tmp_path / "float"), ("int8", tmp_path / "int8" / "conformer.tflite")):
        if name == "savedmodel":
            (tmp_path / "float" / "conformer.tflite").rename(tmp_path / "conformer.tflite.away")
        (found,) = transcribe_paths(model, [recording], vad=VadOptions(), progress=False)
        assert len(found.segments) >= 3, name  # the VAD split the recording
        assert found.segments[-1].end_ms <= 8 * 1000 + 4 * 3000
        texts[name] = [segment.transcript for segment in found.segments]
    assert texts["checkpoint"] == texts["tflite"] == texts["savedmodel"]


def test_token_times_use_the_models_output_frame(checkpoint, recording) -> None:
    from sttx.core.inference.loading import load_model
    from sttx.core.inference.reference import output_frame_ms

    acoustic, _ = load_model(checkpoint)
    assert output_frame_ms(acoustic) == 40.0  # 10 ms hop x 4


def test_sttx_evaluate_reads_the_conformers_features(checkpoint, pm_module) -> None:
    from sttx.core.training.evaluate_checkpoint import EvaluateConfig, evaluate_checkpoint

    clips = str(checkpoint.parent / "three.csv")
    result = evaluate_checkpoint(EvaluateConfig(test_files=(clips,), checkpoint_dir=str(checkpoint),
                                                show_progressbar=False), pm_module.registries())
    (found,) = result.files
    assert len(found.samples) == 3 and 0.0 <= found.cer <= 1.0
