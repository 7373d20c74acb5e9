"""By-file input, the tf.data side: two workers' streams built side by side (input pipelines 0 and 1 of 2), without
starting a cluster: disjoint files, equal step counts, a new file order each epoch, rejects, a corrupt shard."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sttx.core.contract.errors import DataError, UsageError
from sttx.core.contract.samples import Sample
from sttx.core.data.alphabet import load_alphabet
from sttx.core.data.collections import read_collection
from sttx.core.data.file_input import combine
from sttx.core.data.file_stream import ByFileEpochs
from sttx.core.data.pipeline import make_dataset
from sttx.core.data.rejects import EMPTY_TRANSCRIPT, TOO_SHORT, UNREADABLE
from sttx.plugins.formats import shards
from tests.core.data.test_pipeline import Noise

tf = pytest.importorskip("tensorflow")


def samples(count: int, transcripts: dict[int, str] | None = None) -> list[Sample]:
    rng = np.random.default_rng(1)
    lengths = rng.integers(4000, 16000, count)  # 0.25 to 1 s, in no particular order
    texts = transcripts or {}
    return [Sample(id=f"s{i:02d}", audio=rng.uniform(-0.3, 0.3, lengths[i]).astype(np.float32),
                   transcript=texts.get(i, "a b")) for i in range(count)]


def by_file(path: Path, pm: Any, *, workers: int, batch: int = 2, **settings: Any) -> ByFileEpochs:
    """Both workers' pipeline, as the trainer of each would build it (with one replica per worker)."""
    formats = pm.registries().sample_formats
    refs = read_collection(str(path), formats)
    layout = formats.for_path(str(path))[1].layout(path)
    base = make_dataset(refs, load_alphabet(None), batch_size=batch, train=True, seed=5, epochs=3, **settings)
    return ByFileEpochs(base, combine([(str(path), layout, 0)]), workers=workers, local=1)


def read(pipeline: ByFileEpochs, epoch: int, worker: int, skip: int = 0) -> list[list[str]]:
    return [[i.decode() for i in batch["ids"].numpy()] for batch in pipeline.for_worker(epoch, skip, worker)]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "c.shards.json"
    shards.write_shards(samples(18), path, shards=4)  # 5, 5, 4 and 4 samples
    return path


def test_two_workers_read_disjoint_files_and_take_equal_steps(corpus, pm) -> None:
    pipeline = by_file(corpus, pm, workers=2)
    index = json.loads(corpus.read_text())
    shard_of = {row["id"]: row["shard"] for row in index["samples"]}
    duration = {row["id"]: row["duration"] for row in index["samples"]}
    orders, own = [], [set(pipeline.deal(0).files[w].tolist()) for w in (0, 1)]
    for epoch in range(3):
        dealt = pipeline.deal(epoch)
        streams = [read(pipeline, epoch, worker) for worker in (0, 1)]
        assert [len(stream) for stream in streams] == [dealt.steps] * 2  # every worker steps together
        assert all(len(batch) == 2 for stream in streams for batch in stream)
        ids = [[i for batch in stream for i in batch] for stream in streams]
        for worker in (0, 1):  # each worker reads only the shards dealt to it
            assert {shard_of[i] for i in ids[worker]} <= {int(k) for k in dealt.files[worker]}
        assert not set(ids[0]) & set(ids[1])
        assert len(ids[0]) + len(ids[1]) == 18 - dealt.dropped and len(set(ids[0] + ids[1])) == 18 - dealt.dropped
        for stream in streams:  # length-bucketed: sorted by their shortest clip, the batches never overlap
            spans = sorted((min(duration[i] for i in b), max(duration[i] for i in b)) for b in stream)
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
        orders.append(tuple(dealt.files[0].tolist()))
        assert [set(dealt.files[w].tolist()) for w in (0, 1)] == own  # a worker keeps its shards for the run
        assert read(pipeline, epoch, 1, skip=2) == streams[1][2:]  # a resume skips exactly
    assert len(set(orders)) > 1  # but reads them in another order
    assert pipeline.for_worker(0, 0, 0).options().autotune.enabled is False  # see batching.prefetched
    assert "read by shard file: 2 workers x 2 file(s)" in pipeline.describe()
    with pytest.raises(UsageError, match="a worker holds 8 usable sample\\(s\\), fewer than one step's 10"):
        by_file(corpus, pm, workers=2, batch=10)


