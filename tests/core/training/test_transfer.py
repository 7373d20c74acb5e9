"""Transfer-learning layer selection with DeepSpeech's meaning of --drop_source_layers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.training.transfer import apply_freeze, dropped_layers, frozen_layers, reinitialize, split_variables

DS_NAMES = [
    "layer_1/weights", "layer_1/bias", "layer_2/weights", "layer_3/bias", "layer_5/weights", "layer_6/bias",
    "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/kernel", "beta2_power", "global_step",
]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, ()),
        (1, ("layer_6",)),
        (2, ("layer_5", "layer_6")),
        (3, ("lstm", "layer_5", "layer_6")),
        (4, ("layer_3", "lstm", "layer_5", "layer_6")),
        (5, ("layer_2", "layer_3", "lstm", "layer_5", "layer_6")),
        (9, ("layer_2", "layer_3", "lstm", "layer_5", "layer_6")),  # clamped to 5, as DeepSpeech
    ],
)
def test_dropped_layers(n: int, expected: tuple[str, ...]) -> None:
    assert dropped_layers(n) == expected


def test_split_variables_matches_whole_layers() -> None:
    load, init = split_variables(DS_NAMES, 5)
    assert "beta2_power" in load  # DeepSpeech's substring match re-initialised it; sttx does not
    assert set(init) == set(DS_NAMES) - {"layer_1/weights", "layer_1/bias", "beta2_power", "global_step"}
    load, init = split_variables(DS_NAMES, 3)
    assert "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/kernel" in init
    assert "layer_3/bias" in load


def test_frozen_layers_and_conflicts() -> None:
    # DeepSpeech PR #3247: --freeze_source_layers N leaves the last N layers trainable (the same N as the drop)
    assert frozen_layers(0) == ()
    assert frozen_layers(1, drop=1) == ("layer_1", "layer_2", "layer_3", "lstm", "layer_5")
    assert frozen_layers(4) == ("layer_1", "layer_2")
    assert frozen_layers(5, drop=3) == ("layer_1",)
    assert frozen_layers(9) == ("layer_1",)  # clamped to 5, as --drop_source_layers
    with pytest.raises(UsageError, match="re-initialised"):
        frozen_layers(2, drop=3)
    with pytest.raises(UsageError):
        dropped_layers(-1)


def test_keras_freeze_and_reinitialize() -> None:
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(SimpleNamespace(n_hidden=8, layer_norm=True), 5)
    model.set_weights([w + 1.0 for w in model.get_weights()])
    assert apply_freeze(model, 4, drop=1) == ("layer_1", "layer_2")
    assert not model.get_layer("layer_2").trainable and not model.get_layer("layer_2_norm").trainable
    assert model.get_layer("layer_3").trainable
    reinitialize(model, dropped_layers(1))
    kernel, bias = model.get_layer("layer_6").get_weights()
    assert np.all(bias == 0) and not np.allclose(kernel, kernel.flat[0])
    assert np.all(model.get_layer("layer_5").get_weights()[1] == 1.0)  # not dropped: untouched


def test_optimizer_slots_belong_to_their_layer() -> None:
    from sttx.core.training.transfer import layer_of

    assert layer_of("optimizer/layer_1_norm_gamma_momentum") == "layer_1"
    assert layer_of("optimizer/inner/lstm_lstm_cell_recurrent_kernel_velocity") == "lstm"
    assert layer_of("optimizer/layer_6_bias_velocity") == "layer_6"
    assert layer_of("optimizer/iteration") is None and layer_of("optimizer/learning_rate") is None
