"""dropout: zero a random share of values, on the waveform, the spectrogram or the features."""

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
class Dropout(Augmentation):
    """Zero each value independently with probability ``rate`` (no rescaling of the others).

    ``rate`` is the share of values zeroed, as documented upstream. DeepSpeech 0.9's formula inverted it
    (rate=0.05 zeroed about 95 %); sttx does what the name says.
    """

    name: ClassVar[str] = "dropout"

    domain: str = param("spectrogram", "choice", choices=GRAPH_DOMAINS, help="where it runs")  # type: ignore[misc]
    rate: Any = param(0.05, "float_range", low=0.0, high=1.0, help="share of values set to zero")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Zero a ``params['rate']`` share of the values."""
        values = np.asarray(data)
        keep = context.rng.random(values.shape) >= float(params["rate"])
        return np.where(keep, values, np.zeros((), dtype=values.dtype))

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``rate`` and the seed of the keep mask."""
        return with_noise_seed(super().graph_params(seed, clock), seed)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Zero a ``params['rate']`` share of the values, in graph."""
        import tensorflow as tf

        keep = tf.random.stateless_uniform(tf.shape(data), params["seed"]) >= params["rate"]
        return tf.where(keep, data, tf.zeros_like(data))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``dropout``."""
    register.add("dropout", Dropout)
