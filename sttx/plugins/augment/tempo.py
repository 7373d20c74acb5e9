"""tempo: scale the time axis of the power spectrogram, never below the frames the model needs for the transcript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import FRAMES_PER_MS, resize_linear
from sttx.plugins.augment._graph import resize_linear as graph_resize

_MIN_FACTOR = 1e-3


def tempo_frames(frames: int, factor: float, max_time: float, label_length: int, min_frames: int = 0) -> int:
    """Frames after the change: ``int(frames/factor)``, capped at ``max_time`` ms when it is > 0, then never
    fewer than ``label_length`` nor ``min_frames`` (CTC feasibility wins over the cap), nor than one frame.

    ``min_frames`` is what the model needs (a Conformer that subsamples 4x needs 4 frames a label); a clip
    already shorter than that is left as long as it was, and the length check rejects it as before.
    """
    size = int(frames / max(factor, _MIN_FACTOR))
    if max_time > 0:
        size = min(size, int(max_time * FRAMES_PER_MS))
    return max(1, label_length, min(min_frames, max(frames, size)), size)


@attrs.frozen(kw_only=True)
class Tempo(Augmentation):
    """Speed up (``factor`` > 1) or slow down (< 1) by resizing the time axis linearly."""

    name: ClassVar[str] = "tempo"
    domain: ClassVar[str] = "spectrogram"

    factor: Any = param(1.1, "float_range", low=0.0, help="speed factor (2.0 halves the frames)")
    max_time: float = param(-1.0, "float", help="cap on the result, ms; <= 0 for no cap")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Resize the time axis (second to last) to the drawn length."""
        frames = data.shape[-2]
        size = tempo_frames(frames, float(params["factor"]), float(params["max_time"]), context.label_length,
                            context.min_frames)
        return resize_linear(np.asarray(data), size, axis=-2)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Resize the time axis (the first of [T, F]) to the drawn length, in graph (``tempo_frames`` rules)."""
        import tensorflow as tf

        factor = tf.maximum(tf.cast(params["factor"], tf.float64), _MIN_FACTOR)
        size = tf.cast(tf.cast(tf.shape(data)[0], tf.float64) / factor, tf.int32)
        if float(params["max_time"]) > 0:
            size = tf.minimum(size, int(float(params["max_time"]) * FRAMES_PER_MS))
        frames = tf.shape(data)[0]
        floor = tf.minimum(tf.cast(context.min_frames, tf.int32), tf.maximum(frames, size))
        size = tf.maximum(tf.maximum(tf.maximum(size, 1), tf.cast(context.label_length, tf.int32)), floor)
        # a clip shorter than one window has no frames to resize (the CTC check drops it later)
        return tf.cond(tf.shape(data)[0] > 0, lambda: graph_resize(data, size, axis=0), lambda: data)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``tempo``."""
    register.add("tempo", Tempo)
