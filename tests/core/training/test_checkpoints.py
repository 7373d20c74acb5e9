"""Checkpoints: atomic writes, pruning, latest not best, geometry/alphabet refusal, dropped layers, restore."""

from __future__ import annotations

import errno

import attrs
import numpy as np
import pytest

from sttx.core.training import checkpoints
from sttx.core.training.checkpoints import BEST, TRAIN, CheckpointError, CheckpointMismatchError
from sttx.core.training.transfer import dropped_layers
from sttx.plugins.models.deepspeech import build_model

tf = pytest.importorskip("tensorflow")


@attrs.frozen
class Geometry:
    n_hidden: int = 8
    dropout_rate: float = 0.0


def _variables(n_hidden: int = 8, classes: int = 29) -> dict:
    return checkpoints.tracked_variables(build_model(Geometry(n_hidden), classes), None)


def _state(step: int) -> dict:
    return {"loop": {"global_step": step}, "model": {"model": "deepspeech", "n_hidden": 8, "n_classes": 29}}


def test_save_keeps_max_to_keep_train_and_one_best(tmp_path) -> None:
    variables = _variables()
    for step in range(1, 5):
        checkpoints.save(tmp_path, TRAIN, step, variables, _state(step), max_to_keep=2)
        checkpoints.save(tmp_path, BEST, step, variables, _state(step))
    assert [step for step, _ in checkpoints.list_checkpoints(tmp_path, TRAIN)] == [3, 4]
    assert [step for step, _ in checkpoints.list_checkpoints(tmp_path, BEST)] == [4]
    assert checkpoints.read_state(tmp_path / "train-4")["loop"] == {"global_step": 4}


def test_restore_round_trips_values(tmp_path) -> None:
    source, target = _variables(), _variables()
    source["layer_2/kernel"].assign(np.full((8, 8), 0.5, np.float32))
    checkpoints.save(tmp_path, TRAIN, 7, source, _state(7))
    state = checkpoints.restore(tmp_path / "train-7", target)
    np.testing.assert_array_equal(target["layer_2/kernel"].numpy(), 0.5)
    assert state["loop"]["global_step"] == 7


def test_auto_resumes_the_latest_not_the_best(tmp_path) -> None:
    variables = _variables()
    checkpoints.save(tmp_path, BEST, 3, variables, _state(3))
    checkpoints.save(tmp_path, TRAIN, 9, variables, _state(9))
    assert checkpoints.choose(tmp_path, "auto").name == "train-9"
    assert checkpoints.choose(tmp_path, "best").name == "best_dev-3"
    assert checkpoints.choose(tmp_path, "init") is None
    with pytest.raises(CheckpointError, match="no train checkpoint"):
        checkpoints.choose(tmp_path / "empty", "last")


