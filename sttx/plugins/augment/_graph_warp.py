"""warp's graph half: the bicubic control-point flows and the bilinear dense warp in TensorFlow (float64 flows)."""

from __future__ import annotations

from typing import Any

_A = -0.75  # Keys' cubic kernel, as TF1's bicubic resize and _dsp.cubic_matrix


def cubic_matrix(size: Any, count: Any) -> Any:
    """``_dsp.cubic_matrix`` in graph: [size, count] float64 weights resizing ``count`` points to ``size``."""
    import tensorflow as tf

    source = tf.cast(tf.range(size), tf.float64) * (tf.cast(count, tf.float64) / tf.cast(size, tf.float64))
    base = tf.floor(source)
    matrix = tf.zeros(tf.stack([size, count]), tf.float64)
    for tap in range(-1, 3):
        distance = tf.abs(source - (base + tap))
        near = (_A + 2) * distance**3 - (_A + 3) * distance**2 + 1
        far = _A * distance**3 - 5 * _A * distance**2 + 8 * _A * distance - 4 * _A
        weight = tf.where(distance <= 1, near, tf.where(distance < 2, far, tf.zeros_like(distance)))
        column = tf.clip_by_value(tf.cast(base, tf.int32) + tap, 0, count - 1)
        matrix += tf.one_hot(column, count, dtype=tf.float64) * weight[:, None]
    return matrix


def dense_warp(image: Any, flow_t: Any, flow_f: Any) -> Any:
    """``warp.dense_warp`` in graph: ``out[t, f] = image[t - flow_t, f - flow_f]``, bilinear, edges clamped."""
    import tensorflow as tf

    frames, bins = tf.shape(image)[0], tf.shape(image)[1]
    query_t = tf.clip_by_value(tf.cast(tf.range(frames), tf.float64)[:, None] - flow_t, 0.0,
                               tf.cast(frames - 1, tf.float64))
    query_f = tf.clip_by_value(tf.cast(tf.range(bins), tf.float64)[None, :] - flow_f, 0.0,
                               tf.cast(bins - 1, tf.float64))
    t0 = tf.minimum(tf.cast(tf.floor(query_t), tf.int32), frames - 2)
    f0 = tf.minimum(tf.cast(tf.floor(query_f), tf.int32), bins - 2)
    at = tf.cast(query_t - tf.cast(t0, tf.float64), image.dtype)
    af = tf.cast(query_f - tf.cast(f0, tf.float64), image.dtype)

    def at_points(t: Any, f: Any) -> Any:
        return tf.gather_nd(image, tf.stack([t, f], axis=-1))

    top = at_points(t0, f0) + af * (at_points(t0, f0 + 1) - at_points(t0, f0))
    bottom = at_points(t0 + 1, f0) + af * (at_points(t0 + 1, f0 + 1) - at_points(t0 + 1, f0))
    return top + at * (bottom - top)


def warp_with_grids(image: Any, grid_t: Any, grid_f: Any) -> Any:
    """Warp [T, F] by flows resized bicubically from float64 control grids (zero border included)."""
    import tensorflow as tf

    frames, bins = tf.shape(image)[0], tf.shape(image)[1]
    rows, cols = cubic_matrix(frames, tf.shape(grid_t)[0]), cubic_matrix(bins, tf.shape(grid_t)[1])
    flow_t = tf.matmul(tf.matmul(rows, grid_t), cols, transpose_b=True)
    flow_f = tf.matmul(tf.matmul(rows, grid_f), cols, transpose_b=True)
    return dense_warp(image, flow_t, flow_f)


def warp(image: Any, params: Any) -> Any:
    """``Warp.apply`` in graph, the control flows drawn from ``params['seed']`` (normal, zero border)."""
    import tensorflow as tf

    from sttx.api import graph_seed

    frames, bins = tf.shape(image)[0], tf.shape(image)[1]
    num_t = tf.maximum(1, tf.cast(params["num_t"], tf.int32))
    num_f = tf.maximum(1, tf.cast(params["num_f"], tf.int32))
    std_t = tf.maximum(tf.cast(params["warp_t"], tf.float64), 0.0) * tf.cast(frames, tf.float64) / tf.cast(
        2 * (num_t + 1), tf.float64)
    std_f = tf.maximum(tf.cast(params["warp_f"], tf.float64), 0.0) * tf.cast(bins, tf.float64) / tf.cast(
        2 * (num_f + 1), tf.float64)

    def grid(std: Any, key: int) -> Any:
        normal = tf.random.stateless_normal(tf.stack([num_t, num_f]), graph_seed(params["seed"], key), dtype=tf.float64)
        return tf.pad(normal * std, [[1, 1], [1, 1]])

    moves = tf.logical_or(std_t > 0, std_f > 0)
    runs = tf.logical_and(tf.logical_and(frames >= 2, bins >= 2), moves)
    return tf.cond(runs, lambda: warp_with_grids(image, grid(std_t, 0), grid(std_f, 1)), lambda: image)
