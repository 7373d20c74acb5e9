"""What a training run shows: a tqdm bar per epoch, epoch summary lines, the input-wait share, TensorBoard scalars."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs


def default_echo(line: str) -> None:
    """Print a line without breaking an active progress bar."""
    from tqdm import tqdm

    tqdm.write(line)


@attrs.define
class EpochMeter:
    """Step timings of one epoch: loss mean, samples per second and the share of time spent waiting for input."""

    loss_sum: float = 0.0
    steps: int = 0
    samples: int = 0
    waiting: float = 0.0
    computing: float = 0.0
    started: float = attrs.field(factory=time.perf_counter)

    def add(self, loss: float, batch: int, wait: float, compute: float) -> None:
        """Record one step."""
        self.loss_sum += loss
        self.steps += 1
        self.samples += batch
        self.waiting += wait
        self.computing += compute

    @property
    def wait_share(self) -> float:
        """Share of step time spent waiting for the input pipeline."""
        total = self.waiting + self.computing
        return self.waiting / total if total else 0.0

    @property
    def rate(self) -> float:
        """Samples per second over the steps so far."""
        total = self.waiting + self.computing
        return self.samples / total if total else 0.0

    @property
    def elapsed(self) -> float:
        """Wall time since the epoch started (seconds)."""
        return time.perf_counter() - self.started


class Bar:
    """A tqdm bar for one epoch (hidden when not on a terminal or with --show_progressbar false)."""

    def __init__(self, epoch: int, total: int, done: int, show: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=done, desc=f"Epoch {epoch}", unit="step", leave=False,
                        disable=None if show else True, dynamic_ncols=True)

    def update(self, step: int, loss: float, rate: float) -> None:
        """Advance one step showing the global step, the epoch's running loss and throughput."""
        self.bar.set_postfix_str(f"step {step}, loss {loss:.3f}, {rate:.1f} samples/s", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()


class Summaries:
    """TensorBoard scalars under ``<dir>/train`` and ``<dir>/dev`` (nothing when the dir is empty)."""

    def __init__(self, directory: str) -> None:
        self.writers: dict[str, Any] = {}
        if directory:
            import tensorflow as tf

            for name in ("train", "dev"):
                self.writers[name] = tf.summary.create_file_writer(str(Path(directory) / name))

    def scalars(self, name: str, step: int, values: dict[str, float]) -> None:
        """Write ``values`` at ``step`` into writer ``name``."""
        writer = self.writers.get(name)
        if writer is None:
            return
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        # tf.summary.scalar lives in the tensorboard package; the raw write with the scalars plugin's
        # metadata gives TensorBoard the same records without depending on it
        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = "scalars"
        with writer.as_default():
            for key, value in values.items():
                tf.summary.write(key, tf.constant(float(value), tf.float32), step=step,
                                 metadata=metadata.SerializeToString())

    def close(self) -> None:
        """Flush and close the writers."""
        for writer in self.writers.values():
            writer.close()


def epoch_line(epoch: int, meter: EpochMeter, lr: float, dev: Any | None) -> str:
    """``Epoch 3 | train loss 12.345 | dev loss 10.1 WER 0.52 CER 0.21 | lr 0.001 | 12.3 s | 84.0 samples/s ...``."""
    train_loss = meter.loss_sum / meter.steps if meter.steps else float("nan")
    parts = [f"Epoch {epoch}", f"train loss {train_loss:.3f}"]
    if dev is not None:
        parts.append(f"dev loss {dev.loss:.3f} WER {dev.wer:.3f} CER {dev.cer:.3f}")
    parts += [f"lr {lr:g}", f"{meter.elapsed:.1f} s", f"{meter.rate:.1f} samples/s",
              f"waiting for input {meter.wait_share:.0%}"]
    return " | ".join(parts)


Echo = Callable[[str], None]
