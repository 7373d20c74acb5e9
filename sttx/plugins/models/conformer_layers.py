"""Keras layers of the Conformer: relative-position self-attention, a cheaper dropout, the padding mask, the GLU."""

from __future__ import annotations

import math
from typing import Any

import keras


def relative_positions(steps: Any, dim: int, dtype: Any) -> Any:
    """Sinusoidal embeddings [2T-1, dim] of the relative positions T-1, T-2, ..., -(T-1) (Transformer-XL)."""
    positions = keras.ops.cast(keras.ops.arange(steps - 1, -steps, -1), "float32")
    inverse = keras.ops.exp(keras.ops.arange(0, dim, 2, dtype="float32") * (-math.log(10000.0) / dim))
    angles = positions[:, None] * inverse[None, :]
    return keras.ops.cast(keras.ops.concatenate([keras.ops.sin(angles), keras.ops.cos(angles)], axis=-1), dtype)


def relative_shift(scores: Any) -> Any:
    """[B, H, T, 2T-1] scores by relative position (T-1 first) -> [B, H, T, T] with out[i, j] at position i-j.

    Cut with ``slice``, not indexing: the gradient of a strided slice costs about 10% of a training step here,
    the gradient of ``slice`` (a pad) a fraction of that.
    """
    shape = keras.ops.shape(scores)
    batch, heads, steps = shape[0], shape[1], shape[2]
    padded = keras.ops.pad(scores, [[0, 0], [0, 0], [0, 0], [1, 0]])
    padded = keras.ops.reshape(padded, (batch, heads, 2 * steps, steps))
    padded = keras.ops.slice(padded, (0, 0, 1, 0), (batch, heads, 2 * steps - 1, steps))
    padded = keras.ops.reshape(padded, (batch, heads, steps, 2 * steps - 1))
    return keras.ops.slice(padded, (0, 0, 0, 0), (batch, heads, steps, steps))


#: the keep/drop draw is a 16-bit word: the rate is rounded to a multiple of 1/65536
_WORD_VALUES = 65536


@keras.saving.register_keras_serializable("sttx")
class WordDropout(keras.layers.Layer):
    """Inverted dropout whose draws are 16-bit words, two from each 32-bit random number.

    Keras's dropout draws a float per element; on these CPUs that draw was a fifth of a Conformer training step.
    Halving the random numbers halves it. The draws come from a ``SeedGenerator`` as in Keras's Dropout, so the
    training step's per-step re-seeding (exact resume) applies unchanged.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate {rate} must be in [0, 1)")
        self.rate = float(rate)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x: Any, training: bool = False) -> Any:
        if not training or self.rate == 0.0:
            return x
        import tensorflow as tf

        size = tf.size(x)
        bits = tf.random.stateless_uniform([(size + 1) // 2], seed=self.seed_generator.next(), minval=None,
                                           maxval=None, dtype=tf.uint32, alg="philox")
        words = tf.reshape(tf.bitcast(bits, tf.uint16), [-1])[:size]
        threshold = min(round(self.rate * _WORD_VALUES), _WORD_VALUES - 1)  # a rate a hair under 1 rounds to 2**16
        keep = tf.reshape(words >= tf.constant(threshold, tf.uint16), tf.shape(x))
        return tf.where(keep, x * tf.cast(1.0 / (1.0 - self.rate), x.dtype), tf.zeros_like(x))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable("sttx")
class RelativeSelfAttention(keras.layers.Layer):
    """Multi-head self-attention with relative positional encoding and the u/v biases of Transformer-XL.

    ``call(x, mask)``: x [B, T, d], mask [B, T] (1 for real frames); padded frames are never attended to.
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if dim % heads:
            raise ValueError(f"the model width {dim} must be a multiple of the {heads} heads")
        self.dim, self.heads, self.rate = dim, heads, dropout
        self.depth = dim // heads
        policy = self.dtype_policy
        self.query, self.key, self.value, self.out = (
            keras.layers.Dense(dim, name=name, dtype=policy) for name in ("query", "key", "value", "out"))
        self.position = keras.layers.Dense(dim, use_bias=False, name="position", dtype=policy)
        self.dropout = WordDropout(dropout, dtype=policy) if dropout > 0 else None

    def build(self, input_shape: Any) -> None:
        for layer in (self.query, self.key, self.value, self.out, self.position):
            layer.build((None, None, self.dim))
        self.bias_u = self.add_weight(shape=(self.heads, self.depth), initializer="zeros", name="bias_u")
        self.bias_v = self.add_weight(shape=(self.heads, self.depth), initializer="zeros", name="bias_v")

    def _split(self, x: Any) -> Any:
        """[B, T, d] -> [B, T, H, depth]."""
        shape = keras.ops.shape(x)
        return keras.ops.reshape(x, (shape[0], shape[1], self.heads, self.depth))

    def call(self, x: Any, mask: Any, training: bool = False) -> Any:
        ops = keras.ops
        steps = ops.shape(x)[1]
        q, k, v = self._split(self.query(x)), self._split(self.key(x)), self._split(self.value(x))
        p = ops.reshape(self.position(relative_positions(steps, self.dim, x.dtype)[None]),
                        (-1, self.heads, self.depth))
        u, w = ops.cast(self.bias_u, x.dtype), ops.cast(self.bias_v, x.dtype)
        content = ops.einsum("bihd,bjhd->bhij", q + u, k)
        position = relative_shift(ops.einsum("bihd,jhd->bhij", q + w, p))
        scores = ops.cast((content + position) / math.sqrt(self.depth), "float32")
        keep = ops.cast(mask, "bool")[:, None, None, :]
        scores = ops.where(keep, scores, ops.full_like(scores, -1e9))
        weights = ops.cast(ops.softmax(scores, axis=-1), x.dtype)
        if self.dropout is not None:
            weights = self.dropout(weights, training=training)
        context = ops.einsum("bhij,bjhd->bihd", weights, v)
        shape = ops.shape(context)
        return self.out(ops.reshape(context, (shape[0], shape[1], self.dim)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim, "heads": self.heads, "dropout": self.rate}


def frame_mask(features: Any) -> Any:
    """[B, T, F] -> [B, T] float: 1 for real frames, 0 for the batch's zero padding (all channels exactly 0)."""
    return keras.ops.cast(keras.ops.any(keras.ops.not_equal(features, 0.0), axis=-1), "float32")


def glu(x: Any) -> Any:
    """Gated linear unit over the last axis: first half times the sigmoid of the second."""
    a, b = keras.ops.split(x, 2, axis=-1)
    return a * keras.ops.sigmoid(b)
