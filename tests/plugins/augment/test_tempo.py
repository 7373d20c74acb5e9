"""tempo changes the frame count by 1/factor, honours max_time, never goes below the label length."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def test_tempo_frame_counts(registry: AugmentationRegistry) -> None:
    data = np.random.default_rng(0).random((100, 257)).astype(np.float32)
    assert registry.parse("tempo[factor=2]")(data, context())[0].shape == (50, 257)
    assert registry.parse("tempo[factor=0.5]")(data, context())[0].shape == (200, 257)
    assert registry.parse("tempo[factor=1,max_time=400]")(data, context())[0].shape == (20, 257)


def test_tempo_never_shortens_below_the_label(registry: AugmentationRegistry) -> None:
    data = np.ones((100, 26), np.float32)
    out, _ = registry.parse("tempo[factor=4,max_time=100]")(data, context(label_length=37))
    assert out.shape == (37, 26)
