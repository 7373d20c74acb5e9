"""multiply: multiplicative Gaussian noise on the waveform, the spectrogram or the features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment.time_mask import GRAPH_DOMAINS


@attrs.frozen(kw_only=True)
class Multiply(Augmentation):
    """Multiply every value by independent normal noise of mean 1 and ``stddev``."""

    name: ClassVar[str] = "multiply"

    domain: str = param("features", "choice", choices=GRAPH_DOMAINS, help="where it runs")  # type: ignore[misc]
    stddev: Any = param(5.0, "float_range", low=0.0, help="standard deviation of the factor around 1")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """``data * N(1, stddev)``."""
        values = np.asarray(data)
        factor = context.rng.normal(1.0, max(0.0, float(params["stddev"])), size=values.shape)
        return (values * factor).astype(values.dtype, copy=False)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``multiply``."""
    register.add("multiply", Multiply)
