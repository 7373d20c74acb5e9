"""The augmentation clock: where a sample sits in training, in [0, 1], which value ranges `start:end` follow."""

from __future__ import annotations

from sttx.core.contract.errors import UsageError

#: `run`: progress through the whole run, as DeepSpeech's code computed it (the default);
#: `epoch`: progress through the current epoch only, as DeepSpeech's docs described it.
CLOCK_MODES = ("run", "epoch")


class ClockModeError(UsageError):
    """--augmentation_clock got a value other than `run` or `epoch`."""


def check_mode(mode: str) -> str:
    """Return ``mode`` when it is a known clock mode, else raise ClockModeError."""
    if mode not in CLOCK_MODES:
        raise ClockModeError(f"--augmentation_clock must be one of {', '.join(CLOCK_MODES)}, not {mode!r}")
    return mode


def clock(epoch: int, epochs: int, position: int, count: int, mode: str = "run") -> float:
    """The clock of the sample at ``position`` of ``count`` in epoch ``epoch`` (0-based) of ``epochs``.

    ``run``: ``epoch/epochs + (1/epochs) * position/count`` (DeepSpeech's sample-domain formula), so a range
    ``snr=50:20`` moves from 50 to 20 over the whole run. ``epoch``: ``position/count``, restarting every epoch.
    Clamped to [0, 1] (epochs past ``epochs``, e.g. resumed runs that train longer, stay at 1).
    """
    share = position / count if count > 0 else 0.0
    value = share if check_mode(mode) == "epoch" else (epoch + share) / max(epochs, 1)
    return min(1.0, max(0.0, value))
