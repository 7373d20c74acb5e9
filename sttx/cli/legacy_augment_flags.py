"""DeepSpeech's fixed augmentation flags (0.6-0.7, before `--augment`), mapped onto specs (pure, no click).

Each flag becomes a grammar spec with ``p=1`` (the old flags applied to every sample):

====================================================  =========================================================
flag (default)                                        spec
====================================================  =========================================================
``--augmentation_spec_dropout_keeprate K`` (1: off)   ``dropout[p=1,domain=spectrogram,rate=1-K]``
``--augmentation_freq_and_time_masking`` (off), with  ``frequency_mask[p=1,n=F,size=(R-1)//2~R//2]`` and
``_freq_mask_range R`` (5), ``_number_freq_masks F``  ``time_mask[p=1,domain=spectrogram,n=T,size=10Q~10Q]``
(3), ``_time_mask_range Q`` (2), ``_number_time_masks
T`` (3)
``--augmentation_pitch_and_tempo_scaling`` (off),     ``pitch[p=1,pitch=(lo+hi)/2~(hi-lo)/2]`` and
with ``_min_pitch lo`` (0.95), ``_max_pitch hi``      ``tempo[p=1,factor=(1+M)/2~(M-1)/2]``
(1.2), ``_max_tempo M`` (1.2)
``--augmentation_speed_up_std S`` (0: off)            ``tempo[p=1,factor=1+S~S]``
``--data_aug_features_multiplicative S`` (0: off)     ``multiply[p=1,domain=features,stddev=S]``
``--data_aug_features_additive S`` (0: off)           ``add[p=1,domain=features,stddev=S]``
====================================================  =========================================================

Smaller differences: DeepSpeech drew mask widths uniformly from ``0..R-1`` bins or frames; the specs draw
from the same span (a frequency width rounds a uniform draw in ``[(R-1)//2 - R//2, (R-1)//2 + R//2]``; a time
width of ``10Q~10Q`` ms is uniform over ``0..Q-1`` frames exactly) and a width is at least one. The speed-up
was ``1 + |N(0, S)|``; the spec draws uniformly in ``[1, 1+2S]`` (same span of likely values, mean 1+S rather
than 1+0.8S). The dropout keeps the kept values unscaled (TF's dropout scaled them by ``1/K``).

Axes: DeepSpeech's code read the ``[1, frames, bins]`` spectrogram as ``[1, bins, frames]``, so its "frequency"
masks hid frames, its "time" masks hid bins, its pitch scaled time and its tempo and speed-up scaled frequency.
The specs apply each to the axis its name says. Order as DeepSpeech: spectrogram steps, then the features'
multiplicative noise, then the additive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sttx.core.contract.errors import UsageError
from sttx.core.contract.grammar import format_number

#: flag -> (default, type, help).
LEGACY_FLAGS: dict[str, tuple[Any, type, str]] = {
    "augmentation_spec_dropout_keeprate": (1.0, float, "keep rate of spectrogram dropout (1: off)"),
    "augmentation_freq_and_time_masking": (False, bool, "SpecAugment frequency and time masks"),
    "augmentation_freq_and_time_masking_freq_mask_range": (5, int, "widest frequency mask, bins"),
    "augmentation_freq_and_time_masking_number_freq_masks": (3, int, "frequency masks per sample"),
    "augmentation_freq_and_time_masking_time_mask_range": (2, int, "widest time mask, frames"),
    "augmentation_freq_and_time_masking_number_time_masks": (3, int, "time masks per sample"),
    "augmentation_pitch_and_tempo_scaling": (False, bool, "random pitch and tempo scaling"),
    "augmentation_pitch_and_tempo_scaling_min_pitch": (0.95, float, "lowest pitch factor"),
    "augmentation_pitch_and_tempo_scaling_max_pitch": (1.2, float, "highest pitch factor"),
    "augmentation_pitch_and_tempo_scaling_max_tempo": (1.2, float, "highest tempo factor"),
    "augmentation_speed_up_std": (0.0, float, "std of the random speed-up (0: off)"),
    "data_aug_features_additive": (0.0, float, "std of additive noise on the features (0: off)"),
    "data_aug_features_multiplicative": (0.0, float, "std of multiplicative noise around 1 (0: off)"),
}


class LegacyFlagError(UsageError):
    """A DeepSpeech augmentation flag with a value outside its meaning."""


def _num(value: float) -> str:
    return format_number(round(value, 6) if isinstance(value, float) else value)


def _need(values: Mapping[str, Any], flag: str, ok: Any, expected: str) -> Any:
    value = values.get(flag, LEGACY_FLAGS[flag][0])
    if not ok(value):
        raise LegacyFlagError(f"--{flag} must be {expected}, not {value!r}")
    return value


def _masks(values: Mapping[str, Any]) -> list[str]:
    flag = "augmentation_freq_and_time_masking"
    ranges = [
        _need(values, f"{flag}_{key}", lambda v: int(v) >= 1, "an integer >= 1")
        for key in ("freq_mask_range", "time_mask_range")
    ]
    counts = [
        _need(values, f"{flag}_{key}", lambda v: int(v) >= 0, "an integer >= 0")
        for key in ("number_freq_masks", "number_time_masks")
    ]
    width, frames = int(ranges[0]), int(ranges[1])
    return [
        f"frequency_mask[p=1,n={int(counts[0])},size={(width - 1) // 2}~{width // 2}]",
        f"time_mask[p=1,domain=spectrogram,n={int(counts[1])},size={_num(10.0 * frames)}~{_num(10.0 * frames)}]",
    ]


def _pitch_and_tempo(values: Mapping[str, Any]) -> list[str]:
    flag = "augmentation_pitch_and_tempo_scaling"
    low = float(_need(values, f"{flag}_min_pitch", lambda v: float(v) > 0, "a number > 0"))
    high = float(_need(values, f"{flag}_max_pitch", lambda v: float(v) >= low, f"a number >= min_pitch ({low})"))
    tempo = float(_need(values, f"{flag}_max_tempo", lambda v: float(v) >= 1, "a number >= 1"))
    return [
        f"pitch[p=1,pitch={_num((low + high) / 2)}~{_num((high - low) / 2)}]",
        f"tempo[p=1,factor={_num((1 + tempo) / 2)}~{_num((tempo - 1) / 2)}]",
    ]


def augmentations_from_legacy_flags(values: Mapping[str, Any]) -> list[str]:
    """The ``--augment`` specs equivalent to DeepSpeech's flags in ``values`` (missing flags: their defaults).

    :raises LegacyFlagError: naming the flag whose value makes no sense
    """
    specs: list[str] = []
    keep = float(_need(values, "augmentation_spec_dropout_keeprate", lambda v: 0 <= float(v) <= 1, "in [0, 1]"))
    if keep < 1:
        specs.append(f"dropout[p=1,domain=spectrogram,rate={_num(1.0 - keep)}]")
    if values.get("augmentation_freq_and_time_masking"):
        specs.extend(_masks(values))
    if values.get("augmentation_pitch_and_tempo_scaling"):
        specs.extend(_pitch_and_tempo(values))
    speed = float(_need(values, "augmentation_speed_up_std", lambda v: float(v) >= 0, "a number >= 0"))
    if speed > 0:
        specs.append(f"tempo[p=1,factor={_num(1.0 + speed)}~{_num(speed)}]")
    for flag, name in (("data_aug_features_multiplicative", "multiply"), ("data_aug_features_additive", "add")):
        stddev = float(_need(values, flag, lambda v: float(v) >= 0, "a number >= 0"))
        if stddev > 0:
            specs.append(f"{name}[p=1,domain=features,stddev={_num(stddev)}]")
    return specs
