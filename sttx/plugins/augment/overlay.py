"""overlay: mix noise from a file, folder or collection into the sample at a drawn signal-to-noise ratio."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.plugins.augment._dsp import gain_db_to_ratio, max_dbfs, normalize
from sttx.plugins.augment._noise import check_source, noise_source


@attrs.frozen(kw_only=True)
class Overlay(Augmentation):
    """Add ``layers`` stretches of noise from ``source``, each stitched from consecutive clips to the length.

    As in DeepSpeech, ``snr`` compares peak levels: the noise sum is scaled so its peak sits ``snr`` dB below
    the sample's peak, and the mix is renormalised to the sample's original peak level. The starting clip and
    offset of each layer come from the sample's generator, so a seed fixes the noise a sample gets.
    """

    name: ClassVar[str] = "overlay"
    domain: ClassVar[str] = "sample"

    source: str = param("", "str", help="noise: a wav/flac file, a folder of audio, or a csv/sdb/jsonl collection")
    snr: Any = param(3.0, "float_range", help="signal-to-noise ratio of the peak levels, dB")
    layers: Any = param(1, "int_range", low=0, help="number of noise layers summed")

    @source.validator
    def _source_exists(self, _attribute: Any, value: str) -> None:
        check_source(value)

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Mix the drawn number of noise layers at the drawn SNR."""
        audio = np.asarray(data, dtype=np.float32)
        level = max_dbfs(audio)
        if len(audio) == 0 or int(params["layers"]) <= 0 or not math.isfinite(level):
            return audio.copy()
        source = noise_source(self.source, context.sample_rate)
        noise = np.zeros(len(audio), dtype=np.float32)
        for _ in range(int(params["layers"])):
            noise += source.stitch(context.rng, len(audio))
        noise_level = max_dbfs(noise)
        if not math.isfinite(noise_level):
            return audio.copy()
        gain = gain_db_to_ratio(level - noise_level - float(params["snr"]))
        return normalize(audio + np.float32(gain) * noise, level)

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """In graph: ``snr``, ``layers`` and each possible layer's starting clip and offset."""
        from sttx.plugins.augment._graph_overlay import overlay_params

        return overlay_params(super().graph_params(seed, clock), self.layers, seed)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Mix WAV noise read on the worker at the drawn SNR, in graph."""
        from sttx.plugins.augment._graph_overlay import overlay, wav_files

        return overlay(data, params, wav_files(self.source, context.sample_rate))


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``overlay``."""
    register.add("overlay", Overlay)
