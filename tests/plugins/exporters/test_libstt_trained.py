"""Slow: a model trained by `sttx train` (overfit on one shipped clip), exported, transcribes real speech in the
stock libstt exactly as a CTC beam search over sttx's own inference does, and close to the sentence."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from rapidfuzz.distance import Levenshtein

from sttx.cli import build_cli
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import TFLiteAcoustic
from sttx.core.inference.transcribe import transcribe_paths
from sttx.plugins.exporters.libstt import run_libstt
from tests.plugins.exporters.ctc_beam import prefix_beam_search

BEAM = 100
SAMPLE = Path(__file__).resolve().parents[3] / "sttx" / "data" / "sample"


@pytest.mark.slow
def test_trained_model_in_libstt(tmp_path: Path, libstt_dir: Path) -> None:
    with (SAMPLE / "sample.csv").open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    clip = SAMPLE / row["wav_filename"]
    table = tmp_path / "one.csv"
    table.write_text(f"wav_filename,wav_filesize,transcript\n{clip},{row['wav_filesize']},{row['transcript']}\n")
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    train = ["train", "--train_files", str(table), "--n_hidden", "100", "--epochs", "250", "--learning_rate", "0.001",
             "--dropout_rate", "0", "--checkpoint_dir", str(tmp_path / "ckpt"), "--checkpoint_secs", "0",
             "--show_progressbar", "false"]
    result = CliRunner().invoke(cli, train)
    assert result.exit_code == 0, result.output[-2000:] + repr(result.exception)
    export = ["export", "--checkpoint_dir", str(tmp_path / "ckpt"), "--export_dir", str(tmp_path / "out"),
              "--dev_files", str(table)]
    result = CliRunner().invoke(cli, export)
    assert result.exit_code == 0, result.output[-2000:] + repr(result.exception)
    wav = tmp_path / "clip.wav"
    from sttx.core.data.audio import read_audio, write_audio

    write_audio(wav, read_audio(clip), 16000)
    model = tmp_path / "out" / "output_graph.tflite"
    (sttx_result,) = transcribe_paths(tmp_path / "ckpt", [wav])  # greedy, from the checkpoint
    (libstt_result,) = run_libstt(libstt_dir, model, [wav], candidates=1, beam_width=BEAM)
    runtime = TFLiteAcoustic(model)
    probs = runtime.probabilities(libstt_features(read_audio(wav)))
    labels, confidence = prefix_beam_search(probs, BEAM, runtime.alphabet().blank)[0]
    assert libstt_result.candidates[0][0] == runtime.alphabet().decode(labels)
    assert libstt_result.candidates[0][1] == pytest.approx(confidence, abs=1e-2)
    # the overfit model learned the sentence: greedy and beam search read it (nearly) as written
    assert Levenshtein.normalized_distance(sttx_result.text, row["transcript"]) < 0.1
    assert Levenshtein.normalized_distance(libstt_result.candidates[0][0], row["transcript"]) < 0.1
