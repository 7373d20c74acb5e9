"""`sttx evaluate` end to end on a small sttx checkpoint and the shipped sample corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.alphabet import default_alphabet_path, load_alphabet

SAMPLE = Path(__file__).resolve().parents[2] / "sttx" / "data" / "sample" / "sample.csv"


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A best_dev checkpoint of a tiny deepspeech model, written through the checkpoint module as training does."""
    from sttx.core.training import checkpoints
    from sttx.core.training.config import TrainConfig
    from sttx.plugins.models.deepspeech import build_model

    directory = tmp_path_factory.mktemp("run")
    alphabet = load_alphabet()
    config = TrainConfig(n_hidden=16)
    model = build_model(config, alphabet.n_classes)
    geometry = {"model": "deepspeech", "n_hidden": 16, "relu_clip": 20.0, "layer_norm": False,
                "n_classes": alphabet.n_classes, "bytes_output_mode": False}
    variables = checkpoints.tracked_variables(model, None)
    checkpoints.save(directory, checkpoints.BEST, 7, variables, {"model": geometry, "loop": {"epoch": 1}})
    (directory / "alphabet.txt").write_bytes(default_alphabet_path().read_bytes())
    return directory


def run(pm, *args: str):
    return CliRunner().invoke(build_cli(pm), ["evaluate", *args])


def test_report_and_json(pm, checkpoint_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--limit_test", "4",
                 "--test-batch-size", "4", "--report_count", "1", "--test_output_file", str(output),
                 "--show_progressbar", "false")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Test on {SAMPLE} - WER: ") and ", CER: " in lines[0] and ", loss: " in lines[0]
    assert lines[1] == "-" * 80
    for title in ("Best WER:", "Median WER:", "Worst WER:"):
        assert title in lines
    assert sum(line.startswith(" - wav: ") for line in lines) == 3
    rows = json.loads(output.read_text(encoding="utf-8"))
    assert len(rows) == 4
    transcripts = {line.rsplit(",", 1)[-1] for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]}
    assert all(row["src"] in transcripts and row["loss"] > 0 for row in rows)
    assert all(row["cer"] >= 0.0 and row["char_length"] == len(row["src"]) for row in rows)


def test_load_evaluate_last_without_train_checkpoint_fails(pm, checkpoint_dir: Path) -> None:
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--load_evaluate", "last")
    assert result.exit_code == 1
    assert "no sttx checkpoint" in result.output and str(checkpoint_dir) in result.output


def test_alphabet_that_does_not_fit_is_a_usage_error(pm, checkpoint_dir: Path, tmp_path: Path) -> None:
    small = tmp_path / "alphabet.txt"
    small.write_text("a\nb\n", encoding="utf-8")
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir),
                 "--alphabet_config_path", str(small))
    assert result.exit_code == 2
    assert "--alphabet_config_path" in result.output and "3 classes" in result.output


def test_geometry_and_bytes_checks(pm, checkpoint_dir: Path) -> None:
    wrong_width = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--n_hidden", "32")
    assert wrong_width.exit_code == 2 and "n_hidden 16" in wrong_width.output
    not_bytes = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--bytes_output_mode")
    assert not_bytes.exit_code == 2 and "bytes output mode" in not_bytes.output


def test_missing_test_file_names_it(pm, checkpoint_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = run(pm, "--test_files", str(missing), "--checkpoint_dir", str(checkpoint_dir))
    assert result.exit_code == 2 and str(missing) in result.output  # checked as the flag is parsed


def test_standalone_evaluation_repeats_the_test_after_training(pm, tmp_path: Path) -> None:
    """`sttx train --test_files` and then `sttx evaluate` on the same checkpoint print the same figures."""
    from tests.core.training.test_training import write_clips

    clips = write_clips(tmp_path / "clips.csv", 3)
    run_dir = tmp_path / "run"
    common = ["--test_files", clips, "--test_batch_size", "3", "--report_count", "1", "--show_progressbar", "false"]
    trained = CliRunner().invoke(build_cli(pm), [
        "train", "--train_files", clips, "--dev_files", clips, "--checkpoint_dir", str(run_dir), "--n_hidden", "24",
        "--epochs", "3", "--train_batch_size", "1", "--dev_batch_size", "3", "--learning_rate", "0.003", *common])
    assert trained.exit_code == 0, trained.output
    evaluated = run(pm, "--checkpoint_dir", str(run_dir), "--load_evaluate", "best", *common)
    assert evaluated.exit_code == 0, evaluated.output
    summary = next(line for line in evaluated.output.splitlines() if line.startswith("Test on "))
    assert summary in trained.output.splitlines()


def test_deepspeech_tf1_checkpoint_is_evaluated(pm, tmp_path: Path) -> None:
    """A DeepSpeech 0.9 checkpoint dir (TF1 variables, no sttx state) loads into the model and is evaluated."""
    pytest.importorskip("tensorflow")
    from tests.core.training.ds_tf1 import ds_variables, write_checkpoint

    folder = write_checkpoint(tmp_path / "ds", ds_variables(n_hidden=24))
    output = tmp_path / "ds.json"
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(folder), "--limit_test", "2",
                 "--test_batch_size", "2", "--test_output_file", str(output), "--n_hidden", "24")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Test on {SAMPLE} - WER: ")
    assert len(json.loads(output.read_text(encoding="utf-8"))) == 2


def test_decoder_flags_choose_the_decoder_and_the_report_names_it(pm, checkpoint_dir: Path, tmp_path: Path) -> None:
    from tests.plugins.decoders.arpa import write_arpa

    arpa = write_arpa(["the vane on top of the pole revolved in the wind", "high seats are best"], tmp_path / "lm.arpa")
    base = ["--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--limit_test", "3",
            "--report_count", "1", "--show_progressbar", "false"]
    greedy = run(pm, *base)
    assert greedy.exit_code == 0, greedy.output
    assert greedy.output.rstrip().endswith("Decoder: greedy (best path)")  # no scorer: greedy, as before
    beam = run(pm, *base, "--scorer", str(arpa), "--beam_width", "4", "--lm_alpha", "0.5", "--hot_words", "vane:2")
    assert beam.exit_code == 0, beam.output
    assert f"Decoder: beam (beam_width 4, scorer {arpa}, lm_alpha 0.5, lm_beta 1.18341, 1 hot words)" in beam.output
    vocabulary = {"the", "vane", "on", "top", "of", "pole", "revolved", "in", "wind", "high", "seats", "are", "best"}
    results = [line[len(' - res: "'):-1] for line in beam.output.splitlines() if line.startswith(" - res: ")]
    assert results and all(set(text.split()) <= vocabulary for text in results)  # restricted to the LM's words
    plain = run(pm, *base, "--decoder", "beam", "--beam_width", "2")
    assert plain.exit_code == 0 and "Decoder: beam (beam_width 2, no scorer)" in plain.output


@pytest.mark.parametrize(("flags", "message"), [
    (["--hot_words", "vane:2"], "--hot_words needs --scorer_path"),
    (["--decoder", "best"], "unknown decoder 'best'; known: beam, greedy"),
    (["--hot_words", "vane", "--scorer", "x.arpa"], "--hot_words: 'vane' is not word:boost"),
    (["--scorer_path", "missing.scorer"], "--scorer_path missing.scorer: no such file"),
])
def test_bad_decoder_flags_are_usage_errors(pm, checkpoint_dir: Path, flags: list[str], message: str) -> None:
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), *flags)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
