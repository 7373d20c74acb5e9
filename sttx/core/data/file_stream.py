"""tf.data for by-file input (``--shard_input file``): this worker's shard files interleaved, length-bucketed within
windows of batches, decoded and featurized by the normal pipeline's stages, cut into per-replica batches.

Every worker computes, from the index alone, the same epoch deal (sttx.core.data.file_input) and so the same step
count; each stream is a pure function of (seed, epoch, worker count, worker), so a restart skips batches exactly.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.errors import DataError, UsageError
from sttx.core.data.batching import planned_batches, prefetched
from sttx.core.data.bucketing import length_keys
from sttx.core.data.file_input import EpochDeal, FileSet, check_division, deal_epoch

log = logging.getLogger(__name__)

#: batches whose records are sorted by length together: larger windows pad less and hold more audio in memory
WINDOW_BATCHES = 16
#: shard files each worker reads at once (records alternate among them)
CYCLE_LENGTH = 4
_WINDOW_SALT = 0x3D1F


def window_order(durations: np.ndarray, batch_size: int, *, seed: int, epoch: int, worker: int,
                 window: int) -> np.ndarray:
    """The positions of one window's records as ``[batches, batch_size]``: sorted by duration (stable), cut into
    batches, and the batches shuffled with a generator from (seed, epoch, worker, window)."""
    batches = np.argsort(durations, kind="stable").reshape(-1, batch_size)
    key = [seed & 0xFFFFFFFF, epoch, worker, window, _WINDOW_SALT]
    return batches[np.random.default_rng(np.random.SeedSequence(key)).permutation(len(batches))].astype(np.int64)


@attrs.frozen
class StepSizes:
    """Samples per training step of one epoch (what the loop counts as the position inside the epoch)."""

    sizes: np.ndarray


class ByFileEpochs:
    """The training input read by file: ``for_worker(epoch, skip, worker)`` is worker ``worker``'s stream.

    ``base`` is the run's sample-mode pipeline at the per-replica batch size: its transcript checks, labels,
    rejects, augmentation chains and feature code are used unchanged. ``local`` is the number of replicas per
    worker: each takes one batch of a worker's consecutive ``local`` batches per step.
    """

    by_file = True

    def __init__(self, base: Any, fileset: FileSet, *, workers: int, local: int) -> None:
        self.base, self.fileset = base, fileset
        self.workers, self.local = workers, max(1, local)
        self.batch_size = int(base.settings["batch_size"])
        self.seed = int(base.settings["seed"])
        self.refs, self.ordered, self.rejects = base.refs, base.ordered, base.rejects
        self.usable = np.zeros(len(base.refs), dtype=bool)
        self.usable[base.ordered] = True
        self.durations = length_keys(base.refs).astype(np.float32)
        self._deals: dict[int, EpochDeal] = {}
        self._reading: tuple[str, ...] = ()
        check_division(len(fileset), workers, ", ".join(dict.fromkeys(fileset.sources)))
        first = self.deal(0)  # the deal is the same every epoch: so are the counts
        if not first.steps:
            raise UsageError(f"--shard_input file: a worker holds {int(first.counts.min())} usable sample(s), fewer "
                             f"than one step's {first.per_step} (--train_batch_size x its replicas); use fewer "
                             "workers, a smaller batch, or --shard_input sample")

    @property
    def layout(self) -> str:
        """``file/W``: what a checkpoint records, so that a restart knows whether the stream is the same."""
        return f"file/{self.workers}"

    def deal(self, epoch: int) -> EpochDeal:
        """The files, sample counts and step count of ``epoch``."""
        if epoch not in self._deals:
            self._deals[epoch] = deal_epoch(self.fileset, self.usable, workers=self.workers, epoch=epoch,
                                            per_step=self.local * self.batch_size, seed=self.seed,
                                            copies=self.base.copies)
        return self._deals[epoch]

    def plan(self, epoch: int) -> StepSizes:
        """Samples per global step of ``epoch``: every step is full."""
        steps = self.deal(epoch).steps
        return StepSizes(np.full(steps, self.batch_size * self.local * self.workers, dtype=np.int64))

    def batches_per_epoch(self, epoch: int = 0) -> int:
        """Training steps of ``epoch`` (the deal changes the counts a little from epoch to epoch)."""
        return self.deal(epoch).steps

    def run_batches(self, epochs: int) -> int:
        """Training steps of the whole run."""
        return sum(self.deal(epoch).steps for epoch in range(epochs))

    def describe(self, epoch: int = 0) -> str:
        """``read by shard file: 2 workers x 4 file(s), 3 sample(s) left out of epoch 1 ...``."""
        dealt = self.deal(epoch)
        low, high = min(len(chosen) for chosen in dealt.files), max(len(chosen) for chosen in dealt.files)
        each = str(low) if low == high else f"{low}-{high}"
        return (f"read by shard file: {self.workers} worker{'s' if self.workers > 1 else ''} x {each} file(s), "
                f"{dealt.dropped} sample(s) left out of epoch {epoch + 1} to keep the workers in step")

    def for_worker(self, epoch: int, skip: int = 0, worker: int = 0) -> Any:
        """Worker ``worker``'s per-replica batches of ``epoch`` from step ``skip`` on (``local`` batches a step)."""
        import tensorflow as tf

        dealt = self.deal(epoch)
        chosen = dealt.files[worker]
        self.fileset.check_files(chosen)
        self._reading = tuple(self.fileset.files[i] for i in chosen)
        total = dealt.steps * dealt.per_step
        log.info("epoch %d, input worker %d of %d: %d shard file(s), %d samples, %d used (%d steps); %d samples "
                 "dropped over all workers", epoch + 1, worker + 1, self.workers, len(chosen),
                 int(dealt.counts[worker]), total, dealt.steps, dealt.dropped)
        per_pass = max(1, int(dealt.counts[worker]) // self.base.copies)
        usable = tf.constant(self.usable)
        records = self._records(chosen).filter(lambda record: tf.gather(usable, record["index"]))
        records = records.repeat(self.base.copies).take(total).enumerate().map(
            lambda n, record: dict(record, copy=n // per_pass))
        span = WINDOW_BATCHES * self.batch_size
        batches = records.batch(span).enumerate().map(self._arrange(epoch, worker, span)).unbatch()
        elements = batches.skip(skip * self.local).unbatch()  # skipped before decoding: a resume decodes nothing twice
        elements = self.base.augment_features(self.base.featurize(elements, epoch, total, encoded=True), epoch, total)
        return prefetched(planned_batches(elements, self.batch_size, keep_empty=True))

    def _records(self, chosen: np.ndarray) -> Any:
        """``{audio, index}`` of every record of the ``chosen`` files, ``CYCLE_LENGTH`` files interleaved."""
        import tensorflow as tf

        names = tf.constant([self.fileset.files[i] for i in chosen])
        rows = tf.constant(np.concatenate([self.fileset.rows[i] for i in chosen]), dtype=tf.int64)
        bounds = tf.constant(np.cumsum([0, *(len(self.fileset.rows[i]) for i in chosen)]), dtype=tf.int64)
        reader = self.fileset.records

        def one_file(i: Any) -> Any:
            indices = tf.data.Dataset.from_tensor_slices(rows[bounds[i]:bounds[i + 1]])
            return tf.data.Dataset.zip((reader(names[i]), indices)).map(
                lambda audio, index: {"audio": audio, "index": index})

        return tf.data.Dataset.range(len(chosen)).interleave(
            one_file, cycle_length=min(CYCLE_LENGTH, len(chosen)), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True)

    def _arrange(self, epoch: int, worker: int, span: int) -> Any:
        """A window of records -> its batches ``[n, batch]``, length-sorted, in a shuffled order, with positions."""
        import tensorflow as tf

        durations, size, seed = tf.constant(self.durations), self.batch_size, self.seed

        def order(values: np.ndarray, window: Any) -> np.ndarray:
            return window_order(values, size, seed=seed, epoch=epoch, worker=worker, window=int(window))

        def arrange(window: Any, records: dict[str, Any]) -> dict[str, Any]:
            rows = tf.numpy_function(order, [tf.gather(durations, records["index"]), window], tf.int64)
            rows = tf.reshape(rows, [-1, size])
            out = {key: tf.gather(value, rows) for key, value in records.items()}
            out["position"] = window * span + tf.reshape(tf.range(tf.size(rows, out_type=tf.int64)), [-1, size])
            return out

        return arrange

    def read_error(self, error: Exception) -> DataError:
        """The one-line error for a failed read (a corrupt record): the shard file at fault, found by reading this
        worker's files one by one."""
        import tensorflow as tf

        for path in self._reading:
            try:  # count the file's records: reading them through is what fails on the corrupt one
                self.fileset.records(tf.constant(path)).reduce(tf.constant(0, tf.int64), lambda count, _: count + 1)
            except (tf.errors.OpError, ValueError) as failure:
                return DataError(f"{path}: corrupt shard ({_first_line(failure)}); convert the corpus again")
        return DataError(f"reading the shard files {', '.join(self._reading)} failed: {_first_line(error)}")


def _first_line(error: Exception) -> str:
    message = getattr(error, "message", str(error)).strip().splitlines()
    return message[0][:200] if message else type(error).__name__
