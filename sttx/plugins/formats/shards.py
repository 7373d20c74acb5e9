"""Sharded corpora: TFRecord shards of tf.train.Example (encoded audio, transcript, duration) plus a JSON index.

``sttx data convert SRC... corpus.shards.json --shards N`` writes ``corpus-00000-of-0000N.tfrecord``... beside the
index. The index lists the shards and, per sample, its shard, record offset, duration and transcript, so that a
collection is read without opening a shard (length-sorted batch plans need every duration up front) and every
sample is read by one seek (each worker of a multi-worker run decodes only its replicas' share). The shards are
plain TFRecord files of tf.train.Example, so tf.data reads them too (sttx.plugins.formats.shard_stream), and
training can give each worker its own shard files instead (``sttx train --shard_input file``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.errors import DataError, UsageError
from sttx.core.contract.registry import SampleFormat
from sttx.core.contract.samples import SampleRef
from sttx.core.data.audio import AudioError, AudioInfo, audio_info, encode_audio, read_audio
from sttx.core.tf_runtime import load_tensorflow
from sttx.plugins.formats.shard_index import FORMAT, RECORD_HEAD, RECORD_TAIL, VERSION, load_index

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import Sample

EXTENSION = ".shards.json"
_BYTES_PER_SECOND = 32000  # a WAV-equivalent size, so rows sort as DeepSpeech's CSV rows do


def shard_name(index_path: Path, shard: int, shards: int) -> str:
    """``corpus-00001-of-00004.tfrecord`` for ``corpus.shards.json``."""
    stem = index_path.name[: -len(EXTENSION)] if index_path.name.endswith(EXTENSION) else index_path.stem
    return f"{stem}-{shard:05d}-of-{shards:05d}.tfrecord"


@attrs.frozen
class ShardRecord:
    """One sample inside a shard: the record at ``offset`` of ``length`` payload bytes."""

    path: str
    offset: int
    length: int

    def record_location(self) -> tuple[str, int, int]:
        """(shard file, record offset, payload length): how tf.data service workers read the record in-graph."""
        return self.path, self.offset, self.length

    def payload(self, name: str) -> bytes:
        """The serialized tf.train.Example."""
        try:
            with Path(self.path).open("rb") as handle:
                handle.seek(self.offset + RECORD_HEAD)
                data = handle.read(self.length)
        except OSError as error:
            raise AudioError(name, f"cannot read shard {self.path}: {error.strerror}") from None
        if len(data) != self.length:
            raise AudioError(name, f"truncated shard {self.path} (wanted {self.length} bytes at {self.offset})")
        return data

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode the record's audio."""
        return read_audio(audio_bytes(self.payload(name), name), target_rate=target_rate, name=name)

    def info(self, name: str) -> AudioInfo:
        """Rate, channels and length of the record's audio, from its header."""
        return audio_info(audio_bytes(self.payload(name), name), name=name)


def audio_bytes(payload: bytes, name: str) -> bytes:
    """The ``audio`` feature of a serialized tf.train.Example."""
    tf = load_tensorflow()

    try:
        example = tf.train.Example.FromString(payload)
        return bytes(example.features.feature["audio"].bytes_list.value[0])
    except (ValueError, IndexError, KeyError) as error:
        raise AudioError(name, f"not an sttx shard record ({error})") from None


def example(sample: Sample, audio: bytes) -> bytes:
    """A sample as a serialized tf.train.Example: audio (encoded file bytes), transcript, duration, id."""
    tf = load_tensorflow()

    def text(value: str) -> Any:
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode("utf-8")]))

    feature = {"audio": tf.train.Feature(bytes_list=tf.train.BytesList(value=[audio])),
               "transcript": text(sample.transcript or ""), "id": text(str(sample.id)),
               "duration": tf.train.Feature(float_list=tf.train.FloatList(value=[sample.duration]))}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_shards(samples: Iterable[Sample], path: Path, *, shards: int = 1) -> int:
    """Write ``shards`` TFRecord files (sample i into shard i mod N) and the index; returns the sample count."""
    tf = load_tensorflow()

    if shards < 1:
        raise UsageError(f"--shards {shards}: at least 1")
    path = Path(path)
    names = [shard_name(path, k, shards) for k in range(shards)]
    offsets, rows = [0] * shards, []
    totals = [{"file": name, "samples": 0, "seconds": 0.0} for name in names]
    writers = [tf.io.TFRecordWriter(str(path.parent / name)) for name in names]
    try:
        for count, sample in enumerate(samples):
            k = count % shards
            payload = example(sample, encode_audio(sample.audio, sample.sample_rate))
            writers[k].write(payload)
            rows.append({"id": str(sample.id), "shard": k, "offset": offsets[k], "length": len(payload),
                         "duration": round(sample.duration, 6), "transcript": sample.transcript or ""})
            offsets[k] += RECORD_HEAD + len(payload) + RECORD_TAIL
            totals[k]["samples"] += 1
            totals[k]["seconds"] += sample.duration
    finally:
        for writer in writers:
            writer.close()
    index = {"format": FORMAT, "version": VERSION, "shards": totals, "samples": rows}
    path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    return len(rows)


def read_shards(path: Path) -> Iterator[SampleRef]:
    """One SampleRef per indexed sample, in the order written."""
    index = load_index(path)
    files = [str(Path(path).parent / shard["file"]) for shard in index["shards"]]
    for number, row in enumerate(index["samples"], start=1):
        where = f"{path} sample {number}"
        try:
            record = ShardRecord(files[int(row["shard"])], int(row["offset"]), int(row["length"]))
            duration = float(row["duration"])
            yield SampleRef(id=str(row["id"]), transcript=str(row["transcript"]), audio=record,
                            size=round(duration * _BYTES_PER_SECOND) + 44, duration=duration, origin=where)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise DataError(f"{where}: malformed index row ({type(error).__name__}: {error})") from None


@hookimpl
def register_sample_formats(register: SampleFormatRegistry) -> None:
    """TFRecord shards behind a JSON index (.shards.json)."""
    register.add("shards", SampleFormat(extensions=(EXTENSION,), read=read_shards, write=write_shards,
                                        description="TFRecord shards + index (sttx data convert --shards N)",
                                        layout=_layout))


def _layout(path: Path) -> Any:
    """The shard files of an index for by-file training input (sttx.plugins.formats.shard_stream.file_layout)."""
    from sttx.plugins.formats.shard_stream import file_layout

    return file_layout(path)