def features_by_id(batches: Any) -> dict[str, list[np.ndarray]]:
    rows: dict[str, list[np.ndarray]] = {}
    for batch in batches:
        for row, sample_id in enumerate(batch["ids"].numpy()):
            length = int(batch["feature_lengths"][row])
            rows.setdefault(sample_id.decode(), []).append(batch["features"][row, :length].numpy())
    return rows


def test_copies_and_augmentations_are_those_of_the_sample_mode(corpus, pm) -> None:
    """--augmentations_per_epoch 2 and a noise augmentation: every sample twice, each copy with the very features
    the planned-batch pipeline gives it (the same stages, seeded by sample and copy, not by position)."""
    settings = {"augmentations": [Noise(level=0.1)], "augmentations_per_epoch": 2}
    pipeline = by_file(corpus, pm, workers=1, **settings)
    assert pipeline.deal(1).counts.tolist() == [36]
    by_file_rows = features_by_id(pipeline.for_worker(1, 0, 0))
    planned_rows = features_by_id(pipeline.base.for_epoch(1))
    assert sorted(by_file_rows) == sorted(planned_rows) and all(len(v) == 2 for v in by_file_rows.values())
    for sample_id, copies in by_file_rows.items():
        assert not np.allclose(copies[0], copies[1])  # two draws
        expected = sorted(planned_rows[sample_id], key=lambda f: float(f.sum()))
        for got, want in zip(sorted(copies, key=lambda f: float(f.sum())), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_bad_audio_and_short_clips_are_rejected_and_the_steps_stay(tmp_path, pm, monkeypatch) -> None:
    path = tmp_path / "r.shards.json"
    long_text = {3: "a very long transcript that no quarter second of audio can hold", 5: " "}
    real = shards.encode_audio
    monkeypatch.setattr(shards, "encode_audio", lambda audio, rate: b"RIFF broken" if len(audio) == 0 else
                        real(audio, rate))
    clips = samples(13, long_text)
    clips[3] = Sample(id="s03", audio=np.zeros(4000, np.float32), transcript=long_text[3])
    clips[7] = Sample(id="s07", audio=np.zeros(0, np.float32), transcript="a b")
    shards.write_shards(clips, path, shards=2)
    pipeline = by_file(path, pm, workers=1)
    assert pipeline.deal(0).counts.tolist() == [12]  # the empty transcript is known from the index
    stream = read(pipeline, 0, 0)
    assert len(stream) == 6  # the rejected samples leave their batch short, the step count stays
    seen = {i for batch in stream for i in batch}
    assert not seen & {"s03", "s05", "s07"} and len(seen) == 10
    reasons = {i: reason for i, reason, _ in pipeline.rejects.entries()}
    assert reasons == {"s05": EMPTY_TRANSCRIPT, "s03": TOO_SHORT, "s07": UNREADABLE}


def test_a_corrupt_shard_is_named(corpus, pm) -> None:
    pipeline = by_file(corpus, pm, workers=1)
    shard = corpus.parent / "c-00002-of-00004.tfrecord"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, a record's checksum no longer matches
    shard.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError) as failure:
        read(pipeline, 0, 0)
    error = pipeline.read_error(failure.value)
    assert str(error).startswith(f"{shard}: corrupt shard (") and "\n" not in str(error)
    shard.write_bytes(bytes(data[:-10]))
    with pytest.raises(DataError, match=r"c-00002-of-00004\.tfrecord: \d+ bytes where .*c\.shards\.json says"):
        read(pipeline, 0, 0)
