"""time_mask: zero n stretches of time, on the waveform, the spectrogram or the features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import fit_sizes, place_intervals, units_per_ms
from sttx.plugins.augment._graph import interval_params, zero_intervals

GRAPH_DOMAINS = ("signal", "spectrogram", "features")


def time_axis(domain: str) -> int:
    """The time axis: the only one of a waveform, the frame axis (second to last) otherwise."""
    return 0 if domain == "signal" else -2


@attrs.frozen(kw_only=True)
class TimeMask(Augmentation):
    """Zero ``n`` stretches of ``size`` ms each (each stretch draws its size; at least one unit long).

    A ms is ``rate/1000`` samples on the signal and 1/20 of a frame on spectrograms and features (20 ms steps;
    1/10 with a 10 ms log-mel front end), so the default 10 ms is at least one frame. Stretches never overlap.
    """

    name: ClassVar[str] = "time_mask"

    domain: str = param("spectrogram", "choice", choices=GRAPH_DOMAINS, help="where it runs")  # type: ignore[misc]
    n: Any = param(3, "int_range", low=0, help="number of stretches")
    size: Any = param(10.0, "float_range", low=0.0, help="length of each stretch, ms")

    def sample_params(self, rng: np.random.Generator, clock: float) -> dict[str, Any]:
        """Draw ``n`` and one length per stretch."""
        count = max(0, int(self.n.pick(clock, rng)))
        return {"domain": self.domain, "n": count, "size": [float(self.size.pick(clock, rng)) for _ in range(count)]}

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Zero the drawn stretches along the time axis."""
        result = np.array(data)
        axis = time_axis(self.domain) % max(1, result.ndim)
        per_ms = units_per_ms(self.domain, context.sample_rate, getattr(context, "frame_ms", 20.0))
        sizes = fit_sizes([int(size * per_ms) for size in params["size"]], result.shape[axis])
        index: list[Any] = [slice(None)] * result.ndim
        for start, size in zip(place_intervals(context.rng, result.shape[axis], sizes), sizes, strict=False):
            index[axis] = slice(start, start + size)
            result[tuple(index)] = 0
        return result

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``n``, a length per possible stretch and the stretches' positions."""
        return interval_params(self.n, self.size, seed, clock)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Zero the drawn stretches along the time axis (the first of [N] and of [T, F]), in graph."""
        per_ms = units_per_ms(self.domain, context.sample_rate, context.frame_ms)
        return zero_intervals(data, dict(params), per_ms, axis=0)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``time_mask``."""
    register.add("time_mask", TimeMask)
