"""Click options for DeepSpeech 0.7's fixed augmentation flags, shared by `sttx train` and `sttx play`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sttx.cli.options import bool_option, option
from sttx.plugins.augment.legacy_flags import LEGACY_FLAGS, augmentations_from_legacy_flags

F = Callable[..., Any]


def legacy_augmentation_options(function: F) -> F:
    """Add every legacy flag (``--augmentation_freq_and_time_masking`` ...) to a command.

    The command receives them as keyword arguments; :func:`pop_legacy_augmentations` turns them into specs.
    """
    for flag, (default, kind, text) in reversed(LEGACY_FLAGS.items()):
        words = f"DeepSpeech 0.7 flag: {text}; mapped onto --augment (docs/augmentations.md)"
        if kind is bool:
            function = bool_option(f"--{flag}", default=default, help=words)(function)
        else:
            function = option(f"--{flag}", type=kind, default=default, help=words)(function)
    return function


def pop_legacy_augmentations(kwargs: dict[str, Any]) -> list[str]:
    """Remove the legacy flags from a command's ``kwargs`` and return the equivalent ``--augment`` specs."""
    return augmentations_from_legacy_flags({flag: kwargs.pop(flag) for flag in LEGACY_FLAGS if flag in kwargs})
