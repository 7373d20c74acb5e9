"""dropout zeroes the share `rate` of values (DeepSpeech inverted it) and leaves the rest unscaled."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.3, 1.0])
def test_rate_is_the_share_zeroed(registry: AugmentationRegistry, rate: float) -> None:
    data = np.full((400, 257), 2.0, np.float32)
    out, _ = registry.parse(f"dropout[rate={rate}]")(data, context())
    zeroed = float(np.mean(out == 0))
    assert abs(zeroed - rate) < 0.005
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_signal_domain(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("dropout[domain=signal,rate=0.5]")(np.ones(10000, np.float32), context())
    assert out.shape == (10000,) and 0.45 < np.mean(out == 0) < 0.55
