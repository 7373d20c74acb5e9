"""FeatureNorm: a fixed per-coefficient affine map of the context windows, foldable into the first dense layer."""

from __future__ import annotations

from typing import Any

import keras

from sttx.core.data.features import N_CONTEXT, N_INPUT


@keras.saving.register_keras_serializable(package="sttx")
class FeatureNorm(keras.layers.Layer):
    """``(window - mean) * scale`` with one mean and scale per MFCC coefficient, tiled over the window's frames.

    It runs after the context windows are cut, so the zero padding at a clip's edges stays raw zeros exactly as
    libstt feeds them, and the map folds into layer_1 without changing what the exported graph computes.
    The weights are not trained: the trainer measures them on the training set when a run starts from scratch
    and checkpoints carry them. Until then they are the identity.
    """

    def __init__(self, n_input: int = N_INPUT, n_context: int = N_CONTEXT, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.n_input, self.n_context = n_input, n_context
        self.mean = self.add_weight(shape=(n_input,), initializer="zeros", trainable=False, name="mean")
        self.scale = self.add_weight(shape=(n_input,), initializer="ones", trainable=False, name="scale")

    def call(self, windows: Any) -> Any:
        """windows [B, T, (2C+1) * n_input], frame outer and coefficient inner."""
        frames = 2 * self.n_context + 1
        mean = keras.ops.tile(keras.ops.cast(self.mean, windows.dtype), [frames])
        scale = keras.ops.tile(keras.ops.cast(self.scale, windows.dtype), [frames])
        return (windows - mean) * scale

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_input": self.n_input, "n_context": self.n_context}
