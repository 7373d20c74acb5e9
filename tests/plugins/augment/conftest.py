"""Fixtures for the augmentation tests: test signals, a noise file, and the built-in augmentation registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.augmentation import AugmentContext
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.contract.registry import AugmentationRegistry
from sttx.core.data.audio import write_audio

RATE = 16000


def speechlike(seconds: float = 1.0, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A voiced-like test signal: harmonics of 140 Hz under a syllable envelope, plus a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    noise = np.random.default_rng(seed).standard_normal(len(t)) * 0.01
    audio = voice * envelope + noise
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


def context(seed: int = 0, rate: int = RATE, clock: float = 0.5, label_length: int = 0,
            min_frames: int = 0) -> AugmentContext:
    """A context with a fresh generator."""
    return AugmentContext(sample_rate=rate, rng=np.random.default_rng(seed), clock=clock, label_length=label_length,
                          min_frames=min_frames)


@pytest.fixture(scope="session")
def registry() -> AugmentationRegistry:
    """The built-in augmentations."""
    return get_plugin_manager(load_entrypoints=False, disabled=set()).registries().augmentations


@pytest.fixture(scope="session")
def noise_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1.3 s white-noise wav (16-bit) to overlay."""
    path = tmp_path_factory.mktemp("noise") / "noise.wav"
    write_audio(path, (np.random.default_rng(7).standard_normal(int(1.3 * RATE)) * 0.2).clip(-1, 1), RATE)
    return path
