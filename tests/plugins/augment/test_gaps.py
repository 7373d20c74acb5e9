"""gaps silences exactly n intervals of the drawn sizes."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import RATE, context


def zero_runs(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of every run of exact zeros."""
    padded = np.concatenate(([0], (audio == 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [(int(start), int(end - start)) for start, end in zip(edges[::2], edges[1::2], strict=True)]


def test_gaps_zero_n_intervals_of_the_drawn_size(registry: AugmentationRegistry) -> None:
    audio = np.random.default_rng(0).uniform(0.1, 0.5, 3 * RATE) * np.sign(np.arange(3 * RATE) % 2 - 0.5)
    audio = audio.astype(np.float32)
    for seed in range(8):
        out, params = registry.parse("gaps[n=2:6,size=20:80~15]")(audio, context(seed, clock=seed / 7))
        runs = zero_runs(out)
        assert len(runs) == params["n"]
        assert [length for _, length in runs] == [int(size * RATE / 1000) for size in params["size"]]
        outside = np.ones(len(audio), bool)
        for start, length in runs:
            outside[start : start + length] = False
        assert np.array_equal(out[outside], audio[outside])


def test_gap_size_in_ms(registry: AugmentationRegistry) -> None:
    audio = np.full(RATE, 0.3, np.float32)
    out, _ = registry.parse("gaps[n=1,size=50]")(audio, context())
    assert zero_runs(out)[0][1] == 800
