"""multiply: multiplicative Gaussian noise on the waveform, the spectrogram or the features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._graph import with_noise_seed
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

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``stddev`` and the seed of the factors."""
        return with_noise_seed(super().graph_params(seed, clock), seed)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """``data * N(1, stddev)``, in graph."""
        import tensorflow as tf

        noise = tf.random.stateless_normal(tf.shape(data), params["seed"])
        return data * (1.0 + noise * tf.maximum(tf.cast(params["stddev"], tf.float32), 0.0))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``multiply``."""
    register.add("multiply", Multiply)
