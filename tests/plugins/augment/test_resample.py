"""resample keeps the length and removes what lies above the intermediate Nyquist frequency."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import RATE, context


def band_energy(audio: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(len(audio), 1 / RATE)
    return float(spectrum[(frequencies >= low) & (frequencies < high)].sum())


@pytest.mark.parametrize("rate", [4000, 8000, 11025])
def test_resample_band_limits_and_keeps_length(registry: AugmentationRegistry, rate: int) -> None:
    noise = (np.random.default_rng(0).standard_normal(2 * RATE) * 0.1).astype(np.float32)
    out, params = registry.parse(f"resample[rate={rate}]")(noise, context())
    assert params == {"rate": rate}
    assert len(out) == len(noise) and out.dtype == np.float32
    above = 10 * np.log10(band_energy(noise, rate / 2, RATE / 2) / band_energy(out, rate / 2, RATE / 2))
    assert above > 20.0
    below = band_energy(out, 0, 0.8 * rate / 2) / band_energy(noise, 0, 0.8 * rate / 2)
    assert 0.9 < below < 1.1, "the pass band is kept"
