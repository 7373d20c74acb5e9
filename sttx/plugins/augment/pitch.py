"""pitch: scale the frequency axis of the power spectrogram (DeepSpeech/Coqui's Pitch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import resize_linear


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


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``pitch``."""
    register.add("pitch", Pitch)
