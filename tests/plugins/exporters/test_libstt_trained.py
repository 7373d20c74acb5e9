"""Slow: a model trained by `sttx train` (overfit on one shipped clip), exported, transcribes real speech in the
stock libstt exactly as sttx's greedy decoding of its own inference does."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.plugins import get_plugin_manager
from sttx.core.transcribe import transcribe_paths
from sttx.plugins.exporters.libstt import run_libstt

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
    from sttx.core.audio import read_audio, write_audio

    write_audio(wav, read_audio(clip), 16000)
    model = tmp_path / "out" / "output_graph.tflite"
    (sttx_result,) = transcribe_paths(tmp_path / "ckpt", [wav])
    (libstt_result,) = run_libstt(libstt_dir, model, [wav], candidates=1)
    assert libstt_result.candidates[0][0] == sttx_result.text
    assert sttx_result.text == row["transcript"]  # the overfit model learned the sentence
