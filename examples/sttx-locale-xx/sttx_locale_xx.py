"""Example sttx plugin: label validators ``xx`` (a pseudo-locale) and ``de`` (German), and a ``clip`` augmentation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

import sttx
from sttx.api import Augmentation, AugmentContext, param

_PUNCTUATION = re.compile(r"[.,;:?!\"()\[\]{}«»„“”]")
_PUNCTUATION_DE = re.compile(r"[.,;:?!\"()\[\]{}«»„“”‚‘…–—/]")
_GERMAN_LETTERS = frozenset("äöüß")
_NOT_GERMAN = re.compile(r"[^a-zäöüß' ]")


def validate_label_xx(label: str) -> str | None:
    """Lower-case, NFC, punctuation removed, whitespace collapsed; labels with digits are rejected (None)."""
    text = unicodedata.normalize("NFC", label)
    if any(char.isdigit() for char in text):
        return None
    text = " ".join(_PUNCTUATION.sub(" ", text).split()).lower()
    return text or None


def _fold_foreign_accents(text: str) -> str:
    """é -> e, ç -> c, but ä, ö, ü and ß stay: they are letters of the German alphabet."""
    kept = []
    for char in text:
        if char in _GERMAN_LETTERS:
            kept.append(char)
        else:
            kept.extend(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
    return "".join(kept)


def validate_label_de(label: str) -> str | None:
    """German: NFC, lower case keeping ä ö ü ß, other accents folded (Café -> cafe), ’ -> ', hyphens to spaces,
    punctuation removed; a label with digits or letters outside a-z äöüß is rejected (None)."""
    text = unicodedata.normalize("NFC", label)
    if any(char.isdigit() for char in text):
        return None
    text = _fold_foreign_accents(text.replace("ẞ", "ß").lower()).replace("’", "'")
    text = " ".join(_PUNCTUATION_DE.sub(" ", text.replace("-", " ").replace("_", " ")).split())
    if not text or _NOT_GERMAN.search(text):
        return None
    return text


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
    register.add("de", validate_label_de)


@sttx.hookimpl
def register_augmentations(register):
    register.add("clip", Clip)
