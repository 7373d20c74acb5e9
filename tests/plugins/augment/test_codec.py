"""codec round-trips through Opus: faithful at 32 kbit/s, degraded at 3.2 kbit/s, length kept."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from sttx.plugins.augment.codec import opus_round_trip
from tests.plugins.augment.conftest import context, speechlike


@pytest.mark.parametrize("rate", [16000, 8000, 22050])
def test_codec_at_32k_correlates_with_its_input(registry: AugmentationRegistry, rate: int) -> None:
    audio = speechlike(1.5, rate=rate)
    out, params = registry.parse("codec[bitrate=32000]")(audio, context(rate=rate))
    assert params["bitrate"] == 32000
    assert len(out) == len(audio) and out.dtype == np.float32
    assert np.corrcoef(audio, out)[0, 1] > 0.9


def test_low_bitrate_changes_more(registry: AugmentationRegistry) -> None:
    audio = speechlike(1.5)
    high, _ = registry.parse("codec[bitrate=32000]")(audio, context())
    low, _ = registry.parse("codec[bitrate=3200]")(audio, context())
    assert np.mean((low - audio) ** 2) > 2 * np.mean((high - audio) ** 2)


@pytest.mark.parametrize("bitrate", [12000, 32000])  # libopus picks SILK / CELT for these
def test_output_lines_up_with_input_and_repeats(bitrate: int) -> None:
    audio = speechlike(1.0)
    out = opus_round_trip(audio, 16000, bitrate, 0)
    lags = np.arange(-40, 41)
    scores = [np.dot(audio[40:-40], np.roll(out, lag)[40:-40]) for lag in lags]
    assert abs(lags[int(np.argmax(scores))]) <= 1  # SILK is not phase-exact; CELT's lag is 0
    assert np.array_equal(out, opus_round_trip(audio, 16000, bitrate, 0))
