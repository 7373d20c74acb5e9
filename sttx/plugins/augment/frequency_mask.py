"""frequency_mask: zero n bands of spectrogram bins (SpecAugment's frequency masking)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import fit_sizes, place_intervals
from sttx.plugins.augment._graph import interval_params, zero_intervals


@attrs.frozen(kw_only=True)
class FrequencyMask(Augmentation):
    """Zero ``n`` bands of ``size`` bins each (each band draws its size; sizes clamp to [1, bins-1]).

    Bands never overlap, so exactly ``n`` bands are masked; their positions come from the sample's generator.
    """

    name: ClassVar[str] = "frequency_mask"
    domain: ClassVar[str] = "spectrogram"

    n: Any = param(3, "int_range", low=0, help="number of bands")
    size: Any = param(2, "int_range", low=0, help="width of each band, bins")

    def sample_params(self, rng: np.random.Generator, clock: float) -> dict[str, Any]:
        """Draw ``n`` and one width per band."""
        count = max(0, int(self.n.pick(clock, rng)))
        return {"n": count, "size": [int(self.size.pick(clock, rng)) for _ in range(count)]}

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Zero the drawn bands of the last axis."""
        result = np.array(data)
        sizes = fit_sizes(list(params["size"]), result.shape[-1])
        for start, size in zip(place_intervals(context.rng, result.shape[-1], sizes), sizes, strict=False):
            result[..., start : start + size] = 0
        return result

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``n``, a width per possible band and the bands' positions."""
        return interval_params(self.n, self.size, seed, clock)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Zero the drawn bands of the last axis, in graph."""
        return zero_intervals(data, dict(params), 1.0, axis=-1)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``frequency_mask``."""
    register.add("frequency_mask", FrequencyMask)
