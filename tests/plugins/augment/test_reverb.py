"""reverb adds a decaying tail and equals DeepSpeech's window-by-window comb loop."""

from __future__ import annotations

import itertools
import math

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from sttx.plugins.augment._dsp import max_dbfs, normalize
from tests.plugins.augment.conftest import RATE, context


def loop_reverb(audio: np.ndarray, delay_ms: float, decay_db: float) -> np.ndarray:
    """The plain definition: five feedback combs, one window at a time, summed with the dry signal."""
    x = audio.astype(np.float64)
    gain, total = 10 ** (-decay_db / 20), x.copy()
    for prime in (17, 19, 23, 29, 31):
        delay = max(16, math.floor(delay_ms * prime / 17 * RATE / 1000))
        layer = x.copy()
        for start in range(delay, len(x), delay):
            width = min(delay, len(x) - start)
            layer[start : start + width] += gain * layer[start - delay : start - delay + width]
        total += layer
    return normalize(total, max_dbfs(x))


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def test_reverb_lengthens_the_decay_tail(registry: AugmentationRegistry) -> None:
    burst = np.zeros(RATE, np.float32)
    burst[: RATE // 5] = np.random.default_rng(0).standard_normal(RATE // 5) * 0.3
    out, _ = registry.parse("reverb[delay=20,decay=6]")(burst, context())
    windows = [rms(out[RATE // 5 + i * 1600 : RATE // 5 + (i + 1) * 1600]) for i in range(5)]
    assert windows[0] > 0.05 * rms(out[: RATE // 5]), "energy continues after the burst ends"
    assert all(later < earlier for earlier, later in itertools.pairwise(windows)), "and decays"
    assert len(out) == len(burst)


def test_reverb_matches_the_loop_definition(registry: AugmentationRegistry) -> None:
    audio = np.random.default_rng(1).standard_normal(7001).astype(np.float32) * 0.2
    for delay, decay in ((20.0, 10.0), (1.0, 1.0), (70.0, 3.0)):
        out, _ = registry.parse(f"reverb[delay={delay},decay={decay}]")(audio, context())
        assert np.max(np.abs(out - loop_reverb(audio, delay, decay))) < 1e-5
    assert abs(max_dbfs(out) - max_dbfs(audio)) < 1e-3
