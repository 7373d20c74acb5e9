"""A Keras LSTM layer built for CPU training speed, with Keras' weights, names and gate order (i, f, c, o).

Keras' own LSTM multiplies the input by its kernel one frame at a time (a [batch, n_in] x [n_in, 4n] product per
frame, far below GEMM speed on a CPU), lets autodiff accumulate the weight gradients frame by frame, and in mixed
precision casts the kernels inside the loop, keeping a copy per frame for the backward pass. Here:

- the input projection of all frames is one GEMM before the loop; only ``h @ recurrent_kernel`` stays per frame;
- the backward pass is written out (``tf.custom_gradient``): one reverse loop computes the gate gradients, then
  the kernel, recurrent-kernel and input gradients are each one large GEMM over all frames; operands are
  transposed explicitly, as oneDNN multiplies a transposed operand several times slower (5 vs 40 GFLOP/s for the
  per-frame product in float32 here);
- in mixed precision the kernels are cast once, the matrix products run in the compute dtype (bfloat16) and the
  cell state and gate arithmetic stay in float32.

Padded frames are computed like real ones; the layer is unidirectional, so they never reach a real frame's output.
"""

from __future__ import annotations

from typing import Any

import keras


class _Cell(keras.layers.Layer):
    """Holds the variables under Keras LSTM's paths (``lstm/lstm_cell/kernel``...), so checkpoints match."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.unit_forget_bias = False  # as Keras' LSTMCell reports it: DeepSpeech's forget bias is 0

    def build(self, input_shape: Any) -> None:
        n = self.units
        self.kernel = self.add_weight(shape=(int(input_shape[-1]), 4 * n), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(n, 4 * n), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * n,), initializer="zeros", name="bias")


@keras.saving.register_keras_serializable("sttx")
class FastLSTM(keras.layers.Layer):
    """``keras.layers.LSTM(units, return_sequences=True, unit_forget_bias=False)`` with a fast CPU training path.

    Keras' LSTM arguments ``return_sequences=True`` and ``unit_forget_bias=False`` are accepted, so the class can
    stand in for it; other values are refused.

    :param dropout: input dropout rate (one mask per sequence, as Keras)
    :param recurrent_dropout: dropout rate on the state fed back (one mask per sequence, as Keras)
    """

    def __init__(self, units: int, *, dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = True, unit_forget_bias: bool = False, **kwargs: Any) -> None:
        if not return_sequences or unit_forget_bias:
            raise ValueError("FastLSTM always returns sequences and has no unit forget bias (DeepSpeech's LSTM)")
        super().__init__(**kwargs)
        self.units, self.dropout, self.recurrent_dropout = units, dropout, recurrent_dropout
        self.seed_generator = keras.random.SeedGenerator(seed) if dropout or recurrent_dropout else None
        self.cell = _Cell(units, name="lstm_cell", dtype=self.dtype_policy)

    def build(self, input_shape: Any) -> None:
        self.cell.build(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout}

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (*tuple(input_shape[:-1]), self.units)

    def _mask(self, batch: Any, width: int, rate: float, training: bool) -> Any:
        import tensorflow as tf

        if not training or rate <= 0:
            return None
        keep = keras.random.uniform((batch, width), seed=self.seed_generator) >= rate
        return tf.cast(keep, self.compute_dtype) / (1.0 - rate)

    def call(self, inputs: Any, training: bool = False) -> Any:
        import tensorflow as tf

        dtype = self.compute_dtype
        x = tf.cast(inputs, dtype)
        batch = tf.shape(x)[0]
        input_mask = self._mask(batch, int(x.shape[-1]), self.dropout, bool(training))
        if input_mask is not None:
            x = x * input_mask[:, None, :]
        state_mask = self._mask(batch, self.units, self.recurrent_dropout, bool(training))
        if state_mask is None:
            state_mask = tf.ones((batch, self.units), dtype)
        kernel, recurrent = (tf.cast(v, dtype) for v in (self.cell.kernel, self.cell.recurrent_kernel))
        return lstm_sequence(x, kernel, recurrent, tf.cast(self.cell.bias, dtype), state_mask)


def lstm_sequence(x: Any, kernel: Any, recurrent: Any, bias: Any, state_mask: Any) -> Any:
    """Outputs [B, T, n] of an LSTM from a zero state; differentiable in all but ``state_mask``."""
    import tensorflow as tf

    @tf.custom_gradient
    def run(x: Any, kernel: Any, recurrent: Any, bias: Any) -> Any:
        batch, steps, n_in = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        projected = tf.matmul(tf.reshape(x, (-1, n_in)), kernel) + bias  # every frame in one GEMM
        projected = tf.transpose(tf.reshape(projected, (batch, steps, -1)), (1, 0, 2))
        gates, cells, outputs = _forward(projected, recurrent, state_mask)

        def grad(upstream: Any) -> tuple[Any, ...]:
            dz = _backward(upstream, gates, cells, recurrent, state_mask)  # [T, B, 4n] float32
            dz_batch = tf.cast(tf.reshape(tf.transpose(dz, (1, 0, 2)), (batch * steps, -1)), x.dtype)
            previous = tf.concat([tf.zeros_like(outputs[:1]), outputs[:-1]], axis=0) * state_mask[None]
            flat_previous = tf.reshape(previous, (-1, tf.shape(previous)[2]))
            d_recurrent = tf.matmul(tf.transpose(flat_previous),
                                    tf.cast(tf.reshape(dz, (-1, tf.shape(dz)[2])), x.dtype))
            d_kernel = tf.matmul(tf.transpose(tf.reshape(x, (-1, n_in))), dz_batch)
            d_x = tf.reshape(tf.matmul(dz_batch, tf.transpose(kernel)), tf.shape(x))
            d_bias = tf.cast(tf.reduce_sum(dz, axis=(0, 1)), bias.dtype)
            return d_x, d_kernel, d_recurrent, d_bias

        return tf.transpose(outputs, (1, 0, 2)), grad

    return run(x, kernel, recurrent, bias)


def _forward(projected: Any, recurrent: Any, state_mask: Any) -> tuple[Any, Any, Any]:
    """The recurrent loop over time-major inputs: (gates [T,B,4n] f32, cell states [T,B,n] f32, outputs [T,B,n])."""
    import tensorflow as tf

    steps, batch = tf.shape(projected)[0], tf.shape(projected)[1]
    n = tf.shape(recurrent)[0]
    dtype = projected.dtype
    arrays = [tf.TensorArray(tf.float32, size=steps), tf.TensorArray(tf.float32, size=steps),
              tf.TensorArray(dtype, size=steps)]

    def body(t: Any, h: Any, c: Any, gates: Any, cells: Any, outputs: Any) -> tuple[Any, ...]:
        z = tf.cast(projected[t] + tf.matmul(h * state_mask, recurrent), tf.float32)
        i, f, g, o = tf.split(z, 4, axis=1)
        i, f, g, o = tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)
        c = f * c + i * g
        h = tf.cast(o * tf.tanh(c), dtype)
        return (t + 1, h, c, gates.write(t, tf.concat([i, f, g, o], axis=1)), cells.write(t, c),
                outputs.write(t, h))

    start = (tf.constant(0), tf.zeros((batch, n), dtype), tf.zeros((batch, n), tf.float32), *arrays)
    _, _, _, gates, cells, outputs = tf.while_loop(lambda t, *_: t < steps, body, start)
    return gates.stack(), cells.stack(), outputs.stack()


def _backward(upstream: Any, gates: Any, cells: Any, recurrent: Any, state_mask: Any) -> Any:
    """Gradients of the pre-activation gates [T, B, 4n] (float32), from the output gradients [B, T, n]."""
    import tensorflow as tf

    d_out = tf.transpose(tf.cast(upstream, tf.float32), (1, 0, 2))
    steps, batch, n = tf.shape(gates)[0], tf.shape(gates)[1], tf.shape(cells)[2]
    dtype = recurrent.dtype

    def body(t: Any, dh_next: Any, dc_next: Any, dz_all: Any) -> tuple[Any, ...]:
        i, f, g, o = tf.split(gates[t], 4, axis=1)
        c_prev = tf.cond(t > 0, lambda: cells[t - 1], lambda: tf.zeros((batch, n), tf.float32))
        tanh_c = tf.tanh(cells[t])
        dh = d_out[t] + dh_next
        dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)
        dz = tf.concat([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g),
                        dh * tanh_c * o * (1.0 - o)], axis=1)
        # dh = dz @ R^T, computed as (R @ dz^T)^T: batch-sized operands transposed, the [n, 4n] matrix streamed
        # as stored (about 2x faster than either transposed-R form in bfloat16 here)
        dh_prev = tf.transpose(tf.matmul(recurrent, tf.transpose(tf.cast(dz, dtype))))
        dh_prev = tf.cast(dh_prev * state_mask, tf.float32)
        return t - 1, dh_prev, dc * f, dz_all.write(t, dz)

    start = (steps - 1, tf.zeros((batch, n), tf.float32), tf.zeros((batch, n), tf.float32),
             tf.TensorArray(tf.float32, size=steps))
    *_, dz_all = tf.while_loop(lambda t, *_: t >= 0, body, start)
    return dz_all.stack()
