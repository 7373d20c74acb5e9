"""Graceful stops: SIGINT/SIGTERM finish the current step, and the loop then checkpoints and returns."""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by a signal (or by tests); the training loop polls it after every step.

    As a context manager it installs handlers for SIGINT and SIGTERM (main thread only) and restores the
    previous ones on exit. A second signal while stopping falls back to the default action.
    """

    def __init__(self, at_step: int | None = None) -> None:
        """:param at_step: also stop once the global step reaches this value (tests, partial runs)"""
        self.reason = ""
        self.at_step = at_step
        self._previous: dict[int, object] = {}

    def __bool__(self) -> bool:
        return bool(self.reason)

    def request(self, reason: str = "request") -> None:
        """Ask the loop to stop after the current step."""
        self.reason = reason

    def after_step(self, global_step: int) -> bool:
        """Called by the loop after each step: True when it should checkpoint and stop."""
        if not self.reason and self.at_step is not None and global_step >= self.at_step:
            self.reason = f"step limit {self.at_step}"
        return bool(self.reason)

    @property
    def name(self) -> str:
        """Why the run stops, e.g. SIGTERM ('' while running)."""
        return self.reason

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.reason:  # impatient second signal: stop now
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
        self.reason = signal.Signals(signum).name

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
