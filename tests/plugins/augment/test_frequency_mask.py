"""frequency_mask zeroes exactly the declared number of bands of the declared width."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def zero_columns(spectrogram: np.ndarray) -> np.ndarray:
    return np.flatnonzero(~spectrogram.any(axis=0))


def test_frequency_mask_zeroes_the_declared_bands(registry: AugmentationRegistry) -> None:
    spectrogram = np.ones((30, 257), np.float32)
    for seed in range(6):
        out, params = registry.parse("frequency_mask[n=1:4,size=3:9]")(spectrogram, context(seed, clock=seed / 5))
        columns = zero_columns(out)
        assert len(columns) == sum(params["size"]) and len(params["size"]) == params["n"]
        assert not (out[:, np.setdiff1d(np.arange(257), columns)] != 1).any(), "other bins untouched"
        bands = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
        assert [len(band) for band in bands] == params["size"]


def test_band_width_clamps_to_the_bins(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("frequency_mask[n=1,size=300]")(np.ones((5, 26), np.float32), context())
    assert len(zero_columns(out)) == 25
