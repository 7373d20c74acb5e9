"""By-file input of sharded training sets: which data files each worker reads (and in which order each epoch), and
how many steps all workers take so that none waits for a peer that has run out of data.

Pure numpy (no TensorFlow): the tf.data side is sttx.core.data.file_stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.errors import DataError, UsageError

log = logging.getLogger(__name__)

#: --shard_input: auto picks file for shard indexes read by several workers, else sample
SHARD_INPUT = ("auto", "file", "sample")
#: salt the file deal and the per-epoch reading order so they never coincide with the batch-order or augmentation
#: generators
_DEAL_SALT, _ORDER_SALT = 0x5A4D, 0x5A4E


def deal(count: int, worker: int, workers: int, *, epoch: int = 0, seed: int = 0) -> np.ndarray:
    """The files (indices into ``count`` files) of ``worker`` (0-based) among ``workers`` in ``epoch``, in reading
    order. Which files a worker gets depends on (seed, workers) only: the files permuted by a generator seeded from
    the seed, dealt round-robin, so a host needs only its own shards for the whole run. The order it reads them in
    is reshuffled every epoch by a generator seeded from (seed, epoch, worker)."""
    seed &= 0xFFFFFFFF
    mine = np.random.default_rng(np.random.SeedSequence([seed, _DEAL_SALT])).permutation(count)[worker::workers]
    order = np.random.default_rng(np.random.SeedSequence([seed, epoch, worker, _ORDER_SALT]))
    return mine[order.permutation(len(mine))]


def check_division(count: int, workers: int, where: str) -> None:
    """UsageError when there are fewer files than workers; a warning when they do not divide evenly."""
    if count < workers:
        raise UsageError(f"{where}: {count} shard(s) for {workers} workers; convert again with --shards {workers} "
                         "or a multiple of it")
    if count % workers:
        log.warning("%s: %d shards do not divide evenly among %d workers (%d get one more); use a multiple of %d",
                    where, count, workers, count % workers, workers)


@attrs.frozen(eq=False)
class FileSet:
    """The data files of a training set, every collection's in --train_files order.

    :param rows: per file, the positions (in the run's list of refs) of the samples it holds, in record order
    :param sources: per file, the collection (index) that lists it, for messages
    """

    files: tuple[str, ...]
    rows: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    sources: tuple[str, ...]
    records: Callable[[Any], Any]

    def __len__(self) -> int:
        return len(self.files)

    def check_files(self, chosen: Sequence[int]) -> None:
        """DataError naming the first of ``chosen`` files that is missing or not the size its index says."""
        for i in chosen:
            path, expected = Path(self.files[i]), self.sizes[i]
            try:
                actual = path.stat().st_size
            except OSError:
                raise DataError(f"{path}: shard file missing (listed in {self.sources[i]})") from None
            if actual != expected:
                raise DataError(f"{path}: {actual} bytes where {self.sources[i]} says {expected}: a truncated or "
                                "replaced shard; convert the corpus again")


def combine(layouts: Sequence[tuple[str, Any, int]]) -> FileSet:
    """One FileSet from ``(collection, FileLayout, position of its first row among the run's refs)`` triples."""
    readers = {layout.records for _, layout, _ in layouts}
    if len(readers) > 1:
        raise UsageError("--shard_input file: the --train_files are sharded in different formats; convert them "
                         "into one format (sttx data convert ... --shards N)")
    files, rows, sizes, sources = [], [], [], []
    for collection, layout, first in layouts:
        files.extend(layout.files)
        rows.extend(np.asarray(part, dtype=np.int64) + first for part in layout.rows)
        sizes.extend(int(size) for size in layout.sizes)
        sources.extend([collection] * len(layout.files))
    return FileSet(tuple(files), tuple(rows), tuple(sizes), tuple(sources), readers.pop())


@attrs.frozen
class EpochDeal:
    """One epoch of by-file input: every worker's files and usable samples, and the steps all of them take.

    :param files: per worker, its files (indices into the FileSet) in reading order
    :param counts: per worker, the samples it can read (times --augmentations_per_epoch)
    :param steps: training steps of the epoch: the fewest full steps any worker can fill
    :param per_step: samples one worker consumes per step (its replicas x the per-replica batch)
    """

    files: tuple[np.ndarray, ...]
    counts: np.ndarray
    steps: int
    per_step: int

    @property
    def dropped(self) -> int:
        """Samples left unread so that every worker takes ``steps`` steps."""
        return int(self.counts.sum()) - self.steps * self.per_step * len(self.counts)


def deal_epoch(fileset: FileSet, usable: np.ndarray, *, workers: int, per_step: int, epoch: int, seed: int,
               copies: int = 1) -> EpochDeal:
    """Deal ``epoch``'s files and count each worker's samples from the index alone (``usable``: per ref, whether
    it passed the checks made before decoding), so every worker computes the same step count without talking."""
    per_file = np.asarray([int(usable[rows].sum()) for rows in fileset.rows], dtype=np.int64)
    files = tuple(deal(len(fileset), w, workers, epoch=epoch, seed=seed) for w in range(workers))
    counts = np.asarray([int(per_file[chosen].sum()) * copies for chosen in files], dtype=np.int64)
    steps = int(counts.min()) // per_step if len(counts) else 0
    return EpochDeal(files, counts, steps, per_step)
