"""pitch moves spectral content along the frequency axis and keeps the bin count."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


@pytest.mark.parametrize(("factor", "peak"), [(1.0, 60), (2.0, 120), (0.5, 30)])
def test_pitch_moves_a_peak(registry: AugmentationRegistry, factor: float, peak: int) -> None:
    spectrogram = np.zeros((4, 257), np.float32)
    spectrogram[:, 60] = 1.0
    out, _ = registry.parse(f"pitch[pitch={factor}]")(spectrogram, context())
    assert out.shape == (4, 257)
    assert abs(int(np.argmax(out[0])) - peak) <= 1
    if factor < 1:
        assert not out[:, int(257 * factor) :].any(), "bins above the squeezed spectrum are zero-padded"
