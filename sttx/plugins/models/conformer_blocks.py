"""The Conformer's modules as functional Keras graphs: subsampling, feed-forward, attention, convolution, block."""

from __future__ import annotations

from typing import Any

import keras

from sttx.plugins.models.conformer_layers import RelativeSelfAttention, WordDropout, frame_mask, glu

_EPSILON = 1e-5


def _lambda(function: Any, name: str, policy: str) -> Any:
    return keras.layers.Lambda(function, name=name, dtype=policy)


def _dropout(x: Any, rate: float, name: str, policy: str) -> Any:
    return WordDropout(rate, name=name, dtype=policy)(x) if rate > 0 else x


def subsample(features: Any, dim: int, rate: float, policy: str) -> tuple[Any, Any]:
    """Two 3x3 stride-2 convolutions (ReLU) over time and frequency, then a projection to ``dim``: ([B, T/4, d],
    mask [B, T/4]).

    Each convolution pads one frame on both sides explicitly (SAME padding would shift by the input's parity),
    and its padded outputs are zeroed, so output frame t reads the same input frames however long the batch is.
    """
    channels = dim // 2
    mask = _lambda(frame_mask, "subsampling_mask", "float32")(features)
    x = _lambda(lambda f: f[..., None], "subsampling_expand", policy)(features)
    for index in (1, 2):
        mask = _lambda(lambda m: m[:, ::2], f"subsampling_mask{index}", "float32")(mask)
        x = keras.layers.ZeroPadding2D(1, name=f"subsampling_pad{index}", dtype=policy)(x)
        x = keras.layers.Conv2D(channels, 3, strides=2, activation="relu", name=f"subsampling_conv{index}",
                                dtype=policy)(x)
        x = _lambda(lambda args: args[0] * keras.ops.cast(args[1], args[0].dtype)[..., None, None],
                    f"subsampling_masked{index}", policy)([x, mask])
    x = keras.layers.Reshape((-1, x.shape[2] * channels), name="subsampling_flatten", dtype=policy)(x)
    x = keras.layers.Dense(dim, name="subsampling_project", dtype=policy)(x)
    x = _dropout(x, rate, "subsampling_dropout", policy)
    return _masked(x, mask, "subsampling_masked", policy), mask


def _masked(x: Any, mask: Any, name: str, policy: str) -> Any:
    """Zero the padded frames (so the convolutions never read them)."""
    return _lambda(lambda args: args[0] * keras.ops.cast(args[1], args[0].dtype)[..., None], name, policy)([x, mask])


def _norm(x: Any, name: str, policy: str) -> Any:
    return keras.layers.LayerNormalization(epsilon=_EPSILON, name=name, dtype=policy)(x)


def feed_forward(x: Any, name: str, dim: int, multiplier: int, rate: float, policy: str) -> Any:
    """LayerNorm, Dense(4d) swish, dropout, Dense(d), dropout (added at half weight by the block)."""
    y = _norm(x, f"{name}_norm", policy)
    y = keras.layers.Dense(dim * multiplier, activation="silu", name=f"{name}_dense1", dtype=policy)(y)
    y = _dropout(y, rate, f"{name}_dropout1", policy)
    y = keras.layers.Dense(dim, name=f"{name}_dense2", dtype=policy)(y)
    return _dropout(y, rate, f"{name}_dropout2", policy)


def convolution(x: Any, mask: Any, name: str, dim: int, kernel: int, rate: float, policy: str) -> Any:
    """LayerNorm, pointwise conv to 2d, GLU, depthwise conv, LayerNorm, swish, pointwise conv, dropout."""
    y = _norm(x, f"{name}_norm", policy)
    y = keras.layers.Dense(2 * dim, name=f"{name}_pointwise1", dtype=policy)(y)
    y = _masked(_lambda(glu, f"{name}_glu", policy)(y), mask, f"{name}_masked", policy)
    # float32 even under mixed bfloat16: TensorFlow 2.21's oneDNN bf16 depthwise kernel can spend minutes
    # JIT-compiling a single batch shape (seen on 12000 espeak clips), and this layer is a tiny share of the FLOPs
    y = keras.layers.DepthwiseConv1D(kernel, padding="same", name=f"{name}_depthwise", dtype="float32")(y)
    y = keras.layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_depthwise_norm", dtype=policy)(y)
    y = keras.layers.Activation("silu", name=f"{name}_swish", dtype=policy)(y)
    y = keras.layers.Dense(dim, name=f"{name}_pointwise2", dtype=policy)(y)
    return _dropout(y, rate, f"{name}_dropout", policy)


def conformer_block(x: Any, mask: Any, name: str, g: Any, rate: float, policy: str) -> Any:
    """x + FF/2, + attention, + convolution, + FF/2, LayerNorm; padded frames zeroed at the end."""
    half = _lambda(lambda args: args[0] + 0.5 * args[1], f"{name}_ffn1_residual", policy)
    x = half([x, feed_forward(x, f"{name}_ffn1", g.dim, g.ff_multiplier, rate, policy)])
    y = _norm(x, f"{name}_attention_norm", policy)
    y = RelativeSelfAttention(g.dim, g.heads, dropout=rate, name=f"{name}_attention", dtype=policy)(y, mask)
    x = keras.layers.Add(name=f"{name}_attention_residual", dtype=policy)(
        [x, _dropout(y, rate, f"{name}_attention_dropout", policy)])
    x = keras.layers.Add(name=f"{name}_conv_residual", dtype=policy)(
        [x, convolution(x, mask, f"{name}_conv", g.dim, g.kernel, rate, policy)])
    half = _lambda(lambda args: args[0] + 0.5 * args[1], f"{name}_ffn2_residual", policy)
    x = half([x, feed_forward(x, f"{name}_ffn2", g.dim, g.ff_multiplier, rate, policy)])
    return _masked(_norm(x, f"{name}_norm", policy), mask, f"{name}_masked", policy)
