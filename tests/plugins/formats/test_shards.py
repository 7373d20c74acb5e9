"""Sharded corpora: convert --shards N writes TFRecord shards and an index that every --*_files flag reads."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from sttx.core.contract.errors import DataError, UsageError
from sttx.core.contract.samples import Sample
from sttx.core.data.collections import read_collection
from sttx.plugins.formats import shard_stream
from sttx.plugins.formats.shards import read_shards, write_shards

tf = pytest.importorskip("tensorflow")


def samples(count: int) -> list[Sample]:
    rng = np.random.default_rng(0)
    return [Sample(id=f"s{i}", audio=(rng.uniform(-0.5, 0.5, 1600 * (i + 1))).astype(np.float32),
                   transcript=f"word {i}") for i in range(count)]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.shards.json"
    assert write_shards(samples(7), path, shards=3) == 7
    return path


def test_shards_and_index_round_trip(corpus) -> None:
    files = sorted(p.name for p in corpus.parent.glob("*.tfrecord"))
    assert files == [f"corpus-0000{k}-of-00003.tfrecord" for k in range(3)]
    index = json.loads(corpus.read_text())
    assert [shard["samples"] for shard in index["shards"]] == [3, 2, 2]  # sample i in shard i mod 3
    refs = list(read_shards(corpus))
    originals = samples(7)
    assert [ref.id for ref in refs] == [s.id for s in originals]
    for ref, original in zip(refs, originals, strict=True):
        assert ref.transcript == original.transcript and ref.duration == pytest.approx(original.duration)
        info = ref.audio.info(ref.id)
        assert (info.sample_rate, info.channels, info.frames) == (16000, 1, len(original.audio))
        np.testing.assert_allclose(ref.load().audio, original.audio, atol=1 / 32768)  # 16-bit PCM


def test_the_index_is_a_collection_for_every_files_flag(corpus, pm) -> None:
    refs = read_collection(str(corpus), pm.registries().sample_formats)
    assert len(refs) == 7 and refs[3].origin == f"{corpus} sample 4"


def test_the_shards_are_plain_tfrecords_for_tf_data(corpus) -> None:
    records = list(tf.data.TFRecordDataset(sorted(map(str, corpus.parent.glob("*.tfrecord")))).map(
        shard_stream.parse).as_numpy_iterator())
    assert sorted(r["id"].decode() for r in records) == [f"s{i}" for i in range(7)]


def test_workers_get_disjoint_files_reshuffled_each_epoch(tmp_path, caplog) -> None:
    path = tmp_path / "c.shards.json"
    write_shards(samples(8), path, shards=4)
    for epoch in range(3):
        dealt = [shard_stream.worker_files(path, w, 2, epoch=epoch, seed=1) for w in range(2)]
        assert sorted(dealt[0] + dealt[1]) == sorted(str(p) for p in tmp_path.glob("*.tfrecord"))
    orders = {tuple(shard_stream.worker_files(path, 0, 1, epoch=e, seed=1)) for e in range(6)}
    assert len(orders) > 1  # the order changes across epochs
    ids = [r["id"].decode() for r in shard_stream.stream(path, 1, 2, epoch=0, seed=1).as_numpy_iterator()]
    assert len(ids) == 4
    with caplog.at_level(logging.WARNING):
        shard_stream.worker_files(path, 0, 3)
    assert "4 shards do not divide evenly among 3 workers" in caplog.text
    with pytest.raises(UsageError, match="4 shard\\(s\\) for 5 workers"):
        shard_stream.worker_files(path, 0, 5)


def test_a_broken_index_names_the_file(tmp_path) -> None:
    bad = tmp_path / "x.shards.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(DataError, match=r"x\.shards\.json: not an sttx shard index"):
        list(read_shards(bad))
    bad.write_text(json.dumps({"format": "sttx-shards", "version": 1, "shards": [], "samples": [{"id": "a"}]}))
    with pytest.raises(DataError, match="sample 1: malformed index row"):
        list(read_shards(bad))


def test_convert_cli_writes_shards_and_refuses_shards_for_other_targets(tmp_path, pm) -> None:
    from click.testing import CliRunner

    from sttx.cli import build_cli
    from sttx.core.training.sample_job import SAMPLE_CSV

    target = tmp_path / "sample.shards.json"
    result = CliRunner().invoke(build_cli(pm), ["data", "convert", str(SAMPLE_CSV), str(target), "--shards", "2",
                                                "--show_progressbar", "false"])
    assert result.exit_code == 0, result.output
    assert len(list(read_shards(target))) == len(read_collection(str(SAMPLE_CSV), pm.registries().sample_formats))
    refused = CliRunner().invoke(build_cli(pm), ["data", "convert", str(SAMPLE_CSV), str(tmp_path / "x.csv"),
                                                 "--shards", "2"])
    assert refused.exit_code == 2 and "--shards does not apply to .csv targets" in refused.output


def test_training_reads_a_shard_index(tmp_path, pm) -> None:
    from sttx.core.training.config import TrainConfig
    from sttx.core.training.loop import train
    from sttx.core.training.sample_job import SAMPLE_CSV

    formats = pm.registries().sample_formats
    refs = sorted(read_collection(str(SAMPLE_CSV), formats), key=lambda ref: ref.size)[:3]
    path = tmp_path / "three.shards.json"
    write_shards((ref.load() for ref in refs), path, shards=2)
    lines: list[str] = []
    result = train(TrainConfig(train_files=str(path), checkpoint_dir=str(tmp_path / "ck"), n_hidden=16, epochs=1,
                               show_progressbar=False, checkpoint_secs=0), pm.registries(), echo=lines.append)
    assert result.global_step == 3 and "train 3 samples in 3 batches" in lines[0]
