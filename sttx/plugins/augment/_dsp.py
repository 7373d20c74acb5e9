"""Numeric helpers shared by the augmentation plugins: dBFS, gains, resizing, intervals (numpy only)."""

from __future__ import annotations

import math

import numpy as np

#: DeepSpeech's dBFS adds 20*log10(sqrt(2)) to the peak level, so a full-scale sine reads 0 dBFS.
DBFS_OFFSET = 20.0 * math.log10(math.sqrt(2.0))
#: Feature frames advance by 20 ms (DeepSpeech's feature_win_step), so one ms is 1/20 of a frame.
FRAMES_PER_MS = 1.0 / 20.0
_SILENCE = 1e-10


def peak(audio: np.ndarray) -> float:
    """The largest magnitude (two reductions, no temporary array)."""
    return max(float(audio.max()), -float(audio.min())) if audio.size else 0.0


def max_dbfs(audio: np.ndarray) -> float:
    """The peak level in DeepSpeech's dBFS: ``20*log10(max|x|) + 3.0103``; -inf for silence."""
    top = peak(audio)
    return 20.0 * math.log10(top) + DBFS_OFFSET if top > _SILENCE else -math.inf


def gain_db_to_ratio(gain_db: float) -> float:
    """Amplitude ratio of a gain in dB."""
    return float(10.0 ** (gain_db / 20.0))


def normalize(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """A new float32 array scaled to a peak level of ``dbfs``, clipped to [-1, 1] as DeepSpeech did.

    Silence comes back as a silent copy.
    """
    level = max_dbfs(audio)
    if not math.isfinite(level):
        return np.array(audio, dtype=np.float32)
    gain = gain_db_to_ratio(dbfs - level)
    scaled = np.multiply(audio, np.float32(gain), dtype=np.float32)
    if gain * peak(audio) > 1.0:
        np.clip(scaled, -1.0, 1.0, out=scaled)
    return scaled


def units_per_ms(domain: str, sample_rate: int, frame_ms: float = 20.0) -> float:
    """Samples per ms on the waveform (signal), frames per ms on spectrograms and features (``frame_ms`` apart:
    20 for DeepSpeech's MFCC, 10 for a log-mel front end)."""
    if domain in ("signal", "sample"):
        return sample_rate / 1000.0
    return 1.0 / frame_ms


def resize_linear(data: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Linear resize of one axis as TF1's ``resize_bilinear`` (no corner alignment): source = i * n/size."""
    count = data.shape[axis]
    if size == count:
        return data
    source = np.arange(size, dtype=np.float32) * (np.float32(count) / np.float32(size))  # float32, as TF
    low = np.minimum(np.floor(source).astype(np.int64), count - 1)
    high = np.minimum(low + 1, count - 1)
    weight = (source - np.floor(source)).astype(data.dtype)
    shape = [1] * data.ndim
    shape[axis] = size
    weight = weight.reshape(shape)
    first, second = np.take(data, low, axis=axis), np.take(data, high, axis=axis)
    return (first + (second - first) * weight).astype(data.dtype, copy=False)


def cubic_matrix(size: int, count: int, a: float = -0.75) -> np.ndarray:
    """[size, count] weights that resize ``count`` points to ``size`` with Keys' cubic kernel (TF1 bicubic)."""
    source = np.arange(size, dtype=np.float64) * (count / size)
    base = np.floor(source).astype(np.int64)
    matrix = np.zeros((size, count), dtype=np.float64)
    for tap in range(-1, 3):
        distance = np.abs(source - (base + tap))
        near = (a + 2) * distance**3 - (a + 3) * distance**2 + 1
        far = a * distance**3 - 5 * a * distance**2 + 8 * a * distance - 4 * a
        weight = np.where(distance <= 1, near, np.where(distance < 2, far, 0.0))
        np.add.at(matrix, (np.arange(size), np.clip(base + tap, 0, count - 1)), weight)
    return matrix


def place_intervals(rng: np.random.Generator, length: int, sizes: list[int]) -> list[int]:
    """Start indices of intervals of ``sizes`` in ``length``, in order, never overlapping nor touching.

    Each interval but the last is followed by at least one untouched unit, so ``len(sizes)`` separate
    stretches appear; the free room is split at sorted uniform points.
    """
    free = length - sum(sizes) - (len(sizes) - 1)
    if free < 0 or not sizes:
        return []
    cuts = np.sort(rng.integers(0, free + 1, size=len(sizes)))
    offsets = np.concatenate(([0], np.cumsum(np.asarray(sizes) + 1)[:-1]))
    return [int(cut + offset) for cut, offset in zip(cuts, offsets, strict=True)]


def fit_sizes(sizes: list[int], length: int) -> list[int]:
    """Clamp each size to [1, length-1]; when they cannot all fit apart, shrink them evenly, then drop some."""
    if length <= 1 or not sizes:
        return []
    count = min(len(sizes), (length + 1) // 2)
    clamped = [max(1, min(length - 1, size)) for size in sizes[:count]]
    room = length - (count - 1)
    if sum(clamped) > room:
        share = max(1, room // count)
        clamped = [min(size, share) for size in clamped]
    return clamped


def fast_length(minimum: int) -> int:
    """The smallest 2^a*3^b*5^c at least ``minimum`` (a quick FFT size)."""
    best = 1 << max(0, (minimum - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            candidate = power35 << max(0, math.ceil(math.log2(minimum / power35)))
            best = min(best, candidate)
            power35 *= 3
        power5 *= 5
    return best
