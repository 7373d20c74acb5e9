"""The training loop: it learns, resumes exactly (mid-epoch too, latest not best), NaN handling, run files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from sttx.core.contract.registry import ModelArchitecture
from sttx.core.training.config import TrainConfig
from sttx.core.training.loop import NonFiniteLossError, train
from sttx.core.training.sample_job import SAMPLE_CSV
from sttx.core.training.stopping import StopRequest
from sttx.plugins.models.deepspeech import build_model

tf = pytest.importorskip("tensorflow")


def write_clips(path: Path, count: int) -> str:
    """A CSV of the ``count`` shortest sample-corpus clips (absolute paths)."""
    with SAMPLE_CSV.open(encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["wav_filesize"]))[:count]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["wav_filename", "wav_filesize", "transcript"])
        writer.writeheader()
        for row in rows:
            writer.writerow(dict(row, wav_filename=str(SAMPLE_CSV.parent / row["wav_filename"])))
    return str(path)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_clips(tmp_path_factory.mktemp("clips") / "three.csv", 3)


def config(directory: Path, clips: str, **overrides: object) -> TrainConfig:
    settings = {"train_files": clips, "checkpoint_dir": str(directory), "n_hidden": 24, "epochs": 2,
                "train_batch_size": 1, "dropout_rate": 0.1, "checkpoint_secs": 0, "show_progressbar": False,
                "learning_rate": 0.003}
    settings.update(overrides)
    return TrainConfig(**settings)  # type: ignore[arg-type]


@attrs.frozen
class Run:
    """A result and the lines the run printed."""

    result: Any
    lines: list[str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


def run(cfg: TrainConfig, registries: object, stop: StopRequest | None = None) -> Run:
    lines: list[str] = []
    return Run(train(cfg, registries, echo=lines.append, stop=stop), lines)


def weights(result: object) -> list[np.ndarray]:
    return [np.asarray(v) for v in result.model.weights]  # type: ignore[attr-defined]


def test_a_tiny_model_learns_its_clips(tmp_path, clips, pm) -> None:
    result = run(config(tmp_path, clips, epochs=8, n_hidden=32, dev_files=clips, dev_batch_size=3), pm.registries())
    dev_losses = [float(line.split("dev loss ")[1].split()[0]) for line in result.lines if "dev loss" in line]
    assert len(dev_losses) == 8
    assert dev_losses[-1] < 0.8 * dev_losses[0]
    assert result.lines[0].startswith("sttx train: deepspeech model, ")
    assert "train 3 samples in 3 batches" in result.lines[0]
    assert result.best_dev_loss == pytest.approx(min(dev_losses), abs=1e-3)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory, clips: str) -> Run:
    """6 steps (2 epochs of 3) in one go."""
    from sttx.core.contract.plugins import get_plugin_manager

    registries = get_plugin_manager(load_entrypoints=False, disabled=set()).registries()
    return run(config(tmp_path_factory.mktemp("whole"), clips), registries)


@pytest.mark.parametrize("first_steps", [4, 3])  # mid-epoch and at an epoch end (3 steps per epoch)
def test_resume_is_exact(tmp_path, clips, pm, whole, first_steps) -> None:
    registries = pm.registries()
    first = run(config(tmp_path / "split", clips), registries, StopRequest(at_step=first_steps))
    assert first.interrupted and first.global_step == first_steps
    assert first.checkpoint.name == f"train-{first_steps}"
    second = run(config(tmp_path / "split", clips), registries)
    assert second.global_step == whole.global_step == 6
    assert f"global step {first_steps}" in second.lines[0]
    for a, b in zip(weights(whole), weights(second), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_resume_takes_the_latest_checkpoint_and_keeps_loop_state(tmp_path, clips, pm) -> None:
    registries = pm.registries()
    cfg = config(tmp_path, clips, epochs=2, dev_files=clips, dev_batch_size=3)
    first = run(cfg, registries)
    assert list(tmp_path.glob("best_dev-*")) and (tmp_path / "train-6").is_dir()
    done = run(cfg, registries)  # the same command once the run is complete: nothing to do, and it says why
    assert done.global_step == 6 and any(line.startswith("Nothing to train") and "2 epochs" in line
                                         for line in done.lines)
    again = run(attrs.evolve(cfg, epochs=3), registries)
    assert "train-6" in again.lines[0] and "epoch 3, step 0" in again.lines[0]
    assert again.epochs_completed == 3 and again.global_step == 9
    assert not any(line.startswith("Nothing to train") for line in again.lines)
    assert again.best_dev_loss <= first.best_dev_loss


def test_flags_and_alphabet_are_written(tmp_path, clips, pm) -> None:
    run(config(tmp_path, clips, epochs=1), pm.registries())
    flags = (tmp_path / "flags.txt").read_text().splitlines()
    assert "--n_hidden=24" in flags and "--epochs=1" in flags and f"--train_files={clips}" in flags
    assert (tmp_path / "alphabet.txt").read_text().startswith("# ")
    events = list((tmp_path / "summaries" / "train").glob("events.out.tfevents.*"))
    tags = {value.tag for path in events for event in tf.compat.v1.train.summary_iterator(str(path))
            for value in event.summary.value}
    assert {"loss", "learning_rate", "samples_per_second", "input_wait_share"} <= tags


def _poisoned(settings: object, n_classes: int) -> object:
    """The DeepSpeech model whose logits are NaN: every loss is non-finite."""
    import keras

    model = build_model(settings, n_classes)
    nan = keras.layers.Lambda(lambda x: x * float("nan"), name="poison")(model.output)
    return keras.Model(model.input, nan)


def test_nan_loss_names_the_files_and_keeps_the_weights(tmp_path, clips, pm) -> None:
    registries = pm.registries()
    registries.models.add("poisoned", ModelArchitecture(build=_poisoned))
    with pytest.raises(NonFiniteLossError, match=r"infinite \(or NaN\) loss at global step 0: .*\.flac"):
        run(config(tmp_path / "stop", clips, model="poisoned"), registries)
    assert not list((tmp_path / "stop").glob("train-*"))
    cfg = config(tmp_path / "skip", clips, model="poisoned", skip_nan=True, epochs=1)
    result = run(cfg, registries)
    assert result.nan_skipped == 3
    import keras

    keras.utils.set_random_seed(cfg.random_seed)
    initial = build_model(cfg, 29)
    np.testing.assert_array_equal(weights(result)[0], np.asarray(initial.weights[0]))


def test_test_files_alone_evaluate_the_checkpoint(tmp_path, clips, whole, pm) -> None:
    cfg = config(Path(whole.checkpoint_dir), clips, train_files="", test_files=clips, test_batch_size=3,
                 test_output_file=str(tmp_path / "out.json"))
    result = run(cfg, pm.registries())
    assert result.test is not None and len(result.test.samples) == 3
    assert "Test on" in "\n".join(result.lines) and (tmp_path / "out.json").is_file()
    with pytest.raises(Exception, match="nothing to test"):
        run(attrs.evolve(cfg, checkpoint_dir=str(tmp_path / "empty")), pm.registries())


def test_resume_is_exact_with_lstm_dropout(tmp_path, clips, pm) -> None:
    registries = pm.registries()
    extra = {"dropout_rate4": 0.2, "dropout_rate5": 0.2, "epochs": 1}
    whole = run(config(tmp_path / "whole", clips, **extra), registries)
    run(config(tmp_path / "split", clips, **extra), registries, StopRequest(at_step=2))
    second = run(config(tmp_path / "split", clips, **extra), registries)
    for a, b in zip(weights(whole), weights(second), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_schedule_sets_each_step_and_resumes_exactly(tmp_path, clips, pm) -> None:
    from sttx.core.training.lr_schedule import LearningRateSchedule

    registries = pm.registries()
    extra = {"lr_schedule": "cosine", "warmup_steps": 2, "lr_final_ratio": 0.1, "epochs": 2}
    whole = run(config(tmp_path / "whole", clips, **extra), registries)
    schedule = LearningRateSchedule("cosine", total_steps=6, warmup_steps=2, final_ratio=0.1)
    rates = [float(line.split("| lr ")[1].split()[0]) for line in whole.lines if line.startswith("Epoch")]
    assert rates == pytest.approx([0.003 * schedule.factor(2), 0.003 * schedule.factor(5)], rel=1e-4)
    constant = run(config(tmp_path / "constant", clips, epochs=2), registries)
    assert not all(np.allclose(a, b) for a, b in zip(weights(whole), weights(constant), strict=True))
    run(config(tmp_path / "split", clips, **extra), registries, StopRequest(at_step=4))
    second = run(config(tmp_path / "split", clips, **extra), registries)
    for a, b in zip(weights(whole), weights(second), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_test_files_decode_with_the_chosen_decoder(tmp_path, clips, whole, pm) -> None:
    """--test_files with --decoder beam: the report names it; an unknown decoder fails before any work."""
    from sttx.core.contract.errors import UsageError

    cfg = config(Path(whole.checkpoint_dir), clips, train_files="", test_files=clips, test_batch_size=3,
                 decoder="beam", beam_width=2)
    result = run(cfg, pm.registries())
    assert result.test is not None and result.test.decoder == "beam (beam_width 2, no scorer)"
    assert "\n".join(result.lines).rstrip().endswith("Decoder: beam (beam_width 2, no scorer)")
    with pytest.raises(UsageError, match="unknown decoder 'nope'"):
        run(attrs.evolve(cfg, decoder="nope"), pm.registries())
