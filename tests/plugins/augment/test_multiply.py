"""multiply scales by normal factors around 1."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def test_multiply_factor_statistics(registry: AugmentationRegistry) -> None:
    data = np.full((500, 26), 2.0, np.float32)
    out, _ = registry.parse("multiply[stddev=0.2]")(data, context())
    factors = out / 2.0
    assert abs(float(np.mean(factors)) - 1.0) < 0.01 and abs(float(np.std(factors)) - 0.2) < 0.01
