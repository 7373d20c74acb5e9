"""Slow: a scorer built by `sttx lm build` from a small text lowers the WER of an under-trained model on clips of
sentences of that text said by voices the model never heard (the end-to-end reason scorers exist)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.training.sample_job import SAMPLE_CSV

#: voices absent from the shipped sample (made with en-us+m3, en+f2, en and en-us+f4)
UNHEARD = ("en-gb-scotland+m2", "en-us-nyc+f3")


def wer_of(output: str) -> float:
    found = re.search(r"^Test on .* - WER: ([0-9.]+),", output, re.MULTILINE)
    assert found, output[-2000:]
    return float(found.group(1))


@pytest.mark.slow
def test_a_scorer_lowers_the_wer_of_an_undertrained_model(tmp_path: Path, kenlm_tools) -> None:
    from sttx.plugins.importers.espeak import synthesize_corpus

    with SAMPLE_CSV.open(newline="", encoding="utf-8") as handle:
        sentences = [row["transcript"] for row in csv.DictReader(handle)]
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    checkpoints = tmp_path / "ckpt"
    trained = CliRunner().invoke(cli, [
        "train", "--train_files", str(SAMPLE_CSV), "--n_hidden", "256", "--epochs", "50", "--learning_rate", "0.002",
        "--train_batch_size", "4", "--dropout_rate", "0", "--checkpoint_dir", str(checkpoints),
        "--checkpoint_secs", "0", "--show_progressbar", "false"])
    assert trained.exit_code == 0, trained.output[-2000:] + repr(trained.exception)
    text = tmp_path / "text.txt"
    text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    built = CliRunner().invoke(cli, ["lm", "build", "--text", str(text), "--out", str(tmp_path / "lm"), "--order", "3",
                                     "--show_progressbar", "false"])
    assert built.exit_code == 0, built.output
    report = synthesize_corpus(sentences[:16], tmp_path / "unheard", count=16, voices=UNHEARD, seed=5)
    test_csv = str(report.files[0])
    base = ["evaluate", "--test_files", test_csv, "--checkpoint_dir", str(checkpoints), "--show_progressbar", "false"]
    greedy = CliRunner().invoke(cli, base)
    fused = CliRunner().invoke(cli, [*base, "--scorer", str(tmp_path / "lm" / "kenlm.scorer"), "--beam_width", "100"])
    assert greedy.exit_code == 0 and fused.exit_code == 0, fused.output[-2000:]
    assert "Decoder: greedy" in greedy.output and "Decoder: beam (beam_width 100, scorer" in fused.output
    greedy_wer, fused_wer = wer_of(greedy.output), wer_of(fused.output)
    assert greedy_wer > 0.2  # under-trained: the unheard voices are hard for it
    assert fused_wer < greedy_wer - 0.15, (greedy_wer, fused_wer)  # measured: 0.98 -> 0.75
