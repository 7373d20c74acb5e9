"""volume: peak-normalise the waveform to a drawn level in DeepSpeech's dBFS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import normalize
from sttx.plugins.augment._graph import normalize as graph_normalize


@attrs.frozen(kw_only=True)
class Volume(Augmentation):
    """Scale so the peak sits at ``dbfs`` (``20*log10(peak) + 3.0103``; the default maps the peak to 1.0).

    Levels above that clip to [-1, 1], as in DeepSpeech. Silent audio is returned unchanged.
    """

    name: ClassVar[str] = "volume"
    domain: ClassVar[str] = "sample"

    dbfs: Any = param(3.0103, "float_range", help="target peak level, dBFS")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Normalise ``data`` to ``params['dbfs']``."""
        return normalize(np.asarray(data), float(params["dbfs"]))

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Normalise ``data`` to ``params['dbfs']``, in graph."""
        return graph_normalize(data, params["dbfs"])


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``volume``."""
    register.add("volume", Volume)
