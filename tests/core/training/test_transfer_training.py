"""Fine-tuning and transfer learning inside `sttx train`: --drop_source_layers, --freeze_source_layers, DeepSpeech."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.training.checkpoints import CheckpointMismatchError
from sttx.core.training.config import TrainConfig
from sttx.core.training.loop import Trainer
from sttx.core.training.stopping import StopRequest
from sttx.core.training.transfer import LAYERS, dropped_layers
from tests.core.training.ds_tf1 import LSTM, cudnn_opaque, ds_variables, write_checkpoint
from tests.core.training.test_training import write_clips

tf = pytest.importorskip("tensorflow")

N_HIDDEN = 16
DEFAULT_ALPHABET = Path(__file__).parents[3] / "sttx" / "data" / "alphabet.txt"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_clips(tmp_path_factory.mktemp("clips") / "two.csv", 2)


def config(clips: str, **overrides: Any) -> TrainConfig:
    settings = {"train_files": clips, "n_hidden": N_HIDDEN, "epochs": 1, "train_batch_size": 1,
                "checkpoint_secs": 0, "show_progressbar": False, "learning_rate": 0.003, "dropout_rate": 0.0}
    settings.update(overrides)
    return TrainConfig(**settings)


def trainer(cfg: TrainConfig, pm: Any, stop: StopRequest | None = None) -> Trainer:
    lines: list[str] = []
    made = Trainer(cfg, pm.registries(), lines.append, stop if stop is not None else StopRequest())
    made.lines = lines  # type: ignore[attr-defined]
    return made


def values(t: Trainer) -> dict[str, np.ndarray]:
    return {name: np.array(v.numpy()) for name, v in t.variables.items()}


def of_layer(name: str, layer: str) -> bool:
    from sttx.core.training.transfer import layer_of

    return layer_of(name) == layer


@pytest.fixture(scope="module")
def module_pm() -> Any:
    from sttx.core.contract.plugins import get_plugin_manager

    return get_plugin_manager(load_entrypoints=False, disabled=set())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, clips: str, module_pm: Any) -> tuple[Path, dict[str, np.ndarray]]:
    """A trained sttx run (default alphabet) and its final variables, Adam slots included."""
    directory = tmp_path_factory.mktemp("source")
    t = trainer(config(clips, checkpoint_dir=str(directory)), module_pm)
    t.run()
    return directory, values(t)


@pytest.fixture(scope="module")
def new_alphabet(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("alphabet") / "alphabet.txt"
    path.write_text(DEFAULT_ALPHABET.read_text(encoding="utf-8") + "é\nü\n-\n", encoding="utf-8")
    return str(path)


def test_drop_1_fits_a_new_alphabet_and_resets_the_output_slots(tmp_path, clips, pm, source, new_alphabet) -> None:
    directory, before = source
    t = trainer(config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(tmp_path / "new"),
                       alphabet_config_path=new_alphabet, drop_source_layers=1), pm)
    fresh = values(t)
    t.restore()
    after = values(t)
    assert after["layer_6/kernel"].shape == (N_HIDDEN, 28 + 3 + 1)
    assert before["layer_6/kernel"].shape == (N_HIDDEN, 29)
    for name, value in after.items():
        if name in ("optimizer/iteration", "optimizer/learning_rate"):
            continue
        if of_layer(name, "layer_6"):  # weights as initialised, Adam slots zero
            np.testing.assert_array_equal(value, fresh[name], err_msg=name)
            if name.startswith("optimizer/"):
                assert not value.any(), name
        else:
            np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert before["optimizer/layer_1_kernel_momentum"].any()  # so the equality above means loaded slots
    assert t.state.global_step == 0 and "a new run" in t.lines[0]
    assert any("re-initialised layer_6" in line for line in t.lines)


@pytest.mark.parametrize("drop", [2, 3, 4, 5])
def test_drop_n_has_deepspeech_meaning(tmp_path, clips, pm, source, drop) -> None:
    directory, before = source
    t = trainer(config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(tmp_path / "new"),
                       drop_source_layers=drop, random_seed=99), pm)
    fresh = values(t)
    t.restore()
    after = values(t)
    dropped = set(dropped_layers(drop))
    assert dropped == set(LAYERS[len(LAYERS) - drop:]) and "layer_1" not in dropped
    for layer in LAYERS:
        names = [name for name in after if of_layer(name, layer) and not name.startswith("optimizer/")]
        expected = fresh if layer in dropped else before
        assert names
        for name in names:
            np.testing.assert_array_equal(after[name], expected[name], err_msg=f"{name} with drop {drop}")
        if layer in dropped:  # differ from the source: really re-initialised
            assert not np.array_equal(after[f"{names[0]}"], before[names[0]])
        for slot in (name for name in after if of_layer(name, layer) and name.startswith("optimizer/")):
            if layer in dropped:  # Adam starts fresh for the dropped layers only
                assert not after[slot].any(), slot
            else:
                np.testing.assert_array_equal(after[slot], before[slot], err_msg=slot)


def test_freeze_keeps_loaded_layers_bit_identical(tmp_path, clips, pm, source, new_alphabet) -> None:
    directory, before = source
    cfg = config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(tmp_path / "new"),
                 alphabet_config_path=new_alphabet, drop_source_layers=1, freeze_source_layers=2)
    t = trainer(cfg, pm)
    assert {v.path.split("/")[0] for v in t.model.trainable_variables} == {"layer_5", "layer_6"}
    assert not any(name.startswith("optimizer/layer_1") for name in t.variables)  # no Adam slots for frozen
    initial_output = t.variables["layer_6/kernel"].numpy().copy()
    t.run()
    after = values(t)
    assert t.state.global_step == 2
    for name, value in after.items():
        layer = next((layer for layer in LAYERS if of_layer(name, layer)), None)
        if name.startswith("optimizer/") or layer is None:
            continue
        if layer in ("layer_5", "layer_6"):
            reference = initial_output if name == "layer_6/kernel" else before[name]
            assert not np.array_equal(value, reference), f"{name} was not trained"
        else:
            np.testing.assert_array_equal(value, before[name], err_msg=f"frozen {name} changed")


def test_freeze_resumes_exactly(tmp_path, clips, pm, source) -> None:
    directory, _ = source

    def cfg(save: str) -> TrainConfig:
        return config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(tmp_path / save),
                      freeze_source_layers=1, epochs=2)

    whole = trainer(cfg("whole"), pm)
    whole.run()
    first = trainer(cfg("split"), pm, StopRequest(at_step=3))
    assert first.run().interrupted
    second = trainer(cfg("split"), pm)
    second.run()
    assert second.state.global_step == whole.state.global_step == 4
    assert "epoch 2, step 1" in second.lines[0]
    for name, value in values(whole).items():
        np.testing.assert_array_equal(values(second)[name], value, err_msg=name)


def test_finetune_into_a_new_save_dir_then_resume_there(tmp_path, clips, pm, source) -> None:
    directory, before = source
    save = tmp_path / "finetuned"
    first = trainer(config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(save)), pm)
    first.run()
    assert first.lines[0].startswith(f"Loaded {directory}") and "a new run" in first.lines[0]
    assert sorted(p.name for p in save.glob("train-*")) == ["train-2"]
    assert not np.array_equal(values(first)["layer_1/kernel"], before["layer_1/kernel"])
    again = trainer(config(clips, load_checkpoint_dir=str(directory), save_checkpoint_dir=str(save), epochs=2), pm)
    again.run()
    assert again.lines[0].startswith(f"Loaded {save / 'train-2'} (global step 2); continuing at epoch 2")
    assert again.state.global_step == 4


def test_transfer_flag_errors(tmp_path, clips) -> None:
    with pytest.raises(UsageError, match="--freeze_source_layers 1 with --drop_source_layers 2"):
        config(clips, checkpoint_dir=str(tmp_path), drop_source_layers=2, freeze_source_layers=1)
    with pytest.raises(UsageError, match="another --save_checkpoint_dir"):
        config(clips, checkpoint_dir=str(tmp_path), drop_source_layers=1)


def test_freeze_without_a_source_is_refused(tmp_path, clips, pm) -> None:
    t = trainer(config(clips, checkpoint_dir=str(tmp_path / "empty"), freeze_source_layers=1), pm)
    with pytest.raises(UsageError, match="nothing was loaded"):
        t.restore()


# -- DeepSpeech TF1 checkpoints ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ds_values() -> dict[str, np.ndarray]:
    return ds_variables(n_hidden=N_HIDDEN, n_classes=29, seed=3)


@pytest.fixture(scope="module")
def ds_dir(tmp_path_factory: pytest.TempPathFactory, ds_values) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("deepspeech") / "release", ds_values)


def imported_logits(path: Path, n_classes: int, features: np.ndarray, skip: tuple[str, ...] = ()) -> np.ndarray:
    from sttx.core.training.ds_checkpoint import import_into_model
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(config("x.csv", checkpoint_dir="x"), n_classes)
    import_into_model(model, path, skip=skip)
    return np.asarray(model(features, training=False))


@pytest.mark.parametrize("cudnn", [False, True])
def test_deepspeech_checkpoint_loads_through_train(tmp_path, clips, pm, ds_values, ds_dir, cudnn) -> None:
    folder = ds_dir
    if cudnn:
        weights = {k: v for k, v in ds_values.items() if not k.startswith(LSTM)}
        weights["cudnn_lstm/opaque_kernel"] = cudnn_opaque(ds_values)
        folder = write_checkpoint(tmp_path / "cudnn", weights, state_file="checkpoint")
    t = trainer(config(clips, load_checkpoint_dir=str(folder), save_checkpoint_dir=str(tmp_path / "out"),
                       epochs=0), pm)
    t.run()
    assert any("Imported the DeepSpeech checkpoint" in line for line in t.lines)
    features = np.random.default_rng(0).standard_normal((1, 30, 26)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(t.model(features, training=False)),
                               imported_logits(ds_dir, 29, features), rtol=1e-5, atol=1e-5)


def test_deepspeech_transfer_to_a_new_alphabet_on_the_command_line(tmp_path, clips, pm, ds_dir, new_alphabet) -> None:
    out = tmp_path / "out"
    args = ["train", "--train_files", clips, "--load_checkpoint_dir", str(ds_dir), "--save-checkpoint-dir", str(out),
            "--n_hidden", str(N_HIDDEN), "--epochs", "1", "--alphabet_config_path", new_alphabet,
            "--drop-source-layers", "1", "--freeze-source-layers", "1", "--noshow_progressbar",
            "--checkpoint_secs", "0"]
    result = CliRunner().invoke(build_cli(pm), args)
    assert result.exit_code == 0, result.output
    assert "re-initialised layer_6" in result.output and "layer_5 fixed" in result.output
    from sttx.core.training.checkpoints import restore_for_inference

    restored = restore_for_inference(out, registries=pm.registries())
    assert restored.alphabet.n_classes == 32
    features = np.random.default_rng(1).standard_normal((1, 20, 26)).astype(np.float32)
    for name in ("layer_1", "lstm", "layer_5"):  # frozen at the imported values
        for a, b in zip(restored.model.get_layer(name).get_weights(),
                        _imported_layer(ds_dir, name), strict=True):
            np.testing.assert_array_equal(a, b)
    assert np.asarray(restored.model(features)).shape[-1] == 32
    # second phase: the whole network from the frozen run, whose checkpoint has no Adam slots for frozen layers
    t = trainer(config(clips, load_checkpoint_dir=str(out), save_checkpoint_dir=str(tmp_path / "phase2")), pm)
    t.restore()
    assert "a new run" in t.lines[0] and len(t.model.trainable_variables) == len(t.model.weights)
    assert not t.variables["optimizer/layer_1_kernel_momentum"].numpy().any()
    assert t.variables["optimizer/layer_6_kernel_momentum"].numpy().any()
    np.testing.assert_array_equal(t.model.get_layer("layer_6").get_weights()[0],
                                  restored.model.get_layer("layer_6").get_weights()[0])


def _imported_layer(path: Path, name: str) -> list[np.ndarray]:
    from sttx.core.training.ds_checkpoint import import_into_model
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(config("x.csv", checkpoint_dir="x"), 29)
    import_into_model(model, path)
    return model.get_layer(name).get_weights()


def test_deepspeech_geometry_mismatch_names_tensor_and_flag(tmp_path, clips, pm, ds_dir) -> None:
    args = ["train", "--train_files", clips, "--load_checkpoint_dir", str(ds_dir), "--save_checkpoint_dir",
            str(tmp_path / "out"), "--n_hidden", "8", "--epochs", "1"]
    result = CliRunner().invoke(build_cli(pm), args)
    assert result.exit_code == 2, result.output
    message = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(message) == 1
    assert f"layer_1/weights is [494, {N_HIDDEN}] there, [494, 8] here" in message[0]
    assert f"--n_hidden {N_HIDDEN}" in message[0]


def test_deepspeech_other_alphabet_without_drop_is_refused(tmp_path, clips, pm, ds_dir, new_alphabet) -> None:
    t = trainer(config(clips, load_checkpoint_dir=str(ds_dir), save_checkpoint_dir=str(tmp_path / "out"),
                       alphabet_config_path=new_alphabet), pm)
    with pytest.raises(CheckpointMismatchError, match=r"layer_6/weights.*--drop_source_layers 1"):
        t.restore()
