"""Features in TensorFlow: DeepSpeech-identical MFCC and the context windows the acoustic model reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

#: DeepSpeech's geometry: 26 MFCC coefficients, 9 frames of context on each side.
N_INPUT = 26
N_CONTEXT = 9


def context_windows(features: tf.Tensor, n_context: int = N_CONTEXT) -> tf.Tensor:
    """[B, T, C] -> [B, T, 2*n_context+1, C]: ``out[b, t, k] = features[b, t+k-n_context]``, zero outside.

    The same SAME-padded framing as DeepSpeech's identity conv1d and the native client's 9+9 zero frames.
    """
    import tensorflow as tf

    steps = tf.shape(features)[1]
    padded = tf.pad(features, [[0, 0], [n_context, n_context], [0, 0]])
    return tf.stack([padded[:, k : k + steps, :] for k in range(2 * n_context + 1)], axis=2)
