"""Checkpoint dirs: DeepSpeech's default under the XDG data home (in sttx's name), and dirs that must be dirs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sttx.core.contract.errors import UsageError
from sttx.core.training import checkpoints


def data_home() -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share`` (the XDG spec ignores a relative ``$XDG_DATA_HOME``)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def default_checkpoint_dir() -> Path:
    """Where runs without --checkpoint_dir keep their checkpoints: DeepSpeech's ``<data home>/deepspeech/checkpoints``
    with sttx's name, ``<data home>/sttx/checkpoints``."""
    return data_home() / "sttx" / "checkpoints"


def fill_default_checkpoint_dir(settings: dict[str, Any]) -> Path | None:
    """Set ``settings["checkpoint_dir"]`` to the default when neither --checkpoint_dir nor --save_checkpoint_dir is
    given; returns the default when it was used.

    As in DeepSpeech, --load_checkpoint_dir alone still saves into the default dir. Unlike DeepSpeech, a run that
    names only --save_checkpoint_dir does not load from the default dir: it would take another run's weights.
    """
    if settings.get("checkpoint_dir") or settings.get("save_checkpoint_dir"):
        return None
    path = default_checkpoint_dir()
    settings["checkpoint_dir"] = str(path)
    return path


def holds_checkpoints(path: Path) -> bool:
    """True when ``path`` already holds a run's checkpoints (sttx's or DeepSpeech's)."""
    if any(checkpoints.list_checkpoints(path, kind) for kind in (checkpoints.TRAIN, checkpoints.BEST)):
        return True
    return any((path / name).is_file() for name in ("checkpoint", "best_dev_checkpoint"))  # DeepSpeech's state files


def default_dir_line(path: Path) -> str:
    """The one line `sttx train` prints when it uses the default dir."""
    state = ("it holds a run, which this one continues (give --checkpoint_dir DIR for another)"
             if holds_checkpoints(path) else "the next run without --checkpoint_dir continues there")
    return f"No --checkpoint_dir given: using {path} (DeepSpeech's default place, in sttx's name); {state}"


def default_load_dir() -> tuple[Path, str]:
    """For commands that read a checkpoint (evaluate, export): the default dir and the line to print about it."""
    path = default_checkpoint_dir()
    if not holds_checkpoints(path):
        raise UsageError(f"no --checkpoint_dir given, and the default {path} holds no checkpoint "
                         "(`sttx train` without --checkpoint_dir writes there)")
    return path, f"No --checkpoint_dir given: reading {path} (DeepSpeech's default place, in sttx's name)"


def check_dir_flags(settings: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """A usage error naming the flag and path when one of the dirs sttx writes to is an existing non-directory."""
    for name in names:
        value = settings.get(name)
        if value and Path(value).exists() and not Path(value).is_dir():
            raise UsageError(f"--{name} {value}: is a file, not a directory")
