"""pitch and tempo resize exactly as DeepSpeech's TF1 bilinear resize did (slow: imports TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


@pytest.mark.slow
def test_pitch_and_tempo_match_tf1_resize_bilinear(registry: AugmentationRegistry) -> None:
    tf = pytest.importorskip("tensorflow", reason="the parity check needs TensorFlow")
    spectrogram = np.random.default_rng(0).random((37, 257)).astype(np.float32)

    def tf_resize(frames: int, bins: int) -> np.ndarray:
        image = tf.constant(spectrogram[None, :, :, None])
        resized = tf.compat.v1.image.resize_bilinear(image, [frames, bins], align_corners=False)
        return resized.numpy()[0, :, :, 0]

    for factor in (0.8, 1.25):
        out, _ = registry.parse(f"pitch[pitch={factor}]")(spectrogram, context())
        expected = tf_resize(37, int(257 * factor))[:, :257]
        assert np.allclose(out[:, : expected.shape[1]], expected, atol=1e-6)
        out, _ = registry.parse(f"tempo[factor={factor}]")(spectrogram, context())
        assert np.allclose(out, tf_resize(int(37 / factor), 257), atol=1e-6)
