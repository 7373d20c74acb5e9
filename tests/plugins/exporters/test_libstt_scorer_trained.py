"""Slow: with the same scorer, beam width and weights, sttx's beam decoder and the stock libstt 1.4 read a trained
model's confident clips the same way."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rapidfuzz.distance import Levenshtein

from sttx.cli import build_cli
from sttx.core.contract.decoding import DecodeSettings
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.data.alphabet import default_alphabet_path
from sttx.core.data.audio import read_audio, write_audio
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import TFLiteAcoustic
from sttx.plugins.decoders.beam import create_beam
from sttx.plugins.exporters.libstt import run_libstt

SAMPLE = default_alphabet_path().parent / "sample"
BEAM, ALPHA, BETA = 100, 0.75, 1.85
CLIPS = 2


@pytest.mark.slow
def test_sttx_beam_with_scorer_equals_libstt(tmp_path: Path, libstt_dir: Path, kenlm_tools) -> None:
    with (SAMPLE / "sample.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:CLIPS]
    table = tmp_path / "clips.csv"
    lines = [f"{SAMPLE / row['wav_filename']},{row['wav_filesize']},{row['transcript']}" for row in rows]
    table.write_text("wav_filename,wav_filesize,transcript\n" + "\n".join(lines) + "\n")
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    steps = [
        ["train", "--train_files", str(table), "--n_hidden", "100", "--epochs", "250", "--learning_rate", "0.001",
         "--dropout_rate", "0", "--checkpoint_dir", str(tmp_path / "ckpt"), "--checkpoint_secs", "0",
         "--show_progressbar", "false"],
        ["export", "--checkpoint_dir", str(tmp_path / "ckpt"), "--export_dir", str(tmp_path / "out"),
         "--dev_files", str(table)],
        ["lm", "build", "--text", str(default_alphabet_path().parent / "sentences.txt"), "--out", str(tmp_path / "lm"),
         "--order", "3", "--prune", "0", "--show_progressbar", "false"],
    ]
    for args in steps:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output[-2000:] + repr(result.exception)
    model, scorer = tmp_path / "out" / "output_graph.tflite", tmp_path / "lm" / "kenlm.scorer"
    wavs = []
    for index, row in enumerate(rows):  # libstt reads 16-bit wav only
        wavs.append(tmp_path / f"clip{index}.wav")
        write_audio(wavs[-1], read_audio(SAMPLE / row["wav_filename"]), 16000)
    libstt = run_libstt(libstt_dir, model, wavs, candidates=1, beam_width=BEAM, scorer=scorer, lm_alpha=ALPHA,
                        lm_beta=BETA)
    runtime = TFLiteAcoustic(model)
    decoder = create_beam(DecodeSettings(beam_width=BEAM, scorer_path=str(scorer), lm_alpha=ALPHA, lm_beta=BETA),
                          runtime.alphabet())
    for wav, row, theirs in zip(wavs, rows, libstt, strict=True):
        probs = runtime.probabilities(libstt_features(read_audio(wav)))
        ours = decoder.decode(np.log(np.maximum(probs, 1e-30)).astype(np.float32), 1)[0].text
        assert ours == theirs.candidates[0][0], (ours, theirs.candidates[0][0])
        assert Levenshtein.normalized_distance(ours, row["transcript"]) < 0.1  # a confident clip: nearly as written
