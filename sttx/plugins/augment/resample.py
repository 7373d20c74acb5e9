"""resample: down-sample to a drawn rate and back, keeping the length (band-limits to the lower rate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param


def round_trip(audio: np.ndarray, rate: int, via: int) -> np.ndarray:
    """``audio`` at ``rate`` resampled to ``via`` and back with soxr, cut or zero-padded to its length."""
    import soxr

    if via == rate or len(audio) == 0:
        return np.array(audio, dtype=np.float32)
    down = soxr.resample(audio, rate, via, quality="HQ")
    up = np.asarray(soxr.resample(down, via, rate, quality="HQ"), dtype=np.float32)
    if len(up) >= len(audio):
        return np.ascontiguousarray(up[: len(audio)])
    return np.concatenate([up, np.zeros(len(audio) - len(up), dtype=np.float32)])


@attrs.frozen(kw_only=True)
class Resample(Augmentation):
    """Resample to ``rate`` Hz and back to the sample's rate: removes everything above ``rate/2``."""

    name: ClassVar[str] = "resample"
    domain: ClassVar[str] = "sample"

    rate: Any = param(8000, "int_range", low=1, help="intermediate sample rate, Hz")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Down and up again through ``params['rate']``."""
        audio = np.asarray(data, dtype=np.float32)
        return round_trip(audio, context.sample_rate, max(1, int(params["rate"])))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``resample``."""
    register.add("resample", Resample)
