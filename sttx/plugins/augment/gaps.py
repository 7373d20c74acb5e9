"""gaps: set n intervals of the waveform to silence (DeepSpeech 0.8's Gaps, documented but later folded away)."""

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
class Gaps(Augmentation):
    """Zero ``n`` non-overlapping intervals, each ``size`` ms long (each interval draws its own size).

    Positions are uniform over the sample and come from the sample's generator; intervals never overlap, so
    exactly ``n`` silent stretches appear (fewer only when they cannot fit).
    """

    name: ClassVar[str] = "gaps"
    domain: ClassVar[str] = "sample"

    n: Any = param(1, "int_range", low=0, help="number of gaps")
    size: Any = param(50.0, "float_range", low=0.0, help="length of each gap, ms")

    def sample_params(self, rng: np.random.Generator, clock: float) -> dict[str, Any]:
        """Draw ``n`` and one size per gap."""
        count = int(self.n.pick(clock, rng))
        return {"n": count, "size": [float(self.size.pick(clock, rng)) for _ in range(max(0, count))]}

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Silence the drawn intervals at positions drawn from ``context.rng``."""
        per_ms = context.sample_rate / 1000.0
        sizes = fit_sizes([int(size * per_ms) for size in params["size"]], len(data))
        result = np.array(data, dtype=np.float32)
        for start, size in zip(place_intervals(context.rng, len(data), sizes), sizes, strict=False):
            result[start : start + size] = 0.0
        return result

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``n``, a size per possible gap and the gaps' positions."""
        return interval_params(self.n, self.size, seed, clock)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Silence the drawn intervals, in graph."""
        return zero_intervals(data, dict(params), context.sample_rate / 1000.0, axis=0)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``gaps``."""
    register.add("gaps", Gaps)
