"""What a training run carries across restarts (LoopState, saved in every checkpoint) and how it ended (TrainResult)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs


@attrs.define
class LoopState:
    """What the loop needs to continue exactly where it stopped (saved as JSON in every checkpoint)."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    best_dev_loss: float | None = None
    epochs_without_improvement: int = 0
    nan_skipped: int = 0
    epoch_loss_sum: float = 0.0
    epoch_steps: int = 0
    random_seed: int = 4568
    #: --learning_rate as the plateau rule left it; the schedule's factor applies on top (None: older checkpoints)
    base_learning_rate: float | None = None
    #: samples per step (per replica x replicas) and samples planned so far in the epoch (0: older checkpoints)
    global_batch: int = 0
    samples_in_epoch: int = 0
    #: how the training set was read: ``sample`` or ``file/W`` (by shard file on W workers; "": older checkpoints)
    input_layout: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoopState:
        """The loop fields of a checkpoint's state.json (other keys ignored)."""
        names = {field.name for field in attrs.fields(cls)}
        return cls(**{key: value for key, value in data.get("loop", {}).items() if key in names})


@attrs.frozen(kw_only=True)
class TrainResult:
    """How a run ended: steps, losses, the dev/test evaluations, and whether it was interrupted or stopped early."""

    checkpoint_dir: str
    global_step: int
    epochs_completed: int
    train_loss: float | None
    best_dev_loss: float | None
    dev: Any = None
    test: Any = None
    interrupted: str = ""
    stopped_early: bool = False
    nan_skipped: int = 0
    checkpoint: Path | None = None
    seconds: float = 0.0
    model: Any = None
    alphabet: Any = None
    relu_clip: float = 20.0
    #: False on the workers of a multi-worker run that are not the chief (they leave nothing behind)
    chief: bool = True
