"""Value ranges follow the clock: `start:end` gives the two ends at clock 0 and 1, for every range parameter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from sttx.plugins.augment._dsp import max_dbfs
from tests.plugins.augment.conftest import context, speechlike
from tests.plugins.augment.test_conformance import BUILTINS, required


@pytest.mark.parametrize("name", BUILTINS)
def test_every_range_parameter_reaches_both_ends(registry: AugmentationRegistry, noise_file: Path, name: str) -> None:
    cls = registry.get(name)
    for key, decl in cls.declarations().items():
        if not decl.kind.endswith("_range"):
            continue
        low = 1 if decl.low is None else decl.low + (0 if decl.high is not None else 1)
        start, end = (low, low + 2) if decl.kind == "int_range" else (low + 0.25, low + 0.75)
        augmentation = cls(**required(name, noise_file), **{key: f"{start}:{end}"})
        for clock, expected in ((0.0, start), (1.0, end)):
            drawn = augmentation.sample_params(np.random.default_rng(0), clock)[key]
            values = drawn if isinstance(drawn, list) else [drawn]
            assert all(value == expected for value in values), (key, clock, drawn)


def test_volume_range_measured_at_both_ends(registry: AugmentationRegistry) -> None:
    volume = registry.parse("volume[dbfs=-30:-10]")
    assert abs(max_dbfs(volume(speechlike(), context(clock=0.0))[0]) + 30) < 0.5
    assert abs(max_dbfs(volume(speechlike(), context(clock=1.0))[0]) + 10) < 0.5
