"""resample: down-sample to a drawn rate and back, keeping the length (band-limits to the lower rate)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param


def round_trip(audio: np.ndarray, rate: int, via: int) -> np.ndarray:
    """``audio`` at ``rate`` resampled to ``via`` and back with soxr, cut or zero-padded to its length."""
    import soxr

    if via == rate or len(audio) == 0:
        return np.array(audio, dtype=np.float32)
    down = soxr.resample(audio, rate, via, quality="HQ")
    up = np.asarray(soxr.resample(down, via, rate, quality="HQ"), dtype=np.float32)
    if len(up) >= len(audio):
        return np.ascontiguousarray(up[: len(audio)])
    return np.concatenate([up, np.zeros(len(audio) - len(up), dtype=np.float32)])


#: soxr's HQ round trip passes up to 93 % of the lower Nyquist frequency and stops from 97 %: the graph version
#: tapers its FFT filter (raised cosine) over that band, so the two agree to about -45 dB
_PASS, _STOP = 0.93, 0.97
_PADDING = 1024  # zeros after the clip, so the filter's ringing does not wrap around onto its start


def graph_round_trip(audio: Any, rate: int, via: Any) -> Any:
    """``round_trip`` in graph: the clip's spectrum low-passed at ``min(via, rate)/2`` (length kept)."""
    import tensorflow as tf

    length = tf.size(audio)
    two = tf.constant(2.0, tf.float64)  # the FFT size: the next power of two
    size = tf.cast(tf.pow(two, tf.math.ceil(tf.math.log(tf.cast(length + _PADDING, tf.float64)) / tf.math.log(two))),
                   tf.int32)
    nyquist = tf.cast(tf.minimum(via, rate), tf.float64) / 2.0
    share = tf.cast(tf.range(size // 2 + 1), tf.float64) * (rate / tf.cast(size, tf.float64)) / nyquist
    gain = 0.5 - 0.5 * tf.cos(tf.constant(math.pi, tf.float64) * tf.clip_by_value((_STOP - share) / (_STOP - _PASS),
                                                                                   0.0, 1.0))
    spectrum = tf.signal.rfft(audio, fft_length=[size]) * tf.cast(gain, tf.complex64)
    filtered = tf.signal.irfft(spectrum, fft_length=[size])[:length]
    return tf.cond(tf.logical_or(tf.equal(via, rate), length == 0), lambda: audio, lambda: filtered)


@attrs.frozen(kw_only=True)
class Resample(Augmentation):
    """Resample to ``rate`` Hz and back to the sample's rate: removes everything above ``rate/2``."""

    name: ClassVar[str] = "resample"
    domain: ClassVar[str] = "sample"

    rate: Any = param(8000, "int_range", low=1, help="intermediate sample rate, Hz")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Down and up again through ``params['rate']``."""
        audio = np.asarray(data, dtype=np.float32)
        return round_trip(audio, context.sample_rate, max(1, int(params["rate"])))

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Band-limit to ``params['rate']/2`` in graph (an FFT filter shaped as soxr's round trip)."""
        import tensorflow as tf

        return graph_round_trip(data, context.sample_rate, tf.maximum(1, tf.cast(params["rate"], tf.int32)))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``resample``."""
    register.add("resample", Resample)
