"""reverb: DeepSpeech's five feedback comb filters, each computed in a few vectorised steps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import gain_db_to_ratio, max_dbfs, normalize
from sttx.plugins.augment._graph import max_dbfs as graph_max_dbfs
from sttx.plugins.augment._graph import normalize as graph_normalize

#: Delays of the comb layers scale with these primes (relative to the first), to keep their combs apart.
PRIMES = (17, 19, 23, 29, 31)
MIN_DELAY = 16  # samples, as DeepSpeech
_NEGLIGIBLE = 1e-6  # -120 dB: far below 16-bit resolution


def comb_delays(delay_ms: float, sample_rate: int) -> list[int]:
    """Each layer's delay in samples: ``floor(delay * prime/17 * rate/1000)``, at least 16."""
    return [max(MIN_DELAY, math.floor(delay_ms * prime / PRIMES[0] * sample_rate / 1000.0)) for prime in PRIMES]


def comb(audio: np.ndarray, delay: int, gain: float) -> np.ndarray:
    """``y[n] = x[n] + gain*y[n-delay]`` over the length of ``audio`` (DeepSpeech's window-by-window loop).

    Computed as a parallel prefix scan: after adding ``gain^s``-scaled copies shifted by ``s*delay`` for
    s = 1, 2, 4, ..., ``y`` holds every echo up to ``2s-1`` repeats, so a few whole-array steps replace
    thousands of window steps. Echoes below ``1e-6`` of the signal (-120 dB, under 16-bit resolution) stop it.
    """
    layer = audio.copy()
    scratch = np.empty_like(layer)
    shift, factor = 1, gain
    while shift * delay < len(layer) and factor > _NEGLIGIBLE:
        offset = shift * delay
        echo = np.multiply(layer[:-offset], np.float32(factor), out=scratch[: len(layer) - offset])
        np.add(layer[offset:], echo, out=layer[offset:])  # echo is a separate buffer: no hidden copy
        shift, factor = shift * 2, factor * factor
    return layer


def graph_comb(audio: Any, delay: Any, gain: Any) -> Any:
    """``comb`` in graph: the same doubling steps in a while loop (``delay`` an int32, ``gain`` a float64)."""
    import tensorflow as tf

    length = tf.size(audio)

    def more(_layer: Any, shift: Any, factor: Any) -> Any:
        return tf.logical_and(shift * delay < length, factor > _NEGLIGIBLE)

    def step(layer: Any, shift: Any, factor: Any) -> tuple[Any, Any, Any]:
        offset = shift * delay
        echo = layer[: length - offset] * tf.cast(factor, tf.float32)
        return layer + tf.concat([tf.zeros([offset], tf.float32), echo], 0), shift * 2, factor * factor

    return tf.while_loop(more, step, [audio, tf.constant(1), gain])[0]


@attrs.frozen(kw_only=True)
class Reverb(Augmentation):
    """Add five comb-filter echoes ``delay*prime/17`` ms apart, each repeat ``decay`` dB quieter.

    The sum (dry signal plus five layers) is normalised back to the input's peak level; the length is kept.
    """

    name: ClassVar[str] = "reverb"
    domain: ClassVar[str] = "sample"

    delay: Any = param(20.0, "float_range", low=0.0, help="delay of the first comb layer, ms")
    decay: Any = param(10.0, "float_range", low=0.0, help="attenuation of each repeat, dB")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Reverberate ``data`` with the drawn delay and decay."""
        audio = np.asarray(data, dtype=np.float32)
        gain = gain_db_to_ratio(-float(params["decay"]))
        wet = audio.copy()
        for delay in comb_delays(float(params["delay"]), context.sample_rate):
            wet += comb(audio, delay, gain)
        return normalize(wet, max_dbfs(audio))

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Reverberate ``data`` with the drawn delay and decay, in graph."""
        import tensorflow as tf

        gain = tf.pow(tf.constant(10.0, tf.float64), -tf.cast(params["decay"], tf.float64) / 20.0)
        delay_ms = tf.cast(params["delay"], tf.float64)
        wet = data
        for prime in PRIMES:
            samples = tf.floor(delay_ms * prime / PRIMES[0] * context.sample_rate / 1000.0)
            wet = wet + graph_comb(data, tf.maximum(MIN_DELAY, tf.cast(samples, tf.int32)), gain)
        return graph_normalize(wet, graph_max_dbfs(data))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``reverb``."""
    register.add("reverb", Reverb)
