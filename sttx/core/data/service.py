"""The input pipeline on tf.data service workers (--data_service grpc://HOST:PORT, `sttx data serve`).

A service worker runs a serialized graph, so nothing written in Python can run there: the samples must come from
a sharded corpus (records read by offset with FixedLengthRecordDataset), the audio must be WAV at the run's sample
rate (tf.audio.decode_wav; `sttx data convert --shards` writes it so), the model's front end is sttx's own
TensorFlow code and every --augment must have a graph implementation (sttx.core.data.graph_stages). The batch
plan is the local pipeline's (same batches, same length bucketing): each planned batch is one source element,
read, decoded, augmented and padded on a service worker, and only the finished batch crosses the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.clock import clock
from sttx.core.contract.errors import UsageError
from sttx.core.data.batching import _finish, _lengths
from sttx.core.data.graph_stages import GraphStages, check_graph_capable

#: TFRecord framing before a record's payload: its length (8 bytes) and the length's CRC (4)
_RECORD_HEAD = 12


def locations(refs: Any, rows: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Shard file, payload offset, length and bytes after it, per row; a ref not in a shard is a usage error."""
    files, offsets, lengths = [], np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64)
    after, sizes = np.zeros(len(rows), np.int64), {}
    for i, row in enumerate(rows):
        where = getattr(refs[row].audio, "record_location", None) if row >= 0 else None
        if row >= 0 and where is None:
            raise UsageError(f"--data_service reads sharded corpora only (sttx data convert ... X.shards.json "
                             f"--shards N): {refs[row].where} is not in one")
        path, offset, length = where() if where else ("", 0, 0)
        files.append(path)
        offsets[i], lengths[i] = offset + _RECORD_HEAD, length
        if path:  # FixedLengthRecordDataset wants the bytes after the record too: the service reads one record
            size = sizes[path] = sizes[path] if path in sizes else Path(path).stat().st_size
            after[i] = size - offsets[i] - length
    return files, offsets, lengths, after


def _seeding(pipeline: Any, plan: Any, filled: dict[str, np.ndarray], epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the sample index augmentations are seeded with (copies offset by the set size), and its clock."""
    s = pipeline.settings
    index = filled["index"] + filled["copy"] * len(pipeline.refs)
    clocks = [clock(epoch, s["epochs"], int(position), plan.count, s["clock"]) for position in filled["position"]]
    return index, np.asarray(clocks, np.float64)


def plan_elements(pipeline: Any, plan: Any, epoch: int = 0) -> dict[str, np.ndarray]:
    """One element per planned batch: its rows' shard locations, labels, CTC minimum frames, ids, and the sample
    index and clock of their augmentations."""
    filled = plan.filled()
    width = max(1, int(plan.sizes.max())) if len(plan.sizes) else 1
    rows = filled["index"]
    files, offsets, lengths, after = locations(pipeline.refs, rows)
    labels = [pipeline.labels[r] if r >= 0 else np.zeros(0, np.int32) for r in rows]
    longest = max([len(label) for label in labels] + [1])
    padded = np.zeros((len(rows), longest), np.int32)
    for i, label in enumerate(labels):
        padded[i, : len(label)] = label
    shape = (-1, width)
    index, clocks = _seeding(pipeline, plan, filled, epoch)
    return {"index": index.reshape(shape), "clock": clocks.reshape(shape),
            "file": np.asarray(files, dtype=object).reshape(shape), "offset": offsets.reshape(shape),
            "length": lengths.reshape(shape), "after": after.reshape(shape),
            "labels": padded.reshape((-1, width, longest)),
            "label_length": np.asarray([len(label) for label in labels], np.int32).reshape(shape),
            "min_frames": np.asarray([pipeline.min_frames[r] if r >= 0 else 0 for r in rows]).reshape(shape),
            "id": np.asarray([str(pipeline.refs[r].id) if r >= 0 else "" for r in rows], dtype=object).reshape(
                shape)}


def _decode_row(row: dict[str, Any], stages: GraphStages) -> dict[str, Any]:
    import tensorflow as tf

    rate, width = stages.sample_rate, stages.front_end.n_features
    labels = row["labels"][: row["label_length"]]

    def read() -> Any:
        record = tf.data.FixedLengthRecordDataset(row["file"], row["length"], header_bytes=row["offset"],
                                                  footer_bytes=row["after"])
        payload = record.take(1).get_single_element()
        audio = tf.io.parse_single_example(payload, {"audio": tf.io.FixedLenFeature([], tf.string)})["audio"]
        wave, found = tf.audio.decode_wav(audio, desired_channels=1)
        check = tf.debugging.assert_equal(found, rate, message="--data_service: shard audio at another "
                                          "sample rate than --audio_sample_rate (convert again)")
        with tf.control_dependencies([check]):
            return stages.features(wave[:, 0], row["index"], row["clock"], tf.shape(labels)[0],
                                   tf.cast(row["min_frames"], tf.int32))

    real = row["length"] > 0
    features = tf.cond(real, read, lambda: tf.zeros([0, width], tf.float32))
    keep = tf.logical_and(real, tf.shape(features)[0] >= tf.cast(row["min_frames"], tf.int32))
    return {"features": tf.ensure_shape(features, [None, width]), "labels": labels, "id": row["id"], "keep": keep}


def service_batches(pipeline: Any, plan: Any, *, address: str, job: str, keep_empty: bool, epoch: int = 0) -> Any:
    """The planned batches of ``plan`` (of ``epoch``), made on the tf.data service at ``address`` (job ``job``)."""
    import tensorflow as tf

    check_graph_capable([a for chain in pipeline.chains.values() for _, a in chain])
    s = pipeline.settings
    stages = GraphStages(pipeline.chains, pipeline.front_end, int(s["sample_rate"]), int(s["seed"]), epoch)
    source = tf.data.Dataset.from_tensor_slices(plan_elements(pipeline, plan, epoch))

    def one_batch(batch: dict[str, Any]) -> Any:
        # rows in parallel (order kept): one batch uses all of a worker's cores when augmentation is heavy
        rows = tf.data.Dataset.from_tensor_slices(batch).map(lambda row: _decode_row(row, stages),
                                                             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return rows.map(_lengths).padded_batch(tf.shape(batch["offset"], out_type=tf.int64)[0]).map(_finish)

    batches = source.flat_map(one_batch)
    # each planned batch is one source element: dynamic sharding hands whole batches to the service workers
    served = batches.apply(tf.data.experimental.service.distribute(
        processing_mode=tf.data.experimental.service.ShardingPolicy.DYNAMIC, service=address, job_name=job))
    return served if keep_empty else served.filter(lambda b: tf.size(b["ids"]) > 0)


def start_server(role: str, *, port: int, dispatcher: str = "", worker_address: str = "") -> Any:
    """Start a tf.data service dispatcher or worker in this process; returns the server (``join()`` to serve).

    :param role: ``dispatcher`` or ``worker``
    :param dispatcher: a worker's dispatcher, ``HOST:PORT`` (a ``grpc://`` prefix is dropped)
    :param worker_address: how the dispatcher reaches this worker [default: ``localhost:PORT``]
    """
    import tensorflow as tf

    service = tf.data.experimental.service
    if role == "dispatcher":
        return service.DispatchServer(service.DispatcherConfig(port=port))
    if not dispatcher:
        raise UsageError("a tf.data service worker needs --dispatcher_address HOST:PORT")
    address = dispatcher.removeprefix("grpc://")
    config = service.WorkerConfig(dispatcher_address=address, port=port,
                                  worker_address=worker_address or "localhost:%port%")
    return service.WorkerServer(config)
