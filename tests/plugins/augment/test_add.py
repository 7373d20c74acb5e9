"""add draws normal noise of the given standard deviation."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def test_add_noise_statistics(registry: AugmentationRegistry) -> None:
    data = np.full((500, 26), 3.0, np.float32)
    out, params = registry.parse("add[stddev=0.5]")(data, context())
    assert params == {"domain": "features", "stddev": 0.5}
    assert abs(float(np.mean(out)) - 3.0) < 0.01 and abs(float(np.std(out)) - 0.5) < 0.01
    assert out.dtype == np.float32
