"""warp accepts both spellings and moves points smoothly along the warped axis only."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def test_both_spellings(registry: AugmentationRegistry) -> None:
    assert registry.parse("warp[nt=4,nf=2,wt=0.3,wf=0.1]") == registry.parse(
        "warp[num_t=4,num_f=2,warp_t=0.3,warp_f=0.1]"
    )


def test_time_warp_moves_along_time_only(registry: AugmentationRegistry) -> None:
    frames = np.repeat(np.arange(60, dtype=np.float32)[:, None], 257, axis=1)
    out, _ = registry.parse("warp[nt=3,wt=0.3,wf=0]")(frames, context(1))
    assert not np.allclose(out, frames)
    assert out[0, 0] == 0 and out.min() >= 0 and out.max() <= 59
    bins = np.repeat(np.arange(257, dtype=np.float32)[None, :], 60, axis=0)
    assert np.array_equal(registry.parse("warp[nt=3,wt=0.3,wf=0]")(bins, context(1))[0], bins), "no move in frequency"


def test_no_strength_no_change(registry: AugmentationRegistry) -> None:
    data = np.random.default_rng(0).random((20, 257)).astype(np.float32)
    out, _ = registry.parse("warp[wt=0,wf=0]")(data, context())
    assert np.array_equal(out, data)
