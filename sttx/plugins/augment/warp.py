"""warp: a smooth random displacement of spectrogram points (SpecAugment's time warp, both axes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import cubic_matrix
from sttx.plugins.augment._graph import with_noise_seed


def _control_flows(rng: np.random.Generator, shape: tuple[int, int], stddev: float) -> np.ndarray:
    """Normal control-point flows with a zero border, so the edges never move."""
    return np.pad(rng.normal(0.0, stddev, size=shape), 1) if stddev > 0 else np.zeros((shape[0] + 2, shape[1] + 2))


def dense_warp(image: np.ndarray, flow_t: np.ndarray, flow_f: np.ndarray) -> np.ndarray:
    """``out[t, f] = image[t - flow_t, f - flow_f]`` with bilinear interpolation, clamped at the edges."""
    frames, bins = image.shape
    query_t = np.clip(np.arange(frames)[:, None] - flow_t, 0, frames - 1)
    query_f = np.clip(np.arange(bins)[None, :] - flow_f, 0, bins - 1)
    t0 = np.minimum(np.floor(query_t).astype(np.int64), frames - 2)
    f0 = np.minimum(np.floor(query_f).astype(np.int64), bins - 2)
    at, af = (query_t - t0).astype(image.dtype), (query_f - f0).astype(image.dtype)
    top = image[t0, f0] + af * (image[t0, f0 + 1] - image[t0, f0])
    bottom = image[t0 + 1, f0] + af * (image[t0 + 1, f0 + 1] - image[t0 + 1, f0])
    return top + at * (bottom - top)


@attrs.frozen(kw_only=True)
class Warp(Augmentation):
    """Move points by flows drawn on a ``num_t`` x ``num_f`` grid of control points, resized bicubically.

    Each axis's flows have a standard deviation of ``warp * size / (2 * (n + 1))``. Coqui's names; DeepSpeech's
    ``nt``, ``nf``, ``wt``, ``wf`` are accepted as aliases.
    """

    name: ClassVar[str] = "warp"
    domain: ClassVar[str] = "spectrogram"

    num_t: Any = param(1, "int_range", low=1, aliases=("nt",), help="control points along time")
    num_f: Any = param(1, "int_range", low=1, aliases=("nf",), help="control points along frequency")
    warp_t: Any = param(0.1, "float_range", low=0.0, aliases=("wt",), help="time warp strength (share of length)")
    warp_f: Any = param(0.0, "float_range", low=0.0, aliases=("wf",), help="frequency warp strength (share of bins)")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Warp the [T, F] spectrogram (leading axes of size one are kept)."""
        image = np.asarray(data)
        frames, bins = image.shape[-2:]
        num_t, num_f = max(1, int(params["num_t"])), max(1, int(params["num_f"]))
        std_t = max(0.0, float(params["warp_t"])) * frames / (2 * (num_t + 1))
        std_f = max(0.0, float(params["warp_f"])) * bins / (2 * (num_f + 1))
        if frames < 2 or bins < 2 or (std_t == 0 and std_f == 0):
            return image.copy()
        grid_t = _control_flows(context.rng, (num_t, num_f), std_t)
        grid_f = _control_flows(context.rng, (num_t, num_f), std_f)
        rows, cols = cubic_matrix(frames, num_t + 2), cubic_matrix(bins, num_f + 2)
        flow_t, flow_f = rows @ grid_t @ cols.T, rows @ grid_f @ cols.T
        warped = dense_warp(image.reshape(frames, bins), flow_t, flow_f)
        return warped.astype(image.dtype, copy=False).reshape(image.shape)

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: the grid sizes and strengths, and the seed of the control flows."""
        return with_noise_seed(super().graph_params(seed, clock), seed)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Warp the [T, F] spectrogram, in graph."""
        from sttx.plugins.augment._graph_warp import warp

        return warp(data, params)


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``warp``."""
    register.add("warp", Warp)
