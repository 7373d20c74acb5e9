"""volume reaches the drawn peak level."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from sttx.plugins.augment._dsp import max_dbfs
from tests.plugins.augment.conftest import context, speechlike


@pytest.mark.parametrize("target", [-40.0, -20.0, -6.0, 0.0, 3.0103])
def test_volume_reaches_the_target_dbfs(registry: AugmentationRegistry, target: float) -> None:
    out, params = registry.parse(f"volume[dbfs={target}]")(speechlike(), context())
    assert params == {"dbfs": target}
    assert abs(max_dbfs(out) - target) < 0.5


def test_default_maps_the_peak_to_full_scale(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("volume")(speechlike() * 0.01, context())
    assert abs(float(np.max(np.abs(out))) - 1.0) < 1e-4


def test_louder_than_full_scale_clips(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("volume[dbfs=10]")(speechlike(), context())
    assert float(np.max(np.abs(out))) == 1.0


def test_silence_stays_silent(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("volume[dbfs=-10]")(np.zeros(800, np.float32), context())
    assert not out.any()
