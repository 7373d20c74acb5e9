"""`sttx lm tune` end to end: DeepSpeech's result line, outputs cached by fingerprint, --update_scorer."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.inference.lm import outputs as outputs_module
from tests.cli.test_evaluate import SAMPLE, checkpoint_dir  # noqa: F401 (a fixture)
from tests.plugins.decoders.arpa import write_arpa
from tests.plugins.decoders.test_beam import TEXT, scorer  # noqa: F401 (a fixture)


def run(pm, *args: str):
    return CliRunner().invoke(build_cli(pm), ["lm", "tune", *args])


def test_tune_prints_the_best_pair_and_reuses_the_models_outputs(pm, checkpoint_dir: Path, tmp_path: Path,  # noqa: F811
                                                                  monkeypatch) -> None:
    table = tmp_path / "four.csv"
    rows = SAMPLE.read_text().splitlines()[:5]
    table.write_text("\n".join([rows[0], *(str(SAMPLE.parent / row) for row in rows[1:])]) + "\n")
    arpa = write_arpa([row.split(",")[2] for row in rows[1:]], tmp_path / "lm.arpa")
    args = ["--test_files", str(table), "--checkpoint_dir", str(checkpoint_dir), "--scorer_path", str(arpa),
            "--n_trials", "3", "--beam_width", "4", "--cache_dir", str(tmp_path / "cache"),
            "--show_progressbar", "false"]
    first = run(pm, *args)
    assert first.exit_code == 0, first.output
    assert "3 trials on the model's outputs" in first.output
    assert first.output.splitlines()[-1].startswith("Best params: lm_alpha=")
    assert " and lm_beta=" in first.output and " with WER=" in first.output
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1

    def model_must_not_run(*args, **kwargs):
        raise AssertionError("the model ran although its outputs were cached")

    monkeypatch.setattr(outputs_module, "checkpoint_outputs", model_must_not_run)
    second = run(pm, *args)
    assert second.exit_code == 0, second.output
    assert "3 trials on cached outputs" in second.output


def test_update_scorer_writes_the_pair(pm, checkpoint_dir: Path, scorer: Path, tmp_path: Path) -> None:  # noqa: F811
    from sttx.core.inference.scorer import read_scorer

    own = tmp_path / "mine.scorer"
    shutil.copy(scorer, own)
    result = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--scorer", str(own),
                 "--n_trials", "2", "--beam_width", "2", "--update_scorer", "--cache_dir", str(tmp_path / "c"),
                 "--show_progressbar", "false", "--lm_alpha_max", "2", "--lm_beta_max", "3")
    assert result.exit_code == 0, result.output
    best = result.output.splitlines()[-2]
    alpha = float(best.split("lm_alpha=")[1].split(" ")[0])
    beta = float(best.split("lm_beta=")[1].split(" ")[0])
    info = read_scorer(own)
    assert (info.alpha, info.beta) == (alpha, beta) and 0 <= alpha <= 2 and 0 <= beta <= 3
    assert f"wrote lm_alpha={alpha} and lm_beta={beta} into {own}" in result.output


def test_tune_refuses_bad_input(pm, checkpoint_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    arpa = write_arpa(TEXT, tmp_path / "lm.arpa")
    both = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--model", "x.tflite",
               "--scorer", str(arpa))
    assert both.exit_code == 2 and "exactly one of --checkpoint_dir and --model" in both.output
    arpa_update = run(pm, "--test_files", str(SAMPLE), "--checkpoint_dir", str(checkpoint_dir), "--scorer", str(arpa),
                      "--update_scorer")
    assert arpa_update.exit_code == 1 and f"scorer {arpa} is not a scorer" in arpa_update.output
