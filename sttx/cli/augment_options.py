"""Click options for DeepSpeech's fixed augmentation flags (0.6-0.7), shared by `sttx train` and `sttx play`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sttx.cli.legacy_augment_flags import LEGACY_FLAGS, augmentations_from_legacy_flags
from sttx.cli.options import option

F = Callable[..., Any]


def legacy_augmentation_options(function: F | None = None, *, hidden: bool = False) -> Any:
    """Add every legacy flag (``--augmentation_freq_and_time_masking`` ...) to a command.

    Use as ``@legacy_augmentation_options`` or ``@legacy_augmentation_options(hidden=True)`` (accepted but left
    out of ``--help``). The command receives them as keyword arguments; :func:`pop_legacy_augmentations` turns
    them into specs.
    """

    def decorate(command: F) -> F:
        for flag, (default, kind, text) in reversed(LEGACY_FLAGS.items()):
            words = f"DeepSpeech 0.7 flag: {text}; becomes an --augment spec (docs/augmentations.md)"
            # booleans as sttx.cli.options.bool_option makes them: a bare flag or an explicit value
            extra = {"type": click.BOOL, "is_flag": False, "flag_value": "true"} if kind is bool else {"type": kind}
            command = option(f"--{flag}", default=default, help=words, hidden=hidden, **extra)(command)
        return command

    return decorate if function is None else decorate(function)


def pop_legacy_augmentations(kwargs: dict[str, Any]) -> list[str]:
    """Remove the legacy flags from a command's ``kwargs`` and return the equivalent ``--augment`` specs."""
    return augmentations_from_legacy_flags({flag: kwargs.pop(flag) for flag in LEGACY_FLAGS if flag in kwargs})
