"""Properties of the shared helpers: interval placement, size fitting, resizing, dBFS."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sttx.plugins.augment._dsp import fit_sizes, max_dbfs, normalize, place_intervals, resize_linear


@given(
    length=st.integers(0, 400),
    sizes=st.lists(st.integers(-5, 500), max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_intervals_fit_apart_inside_the_length(length: int, sizes: list[int], seed: int) -> None:
    fitted = fit_sizes(sizes, length)
    starts = place_intervals(np.random.default_rng(seed), length, fitted)
    assert len(starts) == len(fitted) <= len(sizes)
    assert all(size >= 1 for size in fitted)
    spans = list(zip(starts, fitted, strict=True))
    assert all(start >= 0 and start + size <= length for start, size in spans)
    assert all(a + la < b for (a, la), (b, _) in itertools.pairwise(spans)), "apart, in order"
    if length > 1 and sizes:
        assert fitted, "at least one interval fits whenever the length allows"


def test_fit_sizes_keeps_sizes_that_fit() -> None:
    assert fit_sizes([3, 5, 2], 100) == [3, 5, 2]
    assert fit_sizes([0, 200], 100) == [1, 49], "clamped up to one, then shrunk to fit apart"


def test_resize_linear_matches_tf1_sampling() -> None:
    data = np.arange(4, dtype=np.float32)
    assert resize_linear(data, 8, axis=0).tolist() == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3]
    assert resize_linear(data, 2, axis=0).tolist() == [0, 2]


def test_dbfs_and_normalize() -> None:
    sine = np.sin(np.linspace(0, 200 * np.pi, 16000)).astype(np.float32)
    assert abs(max_dbfs(sine) - 3.0103) < 1e-3
    assert abs(max_dbfs(normalize(sine.copy(), -20.0)) + 20.0) < 1e-4
    assert max_dbfs(np.zeros(4, np.float32)) == -np.inf
