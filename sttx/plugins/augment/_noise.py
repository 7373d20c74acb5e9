"""Noise sources for overlay: a file, a folder of audio, or a sample collection, decoded once per process."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sttx.core.contract.errors import DataError

if TYPE_CHECKING:
    from sttx.core.contract.samples import SampleRef

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif")
CACHE_SAMPLES = 32 * 1024 * 1024  # decoded float32 samples kept per process (128 MB)

_lock = threading.Lock()
_sources: dict[tuple[str, int], NoiseSource] = {}


def check_source(source: str) -> None:
    """ValueError (keras wording, so the CLI reports a usage error) when ``source`` names nothing on disk."""
    if not source:
        raise ValueError("Invalid value for `source`: overlay needs a noise source (audio file, folder or collection)")
    if not Path(source).exists():
        raise ValueError(f"Invalid value for `source`: no such file or folder: {source}")


def _loaders(source: str, rate: int) -> list[Callable[[], np.ndarray]]:
    """One decoder per clip of ``source``, in a stable order."""
    from sttx.core.data.audio import read_audio

    path = Path(source)
    if path.is_dir():
        files = sorted(str(item) for item in path.rglob("*") if item.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            raise DataError(f"{source}: the overlay folder holds no audio ({', '.join(AUDIO_SUFFIXES)})")
        return [functools.partial(read_audio, name, target_rate=rate) for name in files]
    if path.suffix.lower() in AUDIO_SUFFIXES:
        return [lambda: read_audio(source, target_rate=rate)]
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.data.collections import read_collection

    refs = read_collection(source, get_plugin_manager().registries().sample_formats)
    if not refs:
        raise DataError(f"{source}: the overlay collection holds no samples")
    return [functools.partial(_load_ref, ref, rate) for ref in refs]


def _load_ref(ref: SampleRef, rate: int) -> np.ndarray:
    return ref.load(rate).audio


class NoiseSource:
    """The clips of one source at one rate, decoded on demand and kept in a bounded LRU cache."""

    def __init__(self, source: str, rate: int) -> None:
        check_source(source)
        self.source = source
        self.loaders = _loaders(source, rate)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cached = 0

    def clip(self, index: int) -> np.ndarray:
        """Clip ``index`` as float32 (thread-safe)."""
        with _lock:
            if index in self._cache:
                self._cache.move_to_end(index)
                return self._cache[index]
        audio = np.asarray(self.loaders[index](), dtype=np.float32)
        with _lock:
            self._cache[index] = audio
            self._cached += len(audio)
            while self._cached > CACHE_SAMPLES and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cached -= len(dropped)
        return audio

    def stitch(self, rng: np.random.Generator, length: int) -> np.ndarray:
        """``length`` samples: from a random offset of a random clip, then the following clips, looping."""
        out = np.zeros(length, dtype=np.float32)
        index = int(rng.integers(len(self.loaders)))
        clip = self.clip(index)
        position, filled, empty_run = int(rng.integers(max(1, len(clip)))), 0, 0
        while filled < length:
            take = min(length - filled, len(clip) - position)
            if take > 0:
                out[filled : filled + take] = clip[position : position + take]
                filled, empty_run = filled + take, 0
            elif (empty_run := empty_run + 1) > len(self.loaders):
                raise DataError(f"{self.source}: every overlay clip is empty")
            index = (index + 1) % len(self.loaders)
            clip, position = self.clip(index), 0
        return out


def noise_source(source: str, rate: int) -> NoiseSource:
    """The process-wide NoiseSource for (``source``, ``rate``), created on first use."""
    key = (source, rate)
    with _lock:
        found = _sources.get(key)
    if found is None:
        found = NoiseSource(source, rate)
        with _lock:
            found = _sources.setdefault(key, found)
    return found
