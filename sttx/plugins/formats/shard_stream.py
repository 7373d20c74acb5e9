"""Streaming a sharded corpus with tf.data: each worker its own shard files (auto-sharding by file), their order
reshuffled every epoch, records interleaved across files; for input that is read once, front to back (a tf.data
service worker, or a pass over a corpus too large to plan)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from sttx.plugins.formats.shards import load_index

log = logging.getLogger(__name__)

#: the features of every record
_FEATURES = ("audio", "transcript", "id", "duration")


def worker_files(index_path: str | Path, worker: int, workers: int, *, epoch: int = 0, seed: int = 0) -> list[str]:
    """The shard files of ``worker`` (0-based) among ``workers`` for ``epoch``: the files are permuted with a
    generator seeded from (seed, epoch), then dealt round-robin, so every epoch pairs workers with other shards
    and every worker's reading order changes. Warns when the shards do not divide evenly among the workers."""
    index = load_index(Path(index_path))
    files = [str(Path(index_path).parent / shard["file"]) for shard in index["shards"]]
    if len(files) < workers:
        from sttx.core.contract.errors import UsageError

        raise UsageError(f"{index_path}: {len(files)} shard(s) for {workers} workers; convert again with "
                         f"--shards {workers} or a multiple of it")
    if len(files) % workers:
        log.warning("%s: %d shards do not divide evenly among %d workers (%d get one more); use a multiple of %d",
                    index_path, len(files), workers, len(files) % workers, workers)
    order = np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, 0x5A4D])).permutation(len(files))
    return [files[i] for i in order[worker::workers]]


def parse(record: Any) -> dict[str, Any]:
    """A serialized record as tensors: ``audio`` (encoded file bytes), ``transcript``, ``id``, ``duration``."""
    import tensorflow as tf

    spec = {"audio": tf.io.FixedLenFeature([], tf.string), "transcript": tf.io.FixedLenFeature([], tf.string),
            "id": tf.io.FixedLenFeature([], tf.string), "duration": tf.io.FixedLenFeature([], tf.float32)}
    return tf.io.parse_single_example(record, spec)


def stream(index_path: str | Path, worker: int = 0, workers: int = 1, *, epoch: int = 0, seed: int = 0,
           cycle_length: int = 4) -> Any:
    """A ``tf.data.Dataset`` of this worker's records, ``cycle_length`` files read in an interleave."""
    import tensorflow as tf

    files = worker_files(index_path, worker, workers, epoch=epoch, seed=seed)
    names = tf.data.Dataset.from_tensor_slices(files)
    records = names.interleave(tf.data.TFRecordDataset, cycle_length=max(1, min(cycle_length, len(files))),
                               num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return records.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
