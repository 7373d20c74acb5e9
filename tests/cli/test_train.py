"""`sttx train`: DeepSpeech's flags and spellings, defaults, the sample job's settings, SIGTERM in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.audio import write_audio
from sttx.core.training import sample_job


def invoke(pm: Any, args: list[str]) -> Any:
    return CliRunner().invoke(build_cli(pm), ["train", *args], catch_exceptions=False)


def test_deepspeech_defaults(pm, captured, tmp_path) -> None:
    result = invoke(pm, ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    c = captured[0]
    assert (c.n_hidden, c.epochs, c.learning_rate, c.dropout_rate, c.train_batch_size) == (2048, 75, 0.001, 0.05, 1)
    assert (c.checkpoint_secs, c.max_to_keep, c.load_train, c.random_seed, c.report_count) == (600, 5, "auto", 4568, 5)
    assert (c.plateau_epochs, c.plateau_reduction, c.es_epochs, c.es_min_delta) == (10, 0.1, 25, 0.05)
    assert (c.early_stop, c.reduce_lr_on_plateau, c.show_progressbar, c.relu_clip) == (False, False, True, 20.0)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--train-files", "a.csv,b.sdb", "--early_stop", "true"], {"train_files": ("a.csv", "b.sdb"),
                                                                     "early_stop": True}),
        (["--train_files", "a.csv", "--early_stop"], {"early_stop": True}),
        (["--train_files", "a.csv", "--noearly_stop"], {"early_stop": False}),
        (["--train_files", "a.csv", "--early-stop=false", "--es-epochs", "3"], {"early_stop": False, "es_epochs": 3}),
        (["--train_files", "a.csv", "--noshow_progressbar", "--n_hidden", "100", "--epochs", "200"],
         {"show_progressbar": False, "n_hidden": 100, "epochs": 200}),
        (["--train_files", "a.csv", "--dropout_rate", "0.15", "--reduce_lr_on_plateau", "--plateau_epochs", "5",
          "--automatic_mixed_precision", "--load_train", "best", "--limit_train", "7"],
         {"dropout_rate": 0.15, "reduce_lr_on_plateau": True, "plateau_epochs": 5,
          "automatic_mixed_precision": True, "load_train": "best", "limit_train": 7}),
    ],
)
def test_every_deepspeech_spelling_parses(pm, captured, tmp_path, args, expected) -> None:
    result = invoke(pm, [*args, "--checkpoint_dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name, value in expected.items():
        assert getattr(captured[0], name) == value


def test_a_deepspeech_command_line_runs_as_written(pm, captured, tmp_path) -> None:
    line = (f"--train_files train.csv --dev_files dev.csv --test_files test.csv --checkpoint_dir {tmp_path} "
            "--train_batch_size 32 --dev_batch_size 32 --test_batch_size 32 --n_hidden 2048 --epochs 75 "
            "--learning_rate 0.0001 --dropout_rate 0.15 --early_stop --es_epochs 10 --scorer kenlm.scorer "
            "--export_tflite --load_cudnn --lm_alpha 0.75 --feature_cache /tmp/cache --summary_dir /tmp/sum "
            "--test_output_file out.json --report_count 3 --log_level 1 --bytes_output_mode false "
            "--alphabet_config_path data/alphabet.txt --random_seed 1 --max_to_keep 3 --checkpoint_secs 60")
    result = invoke(pm, line.split())
    assert result.exit_code == 0, result.output
    assert captured[0].test_batch_size == 32 and captured[0].feature_cache == "/tmp/cache"


def test_decoding_flags_reach_the_config_and_flags_txt(pm, captured, tmp_path) -> None:
    test_csv = tmp_path / "t.csv"
    test_csv.write_text("wav_filename,wav_filesize,transcript\n")
    result = invoke(pm, ["--train_files", "a.csv", "--test_files", str(test_csv), "--checkpoint_dir", str(tmp_path),
                         "--scorer", "lm.scorer", "--beam-width", "8", "--lm_alpha", "0.5", "--hot_words", "a:1",
                         "--decoder", "beam", "--cutoff_prob", "0.9", "--cutoff_top_n", "20"])
    assert result.exit_code == 0, result.output
    c = captured[0]
    assert (c.scorer_path, c.beam_width, c.lm_alpha, c.lm_beta, c.hot_words, c.decoder) == (
        "lm.scorer", 8, 0.5, None, "a:1", "beam")
    assert (c.cutoff_prob, c.cutoff_top_n) == (0.9, 20)
    flags = c.to_flags_text()
    assert "--beam_width=8\n" in flags and "--lm_alpha=0.5\n" in flags and "--lm_beta" not in flags
    bad = invoke(pm, ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path), "--hot_words", "a:1"])
    assert bad.exit_code == 2 and "--hot_words needs --scorer_path" in bad.output


def test_bad_values_are_usage_errors(pm, captured, tmp_path) -> None:
    result = invoke(pm, ["--train_files", "a.csv", "--load_train", "sometimes", "--checkpoint_dir", str(tmp_path)])
    assert result.exit_code == 2 and "sometimes" in result.output
    (tmp_path / "a_file").write_text("not a dir")
    result = invoke(pm, ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path / "a_file")])
    assert result.exit_code == 2 and f"Error: --checkpoint_dir {tmp_path / 'a_file'}: is a file, not a directory" in (
        result.output.splitlines())
    result = invoke(pm, ["--train_files", "a.csv", "--save_checkpoint_dir", str(tmp_path / "a_file")])
    assert result.exit_code == 2 and "--save_checkpoint_dir" in result.output and "Traceback" not in result.output
    result = invoke(pm, ["--train_files", "a.csv", "--lr_schedule", "step", "--checkpoint_dir", str(tmp_path)])
    assert result.exit_code == 2 and "'step' is not one of 'constant', 'cosine', 'linear'" in result.output
    result = invoke(pm, ["--train_files", "a.csv", "--lr_final_ratio", "2", "--checkpoint_dir", str(tmp_path)])
    assert result.exit_code == 2 and "--lr_final_ratio" in result.output


def test_deepspeech_seed_lines_without_checkpoint_dir_use_the_xdg_default(pm, captured, tmp_path,
                                                                          private_data_home) -> None:
    """DeepSpeech saved into $XDG_DATA_HOME/deepspeech/checkpoints when no dir was named; sttx uses its own name."""
    noise = tmp_path / "noise.wav"
    write_audio(noise, np.random.default_rng(1).standard_normal(16000).astype(np.float32) * 0.1, 16000)
    line = ("--train_files train.csv --dev_files dev.csv --test_files test.csv --automatic_mixed_precision "
            f"--augment overlay[p=0.5,source={noise},layers=1,snr=50:20~10] --augmentations_per_epoch 10")
    result = invoke(pm, line.split())
    assert result.exit_code == 0, result.output
    default = private_data_home / "sttx" / "checkpoints"
    c = captured[0]
    assert (c.checkpoint_dir, c.save_dir, c.load_dir) == (str(default),) * 3
    assert (c.augmentations_per_epoch, c.automatic_mixed_precision) == (10, True)
    assert result.output.splitlines()[0] == (f"No --checkpoint_dir given: using {default} (DeepSpeech's default place, "
                                             "in sttx's name); the next run without --checkpoint_dir continues there")
    # as in DeepSpeech, a load dir alone saves into the default
    invoke(pm, ["--train_files", "a.csv", "--load_checkpoint_dir", str(tmp_path / "src")])
    assert (captured[1].load_dir, captured[1].save_dir) == (str(tmp_path / "src"), str(default))
    # unlike DeepSpeech, a save dir alone never loads another run's weights from the default
    invoke(pm, ["--train_files", "a.csv", "--save_checkpoint_dir", str(tmp_path / "out")])
    assert (captured[2].load_dir, captured[2].save_dir) == ("", str(tmp_path / "out"))


def test_default_checkpoint_dir_follows_xdg(monkeypatch, tmp_path) -> None:
    from sttx.core.training.checkpoint_dirs import default_checkpoint_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_checkpoint_dir() == tmp_path / ".local" / "share" / "sttx" / "checkpoints"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # the XDG spec says to ignore a relative path
    assert default_checkpoint_dir() == tmp_path / ".local" / "share" / "sttx" / "checkpoints"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_checkpoint_dir() == tmp_path / "data" / "sttx" / "checkpoints"


def test_train_evaluate_export_share_the_default_dir_and_resume_there(pm, tmp_path, private_data_home) -> None:
    """Two `sttx train` runs without --checkpoint_dir: the second continues the first; evaluate and export find it."""
    clips = _write_clips(tmp_path / "two.csv")
    cli = build_cli(pm)
    default = private_data_home / "sttx" / "checkpoints"

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    missing = run("evaluate", "--test_files", clips)
    assert missing.exit_code == 2 and f"the default {default} holds no checkpoint" in missing.output
    common = ["--train_files", clips, "--n_hidden", "8", "--noshow_progressbar", "--checkpoint_secs", "0"]
    first = run("train", *common, "--epochs", "1")
    assert first.exit_code == 0, first.output
    assert f"using {default}" in first.output and list(default.glob("train-*"))
    second = run("train", *common, "--epochs", "2")
    assert second.exit_code == 0, second.output
    assert "it holds a run, which this one continues" in second.output
    assert "Epoch 1 |" not in second.output and "Epoch 2 |" in second.output  # epoch 1 was not trained again
    assert "FINISHED training: 2 epochs, global step 4" in second.output
    evaluated = run("evaluate", "--test_files", clips, "--report_count", "0")
    assert evaluated.exit_code == 0, evaluated.output
    assert f"No --checkpoint_dir given: reading {default}" in evaluated.output and "WER" in evaluated.output
    exported = run("export", "--export_dir", str(tmp_path / "export"))
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "export" / "output_graph.tflite").is_file()


def test_schedule_flags_reach_the_config(pm, captured, tmp_path) -> None:
    result = invoke(pm, ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path), "--lr_schedule", "cosine",
                         "--warmup_steps", "500", "--lr_final_ratio", "0.05", "--lr_hold_ratio", "0.7"])
    assert result.exit_code == 0, result.output
    c = captured[0]
    assert (c.lr_schedule, c.warmup_steps, c.lr_final_ratio, c.lr_hold_ratio) == ("cosine", 500, 0.05, 0.7)


def test_no_data_flags_run_the_sample_job(pm, captured) -> None:
    result = invoke(pm, ["--epochs", "3"])
    assert result.exit_code == 0, result.output
    c = captured[0]
    assert c.train_files == c.test_files == (str(sample_job.SAMPLE_CSV),)
    assert c.epochs == 3 and c.n_hidden == sample_job.SCHEDULE["n_hidden"]
    assert Path(c.checkpoint_dir).name.startswith("sttx-sample-")
    assert sample_job.SAMPLE_CSV.is_file()


def test_flags_text_records_every_setting(tmp_path) -> None:
    from sttx.core.training.config import TrainConfig

    text = TrainConfig(train_files="a.csv,b.csv", checkpoint_dir=str(tmp_path), early_stop=True).to_flags_text()
    assert "--train_files=a.csv,b.csv" in text.splitlines()
    assert "--early_stop=true" in text.splitlines() and "--n_hidden=2048" in text.splitlines()
    ordered = TrainConfig(augment=["volume[p=1]", "add[p=1]"]).to_flags_text().splitlines()
    augments = [line for line in ordered if line.startswith("--augment=")]
    assert augments == ["--augment=volume[p=1]", "--augment=add[p=1]"]


def _write_clips(path: Path) -> str:
    from tests.core.training.test_training import write_clips

    return write_clips(path, 2)


@pytest.mark.slow
def test_sigterm_checkpoints_and_exits_zero_with_a_resume_line(tmp_path) -> None:
    clips = _write_clips(tmp_path / "two.csv")
    args = [sys.executable, "-m", "sttx", "train", "--train_files", clips, "--checkpoint_dir", str(tmp_path / "ck"),
            "--n_hidden", "16", "--epochs", "10000", "--noshow_progressbar", "--checkpoint_secs", "0"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # wait until it trains
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("Epoch 2 "):
            break
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, "".join(lines) + out
    assert "Stopped by SIGTERM" in out and "Resume with: sttx train" in out
    assert list((tmp_path / "ck").glob("train-*"))


@pytest.mark.slow
def test_the_main_job_overfits_the_sample_corpus(pm, tmp_path) -> None:
    result = CliRunner().invoke(build_cli(pm), ["train", "--checkpoint_dir", str(tmp_path), "--noshow_progressbar"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("Sample corpus WER"))
    assert float(line.split("CER ")[1].split()[0]) <= 0.10
    assert "To train on your own data:" in result.output
    assert not list(tmp_path.glob("*.tflite"))


def test_legacy_augmentation_flags_join_augment(pm, captured, tmp_path) -> None:
    result = invoke(pm, ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path), "--augment", "volume[p=0.1]",
                         "--augmentation_freq_and_time_masking"])
    assert result.exit_code == 0, result.output
    names = [augmentation.name for augmentation in captured[0].augment]
    assert names[0] == "volume" and "frequency_mask" in names and "time_mask" in names


@pytest.mark.slow
def test_sigkill_leaves_a_loadable_latest_checkpoint(tmp_path) -> None:
    from sttx.core.training import checkpoints
    from sttx.plugins.models.deepspeech import build_model

    clips = _write_clips(tmp_path / "two.csv")
    args = [sys.executable, "-m", "sttx", "train", "--train_files", clips, "--checkpoint_dir", str(tmp_path / "ck"),
            "--n_hidden", "16", "--epochs", "10000", "--noshow_progressbar", "--checkpoint_secs", "0",
            "--max_to_keep", "2"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not process.stdout.readline().startswith("Epoch 3 "):
        pass
    time.sleep(0.3)  # somewhere inside a later epoch, possibly mid-save
    process.kill()
    process.wait(timeout=60)
    latest = checkpoints.latest(tmp_path / "ck")
    assert latest is not None
    state = checkpoints.restore(latest, checkpoints.tracked_variables(build_model(_geometry(), 29), None))
    assert state["loop"]["global_step"] >= 2
    assert len(checkpoints.list_checkpoints(tmp_path / "ck")) <= 3  # a kill between rename and prune keeps 3


def _geometry() -> Any:
    from sttx.core.training.config import TrainConfig

    return TrainConfig(n_hidden=16)


def test_transcripts_outside_the_alphabet_name_the_characters_and_the_fix(pm, tmp_path) -> None:
    clips = Path(_write_clips(tmp_path / "two.csv"))
    lines = clips.read_text(encoding="utf-8").splitlines()
    rows = [line.rsplit(",", 1) for line in lines[1:]]  # path and size, transcript
    bad = tmp_path / "accents.csv"
    bad.write_text("\n".join([lines[0], *(f"{head},é{text.replace('a', 'ä')}" for head, text in rows)]) + "\n",
                   encoding="utf-8")
    args = ["train", "--train_files", str(bad), "--checkpoint_dir", str(tmp_path / "ck"), "--n_hidden", "8",
            "--epochs", "1", "--noshow_progressbar"]
    result = CliRunner().invoke(build_cli(pm), args)
    assert result.exit_code == 1, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "2 of 2 samples rejected" in error and "unencodable_transcript (2)" in error
    assert f"Characters missing from the alphabet {sample_job.SAMPLE_CSV.parents[1] / 'alphabet.txt'}: " in error
    assert "'é' (U+00E9) in 2 samples" in error and "'ä' (U+00E4) in 2 samples" in error
    assert f"`sttx data alphabet {bad} --output alphabet.txt`" in error and "--alphabet_config_path" in error


def test_augment_none_drops_the_models_default_augmentations(pm, captured, tmp_path) -> None:
    base = ["--train_files", "a.csv", "--checkpoint_dir", str(tmp_path), "--model", "conformer"]
    assert invoke(pm, base).exit_code == 0
    assert [a.name for a in captured[-1].augment] == ["frequency_mask", "time_mask", "pitch", "tempo"]
    assert invoke(pm, [*base, "--augment", "none"]).exit_code == 0
    assert captured[-1].augment == ()
    # DeepSpeech 0.7's augmentation flags are the user's augmentations too: no model default replaces them
    assert invoke(pm, [*base, "--augmentation_freq_and_time_masking"]).exit_code == 0
    assert [a.domain for a in captured[-1].augment[1:]] == ["spectrogram"]  # the legacy time mask, not the
    # conformer's features-domain one
    mixed = CliRunner().invoke(build_cli(pm), ["train", *base, "--augment", "none", "--augment", "volume"])
    assert mixed.exit_code == 2 and "--augment none turns every augmentation off" in mixed.output
