"""Per-coefficient MFCC mean and deviation of a training set, measured once at the start of a run (--feature_norm)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from sttx.core.contract.errors import SttxError
from sttx.core.data.features import N_INPUT

log = logging.getLogger(__name__)

#: clips decoded to measure the statistics: enough for stable figures (tens of thousands of frames), cheap to read
DEFAULT_CLIPS = 256
#: the deviation floor: a constant coefficient must not blow up its scale
MIN_DEVIATION = 1e-3


def spread_indices(count: int, limit: int) -> list[int]:
    """``limit`` indices spread evenly over ``range(count)`` (all of them when ``count <= limit``)."""
    if count <= limit:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, limit)})


def measure(refs: Sequence[Any], sample_rate: int = 16000, limit: int = DEFAULT_CLIPS) -> tuple[np.ndarray, np.ndarray]:
    """(mean [26], 1/deviation [26]) of the MFCC frames of up to ``limit`` samples spread over ``refs``.

    ``refs`` are SampleRefs; a clip that fails to decode is skipped (the pipeline rejects and counts it later).
    """
    import tensorflow as tf

    from sttx.core.data.features import mfcc

    total = np.zeros(N_INPUT, np.float64)
    squares = np.zeros(N_INPUT, np.float64)
    frames = 0
    for index in spread_indices(len(refs), limit):
        try:
            audio = refs[index].load(sample_rate).audio
        except SttxError as error:
            log.debug("feature statistics: skipped %s (%s)", refs[index].where, error)
            continue
        features = mfcc(tf.constant(audio, tf.float32), sample_rate).numpy().astype(np.float64)
        total += features.sum(axis=0)
        squares += np.square(features).sum(axis=0)
        frames += len(features)
    if frames == 0:
        raise SttxError("--feature_norm: no training clip could be decoded to measure the feature statistics")
    mean = total / frames
    deviation = np.sqrt(np.maximum(squares / frames - np.square(mean), 0.0))
    return mean.astype(np.float32), (1.0 / np.maximum(deviation, MIN_DEVIATION)).astype(np.float32)
