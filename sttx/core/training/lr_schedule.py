"""The learning-rate schedule over a run: linear warm-up, a hold, then constant, cosine or linear decay by step."""

from __future__ import annotations

import math

import attrs

#: constant: DeepSpeech's (only the plateau rule changes the rate); cosine and linear decay over the run
SCHEDULES = ("constant", "cosine", "linear")


@attrs.frozen
class LearningRateSchedule:
    """The factor on the base learning rate at each global step; the base is --learning_rate as the plateau
    rule leaves it, so both combine. A pure function of the step, so a resumed run follows the same curve.

    :param kind: one of :data:`SCHEDULES`
    :param total_steps: the steps of the whole run (epochs x batches per epoch); decay ends there
    :param warmup_steps: the factor rises linearly from 1/warmup_steps to 1 over these first steps
    :param final_ratio: the factor that cosine and linear decay reach at ``total_steps``
    :param hold_ratio: the share of the steps after warm-up held at the full rate before the decay starts
        (NeMo's hold_ratio: the rate stays high most of the run and drops near its end)
    """

    kind: str = attrs.field(default="constant", validator=attrs.validators.in_(SCHEDULES))
    total_steps: int = 0
    warmup_steps: int = 0
    final_ratio: float = 0.01
    hold_ratio: float = 0.0

    @property
    def varies(self) -> bool:
        """False when the factor is always 1 (the rate then only changes on a plateau)."""
        return self.kind != "constant" or self.warmup_steps > 0

    def factor(self, step: int) -> float:
        """The factor at ``step`` (0-based: the step about to run)."""
        warmup = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps > 0 else 1.0
        if self.kind == "constant" or self.total_steps <= self.warmup_steps:
            return warmup
        progress = (step - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        progress = min(1.0, max(0.0, (progress - self.hold_ratio) / max(1e-12, 1.0 - self.hold_ratio)))
        decay = 0.5 * (1.0 + math.cos(math.pi * progress)) if self.kind == "cosine" else 1.0 - progress
        return warmup * (self.final_ratio + (1.0 - self.final_ratio) * decay)
