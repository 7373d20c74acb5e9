"""Streaming a sharded corpus with tf.data: each worker its own shard files (auto-sharding by file), their order
reshuffled every epoch, records interleaved across files. ``file_layout`` tells sttx's by-file training input
(``sttx train --shard_input file``) the shards of an index; ``stream`` serves your own tf.data code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.errors import DataError
from sttx.core.contract.samples import FileLayout
from sttx.core.data.file_input import check_division, deal
from sttx.plugins.formats.shard_index import RECORD_HEAD, RECORD_TAIL, load_index


def _files(index_path: str | Path, index: dict[str, Any]) -> list[str]:
    return [str(Path(index_path).parent / shard["file"]) for shard in index["shards"]]


def worker_files(index_path: str | Path, worker: int, workers: int, *, epoch: int = 0, seed: int = 0) -> list[str]:
    """The shard files of ``worker`` (0-based) among ``workers`` in their reading order of ``epoch``: the files are
    permuted with a generator seeded from ``seed`` and dealt round-robin (the same files for every epoch, so a host
    needs only its own), and each worker's order is reshuffled every epoch (sttx.core.data.file_input.deal). Warns
    when the shards do not divide evenly among the workers."""
    files = _files(index_path, load_index(Path(index_path)))
    check_division(len(files), workers, str(index_path))
    return [files[i] for i in deal(len(files), worker, workers, epoch=epoch, seed=seed)]


def parse(record: Any) -> dict[str, Any]:
    """A serialized record as tensors: ``audio`` (encoded file bytes), ``transcript``, ``id``, ``duration``."""
    import tensorflow as tf

    spec = {"audio": tf.io.FixedLenFeature([], tf.string), "transcript": tf.io.FixedLenFeature([], tf.string),
            "id": tf.io.FixedLenFeature([], tf.string), "duration": tf.io.FixedLenFeature([], tf.float32)}
    return tf.io.parse_single_example(record, spec)


def audio_records(path: Any) -> Any:
    """The encoded audio of every record of one shard file, in record order."""
    import tensorflow as tf

    spec = {"audio": tf.io.FixedLenFeature([], tf.string)}
    records = tf.data.TFRecordDataset(path, buffer_size=1 << 20)
    return records.map(lambda record: tf.io.parse_single_example(record, spec)["audio"])


def file_layout(index_path: Path) -> FileLayout:
    """The shards of an index, the samples each holds (positions in the index's order) and their sizes."""
    index = load_index(index_path)
    files = _files(index_path, index)
    members: list[list[int]] = [[] for _ in files]
    ends = [0] * len(files)
    for number, row in enumerate(index["samples"]):
        try:
            shard, offset, length = int(row["shard"]), int(row["offset"]), int(row["length"])
            members[shard].append(number)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise DataError(f"{index_path} sample {number + 1}: malformed index row ({type(error).__name__}: "
                            f"{error})") from None
        ends[shard] = max(ends[shard], offset + RECORD_HEAD + length + RECORD_TAIL)
    return FileLayout(files=tuple(files), rows=tuple(np.asarray(m, dtype=np.int64) for m in members),
                      sizes=tuple(ends), records=audio_records)


def stream(index_path: str | Path, worker: int = 0, workers: int = 1, *, epoch: int = 0, seed: int = 0,
           cycle_length: int = 4) -> Any:
    """A ``tf.data.Dataset`` of this worker's records, ``cycle_length`` files read in an interleave."""
    import tensorflow as tf

    files = worker_files(index_path, worker, workers, epoch=epoch, seed=seed)
    names = tf.data.Dataset.from_tensor_slices(files)
    records = names.interleave(tf.data.TFRecordDataset, cycle_length=max(1, min(cycle_length, len(files))),
                               num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return records.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
