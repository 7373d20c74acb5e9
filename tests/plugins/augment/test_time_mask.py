"""time_mask zeroes n stretches whose size in ms converts to samples or 20 ms frames."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import RATE, context


def zero_runs(mask: np.ndarray) -> list[int]:
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [int(end - start) for start, end in zip(edges[::2], edges[1::2], strict=True)]


@pytest.mark.parametrize(("domain", "bins"), [("spectrogram", 257), ("features", 26)])
def test_frame_domains(registry: AugmentationRegistry, domain: str, bins: int) -> None:
    data = np.ones((100, bins), np.float32)
    out, params = registry.parse(f"time_mask[domain={domain},n=3,size=60]")(data, context(2))
    rows = ~out.any(axis=1)
    assert zero_runs(rows) == [3, 3, 3], "60 ms is 3 frames of 20 ms"
    assert (out[~rows] == 1).all()
    assert params["size"] == [60.0, 60.0, 60.0]


def test_default_size_rounds_up_to_one_frame(registry: AugmentationRegistry) -> None:
    out, _ = registry.parse("time_mask")(np.ones((50, 257), np.float32), context())
    assert zero_runs(~out.any(axis=1)) == [1, 1, 1]


def test_signal_domain_counts_samples(registry: AugmentationRegistry) -> None:
    audio = np.full(RATE, 0.5, np.float32)
    out, _ = registry.parse("time_mask[domain=signal,n=2,size=10]")(audio, context(4))
    assert zero_runs(out == 0) == [160, 160]