def test_a_failed_write_leaves_the_previous_checkpoints_intact(tmp_path, monkeypatch) -> None:
    variables = _variables()
    checkpoints.save(tmp_path, TRAIN, 1, variables, _state(1))

    def full_disk(self, prefix):
        (tmp_path / "partial").write_text("x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tf.train.Checkpoint, "write", full_disk)
    with pytest.raises(CheckpointError, match="no space left on device; the previous checkpoints are intact"):
        checkpoints.save(tmp_path, TRAIN, 2, variables, _state(2))
    monkeypatch.undo()
    assert [path.name for _, path in checkpoints.list_checkpoints(tmp_path)] == ["train-1"]
    assert not list(tmp_path.glob(".train-*"))
    checkpoints.restore(checkpoints.latest(tmp_path), _variables())


def test_a_crash_mid_write_is_ignored_and_cleaned_up(tmp_path) -> None:
    variables = _variables()
    checkpoints.save(tmp_path, TRAIN, 1, variables, _state(1))
    stale = tmp_path / ".train-2.tmp-99999"  # what a SIGKILL during a save leaves behind
    stale.mkdir()
    (stale / "weights.index").write_bytes(b"\0garbage")
    half = tmp_path / "train-3"  # a dir without state.json is never taken for a checkpoint
    half.mkdir()
    assert checkpoints.latest(tmp_path).name == "train-1"
    checkpoints.restore(checkpoints.latest(tmp_path), _variables())
    checkpoints.save(tmp_path, TRAIN, 4, variables, _state(4))
    assert not stale.exists()


def test_saving_the_same_step_again_replaces_it(tmp_path) -> None:
    variables = _variables()
    checkpoints.save(tmp_path, BEST, 5, variables, _state(5))
    checkpoints.save(tmp_path, BEST, 5, variables, dict(_state(5), learning_rate=0.1))
    assert checkpoints.read_state(tmp_path / "best_dev-5")["learning_rate"] == 0.1


def test_another_geometry_is_refused_naming_tensors_and_flag(tmp_path) -> None:
    checkpoints.save(tmp_path, TRAIN, 1, _variables(8), _state(1))
    with pytest.raises(CheckpointMismatchError) as caught:
        checkpoints.restore(tmp_path / "train-1", _variables(16))
    message = str(caught.value)
    assert "layer_1/kernel is [494, 8] there, [494, 16] here" in message
    assert "--n_hidden" in message and "trained with --n_hidden 8" in message


def test_a_checkpoint_without_the_intermediate_ctc_head_names_the_flag(tmp_path) -> None:
    import keras

    saved = {"output/kernel": keras.Variable(np.zeros((4, 29), "float32"), name="kernel")}
    checkpoints.save(tmp_path, TRAIN, 1, saved, _state(1))
    wanted = {**saved, "output_intermediate/kernel": keras.Variable(np.zeros((4, 29), "float32"), name="kernel")}
    with pytest.raises(CheckpointMismatchError, match=r"output_intermediate/kernel is missing there.*trained "
                       r"without an intermediate CTC head: set --inter_ctc_weight as it was \(0"):
        checkpoints.check_geometry(tmp_path / "train-1", {"output/kernel": [4, 29]}, wanted,
                                   trained_with={"model": "conformer", "inter_ctc_weight": 0.0})
    with pytest.raises(CheckpointMismatchError, match=r"--model_size xs --conformer_layers 2\)"):
        checkpoints.check_geometry(tmp_path / "train-1", {"output/kernel": [4, 30]}, saved, trained_with={
            "model": "conformer", "model_size": "xs", "conformer_layers": 2, "conformer_dim": 0})


def test_another_alphabet_is_refused_unless_the_output_layer_is_dropped(tmp_path) -> None:
    checkpoints.save(tmp_path, TRAIN, 1, _variables(8, 29), _state(1))
    target = _variables(8, 40)
    with pytest.raises(CheckpointMismatchError, match=r"layer_6/kernel.*--alphabet_config_path.*--drop_source_layers"):
        checkpoints.restore(tmp_path / "train-1", target)
    fresh = target["layer_6/kernel"].numpy().copy()
    checkpoints.restore(tmp_path / "train-1", target, skip=dropped_layers(1))
    np.testing.assert_array_equal(target["layer_6/kernel"].numpy(), fresh)


def test_restore_for_inference_rebuilds_the_model(tmp_path) -> None:
    model = build_model(Geometry(8), 29)
    variables = checkpoints.tracked_variables(model, None)
    checkpoints.save(tmp_path, TRAIN, 2, variables, _state(2))
    restored = checkpoints.restore_for_inference(tmp_path)
    assert restored.path.name == "train-2"
    features = np.random.default_rng(0).normal(size=(1, 6, 26)).astype(np.float32)
    np.testing.assert_allclose(restored.model(features), model(features), atol=1e-6)
    assert restored.alphabet.n_classes == 29


def test_optimizer_variables_have_stable_unique_names() -> None:
    import keras

    model = build_model(Geometry(8), 29)
    for optimizer in (keras.optimizers.Adam(), keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())):
        optimizer.build(model.trainable_variables)
        names = list(checkpoints.tracked_variables(model, optimizer))
        assert len(names) == len(set(names)) == len(model.weights) + len(optimizer.variables)
        assert "optimizer/iteration" in names or "optimizer/inner/iteration" in names
        assert any(name.endswith("layer_1_kernel_momentum") for name in names)
