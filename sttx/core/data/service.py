"""The input pipeline on tf.data service workers (--data_service grpc://HOST:PORT, `sttx data serve`).

A service worker runs a serialized graph, so nothing written in Python can run there: the samples must come from
a sharded corpus (records read by offset with FixedLengthRecordDataset), the audio must be WAV at the run's sample
rate (tf.audio.decode_wav; `sttx data convert --shards` writes it so) and the MFCC is sttx's own TensorFlow code.
The batch plan is the local pipeline's (same batches, same length bucketing): each planned batch is one source
element, read, decoded and padded on a service worker, and only the finished batch crosses the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.errors import UsageError
from sttx.core.data.batching import _finish, _lengths
from sttx.core.data.features import N_INPUT, mfcc_from_spectrogram, spectrogram

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


def plan_elements(pipeline: Any, plan: Any) -> dict[str, np.ndarray]:
    """One element per planned batch: its rows' shard locations, labels, CTC minimum frames and ids."""
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
    return {"file": np.asarray(files, dtype=object).reshape(shape), "offset": offsets.reshape(shape),
            "length": lengths.reshape(shape), "after": after.reshape(shape),
            "labels": padded.reshape((-1, width, longest)),
            "label_length": np.asarray([len(label) for label in labels], np.int32).reshape(shape),
            "min_frames": np.asarray([pipeline.min_frames[r] if r >= 0 else 0 for r in rows]).reshape(shape),
            "id": np.asarray([str(pipeline.refs[r].id) if r >= 0 else "" for r in rows], dtype=object).reshape(
                shape)}


def _decode_row(row: dict[str, Any], sample_rate: int) -> dict[str, Any]:
    import tensorflow as tf

    def read() -> Any:
        record = tf.data.FixedLengthRecordDataset(row["file"], row["length"], header_bytes=row["offset"],
                                                  footer_bytes=row["after"])
        payload = record.take(1).get_single_element()
        audio = tf.io.parse_single_example(payload, {"audio": tf.io.FixedLenFeature([], tf.string)})["audio"]
        wave, rate = tf.audio.decode_wav(audio, desired_channels=1)
        check = tf.debugging.assert_equal(rate, sample_rate, message="--data_service: shard audio at another "
                                          "sample rate than --audio_sample_rate (convert again)")
        with tf.control_dependencies([check]):
            return mfcc_from_spectrogram(spectrogram(wave[:, 0]), sample_rate)

    real = row["length"] > 0
    features = tf.cond(real, read, lambda: tf.zeros([0, N_INPUT], tf.float32))
    labels = row["labels"][: row["label_length"]]
    keep = tf.logical_and(real, tf.shape(features)[0] >= tf.cast(row["min_frames"], tf.int32))
    return {"features": tf.ensure_shape(features, [None, N_INPUT]), "labels": labels, "id": row["id"], "keep": keep}


def service_batches(pipeline: Any, plan: Any, *, address: str, job: str, keep_empty: bool) -> Any:
    """The planned batches of ``plan``, made on the tf.data service at ``address`` (job name ``job``)."""
    import tensorflow as tf

    if any(pipeline.chains[domain] for domain in pipeline.chains):
        raise UsageError("--data_service: --augment runs in Python, which tf.data service workers cannot run; "
                         "train without augmentations or without --data_service")
    rate = int(pipeline.settings["sample_rate"])
    source = tf.data.Dataset.from_tensor_slices(plan_elements(pipeline, plan))

    def one_batch(batch: dict[str, Any]) -> Any:
        rows = tf.data.Dataset.from_tensor_slices(batch).map(lambda row: _decode_row(row, rate))
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
