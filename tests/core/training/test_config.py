"""TrainConfig refuses values that would otherwise fail deep inside Keras, naming the flag."""

from __future__ import annotations

import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.training.config import TrainConfig


@pytest.mark.parametrize("flag", ["dropout_rate", "dropout_rate2", "dropout_rate3", "dropout_rate4",
                                  "dropout_rate5", "dropout_rate6"])
@pytest.mark.parametrize("value", [1.0, 1.5, -0.5])
def test_dropout_rates_outside_0_1_are_usage_errors(flag, value):
    with pytest.raises(UsageError, match=f"--{flag} {value}: a dropout rate must be in \\[0, 1\\)"):
        TrainConfig(**{flag: value})


def test_minus_one_inherits_only_where_deepspeech_allowed_it():
    config = TrainConfig(dropout_rate=0.2, dropout_rate2=-1, dropout_rate3=-1, dropout_rate6=-1, dropout_rate4=0.0)
    assert (config.dropout_rate2, config.dropout_rate6) == (-1, -1)
    for flag in ("dropout_rate", "dropout_rate4", "dropout_rate5"):
        with pytest.raises(UsageError, match=f"--{flag} -1"):
            TrainConfig(**{flag: -1.0})
