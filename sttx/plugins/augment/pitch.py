"""pitch: scale the frequency axis of the power spectrogram (DeepSpeech/Coqui's Pitch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import resize_linear
from sttx.plugins.augment._graph import resize_linear as graph_resize


@attrs.frozen(kw_only=True)
class Pitch(Augmentation):
    """Stretch the frequency axis by ``pitch`` (linear resize), then crop back to the bin count or zero-pad it."""

    name: ClassVar[str] = "pitch"
    domain: ClassVar[str] = "spectrogram"

    pitch: Any = param((1.075, 1.075, 0.125), "float_range", low=0.0, help="frequency scale factor")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Resize the last axis by the drawn factor, keeping its size."""
        bins = data.shape[-1]
        size = max(1, int(bins * float(params["pitch"])))
        scaled = resize_linear(np.asarray(data), size, axis=-1)
        if size >= bins:
            return np.ascontiguousarray(scaled[..., :bins])
        padding = [(0, 0)] * (data.ndim - 1) + [(0, bins - size)]
        return np.pad(scaled, padding)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Resize the last axis by the drawn factor, keeping its size, in graph."""
        import tensorflow as tf

        bins = tf.shape(data)[-1]
        scale = tf.cast(bins, tf.float64) * tf.cast(params["pitch"], tf.float64)
        size = tf.maximum(1, tf.cast(scale, tf.int32))
        scaled = graph_resize(data, size, axis=-1)[:, :bins]
        return tf.pad(scaled, [[0, 0], [0, tf.maximum(0, bins - size)]])


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``pitch``."""
    register.add("pitch", Pitch)
