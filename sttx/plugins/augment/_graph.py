"""TensorFlow twins of the numeric helpers in _dsp (dBFS, normalise, linear resize, intervals) for graph_apply."""

from __future__ import annotations

from typing import Any

from sttx.api import ValueRange, graph_pick, graph_seed
from sttx.plugins.augment._dsp import DBFS_OFFSET

_SILENCE = 1e-10


def max_dbfs(audio: Any) -> Any:
    """float64 peak level in DeepSpeech's dBFS (``20*log10(max|x|) + 3.0103``); -inf for silence."""
    import tensorflow as tf

    top = tf.cast(tf.reduce_max(tf.abs(tf.concat([audio, [0.0]], 0))), tf.float64)
    level = 20.0 * tf.math.log(tf.maximum(top, _SILENCE)) / tf.math.log(tf.constant(10.0, tf.float64)) + DBFS_OFFSET
    return tf.where(top > _SILENCE, level, tf.constant(-float("inf"), tf.float64))


def normalize(audio: Any, dbfs: Any) -> Any:
    """``_dsp.normalize`` in graph: scale to a peak of ``dbfs``, clip to [-1, 1] when it overshoots; silence kept."""
    import tensorflow as tf

    level = max_dbfs(audio)
    finite = tf.math.is_finite(level)
    gain = tf.pow(tf.constant(10.0, tf.float64), (tf.cast(dbfs, tf.float64) - tf.where(finite, level, 0.0)) / 20.0)
    scaled = audio * tf.cast(gain, tf.float32)
    top = tf.cast(tf.reduce_max(tf.abs(tf.concat([audio, [0.0]], 0))), tf.float64)
    scaled = tf.where(gain * top > 1.0, tf.clip_by_value(scaled, -1.0, 1.0), scaled)
    return tf.where(finite, scaled, audio)


def resize_linear(data: Any, size: Any, axis: int) -> Any:
    """``_dsp.resize_linear`` in graph (TF1's resize_bilinear along one axis: source = i * n/size, float32)."""
    import tensorflow as tf

    count = tf.shape(data)[axis]
    ratio = tf.cast(count, tf.float32) / tf.cast(size, tf.float32)
    source = tf.cast(tf.range(size), tf.float32) * ratio
    low = tf.minimum(tf.cast(tf.floor(source), tf.int32), count - 1)
    high = tf.minimum(low + 1, count - 1)
    weight = source - tf.floor(source)
    first, second = tf.gather(data, low, axis=axis), tf.gather(data, high, axis=axis)
    if axis in (0, -2) and len(data.shape) == 2:
        weight = weight[:, None]
    return first + (second - first) * weight


def with_noise_seed(params: dict[str, Any], seed: Any) -> dict[str, Any]:
    """``params`` plus ``seed``: a [2] seed for the noise ``graph_apply`` draws over the whole array."""
    return {**params, "seed": graph_seed(seed, 1000)}


def interval_params(n: ValueRange, size: ValueRange, seed: Any, clock: Any) -> dict[str, Any]:
    """``n`` and, for the most intervals ``n`` can draw, a size and a position (a share of the free room) each."""
    import tensorflow as tf

    most = max(0, round(n.bounds()[1]))
    sizes = [graph_pick(size, clock, graph_seed(seed, 100 + i)) for i in range(most)]
    dtype = tf.int32 if size.kind is int else tf.float32
    return {"n": graph_pick(n, clock, graph_seed(seed, 0)), "size": tf.stack(sizes) if sizes else tf.zeros([0], dtype),
            "where": tf.random.stateless_uniform([most], graph_seed(seed, 1), dtype=tf.float64)}


def _fit(units: Any, count: Any, length: Any) -> tuple[Any, Any]:
    """``_dsp.fit_sizes`` on a padded vector: (sizes, valid) with ``valid`` marking the intervals kept."""
    import tensorflow as tf

    count = tf.minimum(tf.maximum(count, 0), (length + 1) // 2)
    valid = tf.logical_and(tf.range(tf.size(units)) < count, length > 1)
    clamped = tf.clip_by_value(units, 1, tf.maximum(length - 1, 1))
    room = length - (count - 1)
    share = tf.maximum(1, room // tf.maximum(count, 1))
    total = tf.reduce_sum(tf.where(valid, clamped, 0))
    return tf.where(total > room, tf.minimum(clamped, share), clamped), valid


def _place(where: Any, sizes: Any, valid: Any, length: Any) -> tuple[Any, Any]:
    """``_dsp.place_intervals`` given the draws ``where`` in [0, 1): (starts, valid)."""
    import tensorflow as tf

    count = tf.reduce_sum(tf.cast(valid, tf.int32))
    used = tf.where(valid, sizes, 0)
    free = length - tf.reduce_sum(used) - (count - 1)
    # draws of the unused slots sort after the used ones, so the used cuts stay in sorted order
    shares = tf.sort(tf.where(valid, where, 2.0))
    cuts = tf.minimum(tf.cast(tf.floor(shares * tf.cast(tf.maximum(free, 0) + 1, tf.float64)), tf.int32), free)
    offsets = tf.cumsum(used + 1, exclusive=True)
    return cuts + offsets, tf.logical_and(valid, free >= 0)


def zero_intervals(data: Any, params: dict[str, Any], units_per_value: float, axis: int) -> Any:
    """Zero the drawn intervals of ``data`` along ``axis`` (0 or -1); sizes are ``int(size * units_per_value)``."""
    import tensorflow as tf

    length = tf.shape(data)[axis]
    units = tf.cast(tf.cast(params["size"], tf.float64) * units_per_value, tf.int32)  # truncates, as int()
    sizes, valid = _fit(units, tf.cast(params["n"], tf.int32), length)
    starts, valid = _place(params["where"], sizes, valid, length)
    # +1 where an interval starts, -1 where it ends: the running sum is 1 inside (one pass over the axis)
    edges = tf.concat([tf.boolean_mask(starts, valid), tf.boolean_mask(starts + sizes, valid)], 0)
    steps = tf.concat([tf.ones_like(edges[: tf.size(edges) // 2]), -tf.ones_like(edges[tf.size(edges) // 2 :])], 0)
    covered = tf.cumsum(tf.math.unsorted_segment_sum(steps, edges, length + 1))[:length] > 0
    if axis == 0 and len(data.shape) == 2:
        covered = covered[:, None]
    return tf.where(covered, tf.zeros_like(data), data)
