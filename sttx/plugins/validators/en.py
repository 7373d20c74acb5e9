"""The English label validator ``en``: DeepSpeech's validate_label_eng, rule for rule."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sttx import hookimpl

if TYPE_CHECKING:
    from sttx.core.contract.registry import LabelValidatorRegistry

_REJECT = re.compile(r"[0-9]|[(<\[\]&*{]")
_SPACES = re.compile(r" {2,}")
_DROP = str.maketrans("", "", '.,;?!:"')


def validate_label_en(label: str) -> str | None:
    """Reproduces DeepSpeech's ``validate_label_eng`` exactly (util/importers.py, DeepSpeech 0.9.3 / Coqui STT).

    Reject (None) a label containing a digit or any of ``( < [ ] & * {``; turn ``-`` and ``_`` into spaces and
    collapse runs of spaces; delete ``. , ; ? ! : "``; strip and lower-case; reject what is left empty.
    Non-ASCII letters pass through, as in DeepSpeech: use ``--normalize`` or ``--filter_alphabet`` to drop them.
    """
    if _REJECT.search(label):
        return None
    label = _SPACES.sub(" ", label.replace("-", " ").replace("_", " "))
    label = label.translate(_DROP).strip().lower()
    return label or None


@hookimpl
def register_label_validators(register: LabelValidatorRegistry) -> None:
    register.add("en", validate_label_en)
