"""Example sttx plugin: a label validator for the pseudo-locale ``xx`` and a ``clip`` augmentation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

import sttx
from sttx.core.augmentation import Augmentation, AugmentContext, param

_PUNCTUATION = re.compile(r"[.,;:?!\"()\[\]{}«»„“”]")


def validate_label_xx(label: str) -> str | None:
    """Lower-case, NFC, punctuation removed, whitespace collapsed; labels with digits are rejected (None)."""
    text = unicodedata.normalize("NFC", label)
    if any(char.isdigit() for char in text):
        return None
    text = " ".join(_PUNCTUATION.sub(" ", text).split()).lower()
    return text or None


@attrs.frozen(kw_only=True)
class Clip(Augmentation):
    """Hard-clip the waveform at a level below its peak, as cheap microphones and loud talkers do."""

    name = "clip"
    dbfs: Any = param(-6.0, "float_range", high=0.0, help="clipping level in dB relative to the peak")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        peak = float(np.max(np.abs(data))) if data.size else 0.0
        level = peak * 10.0 ** (params["dbfs"] / 20.0)
        return np.clip(data, -level, level).astype(data.dtype)


@sttx.hookimpl
def register_label_validators(register):
    register.add("xx", validate_label_xx)


@sttx.hookimpl
def register_augmentations(register):
    register.add("clip", Clip)
