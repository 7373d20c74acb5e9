"""The tf.data input pipeline: batch contract, determinism, rejects, clock, feature cache, copies, resume, padding."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest
import soundfile

from sttx.core.contract.augmentation import Augmentation, param
from sttx.core.contract.clock import ClockModeError, clock
from sttx.core.contract.samples import SampleRef
from sttx.core.data import bucketing, features
from sttx.core.data.alphabet import Alphabet
from sttx.core.data.pipeline import make_dataset
from sttx.core.data.rejects import RejectLog, TooManyRejectsError, ctc_min_frames
from sttx.core.data.sources import FileAudio

tf = pytest.importorskip("tensorflow")

ALPHABET = Alphabet(list(" abcdefghijklmnopqrstuvwxyz'"))
WORDS = ["speech", "to", "text", "hello", "world", "a", "tree", "falls", "in", "the", "forest"]


@attrs.frozen(kw_only=True)
class Noise(Augmentation):
    """Sample domain: adds white noise of a drawn level."""

    name: ClassVar[str] = "test_noise"
    domain: ClassVar[str] = "sample"
    level: Any = param(0.01, "float_range", low=0.0)

    def apply(self, data: np.ndarray, params: Any, context: Any) -> np.ndarray:
        return data + np.float32(params["level"]) * context.rng.standard_normal(len(data)).astype(np.float32)


@attrs.frozen(kw_only=True)
class ClockProbe(Augmentation):
    """Features domain: replaces the MFCC by the sample's clock, so tests can read the clock back."""

    name: ClassVar[str] = "test_clock"
    domain: ClassVar[str] = "features"

    def apply(self, data: np.ndarray, params: Any, context: Any) -> np.ndarray:
        return np.full_like(data, context.clock)


@attrs.frozen(kw_only=True)
class Truncate(Augmentation):
    """Sample domain: keeps the first 832 samples (2 frames), too short for any transcript over 2 labels."""

    name: ClassVar[str] = "test_truncate"
    domain: ClassVar[str] = "sample"

    def apply(self, data: np.ndarray, params: Any, context: Any) -> np.ndarray:
        return data[:832]


@attrs.frozen(kw_only=True)
class Louder(Augmentation):
    """Spectrogram domain: multiplies the power by 4."""

    name: ClassVar[str] = "test_louder"
    domain: ClassVar[str] = "spectrogram"

    def apply(self, data: np.ndarray, params: Any, context: Any) -> np.ndarray:
        return data * 4


def _write_corpus(directory: Path, count: int, seed: int) -> list[SampleRef]:
    rng = np.random.default_rng(seed)
    refs = []
    for i in range(count):
        samples = int(rng.integers(8000, 96000))  # 0.5 s to 6 s: mixed lengths
        tone = np.sin(2 * np.pi * rng.uniform(200, 2000) * np.arange(samples) / 16000)
        audio = (0.3 * tone + 0.05 * rng.standard_normal(samples)).astype(np.float32)
        path = directory / f"clip{i:03d}.wav"
        soundfile.write(path, audio, 16000, subtype="PCM_16")
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        refs.append(SampleRef(id=str(path), transcript=text, audio=FileAudio(str(path)), size=path.stat().st_size))
    return refs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[SampleRef]:
    return _write_corpus(tmp_path_factory.mktemp("corpus"), 40, seed=3)


def _epoch(datasets: Any, epoch: int, skip: int = 0) -> list[dict[str, np.ndarray]]:
    return list(datasets.for_epoch(epoch, skip_batches=skip).as_numpy_iterator())


def _same(a: list[dict[str, np.ndarray]], b: list[dict[str, np.ndarray]]) -> None:
    assert len(a) == len(b)
    for left, right in zip(a, b, strict=True):
        for key in left:
            np.testing.assert_array_equal(left[key], right[key], err_msg=key)


def _ids(batches: list[dict[str, np.ndarray]]) -> list[str]:
    return [i.decode() for batch in batches for i in batch["ids"]]


def test_batch_contract(corpus: list[SampleRef]) -> None:
    batches = _epoch(make_dataset(corpus, ALPHABET, batch_size=8, train=False), 0)
    by_id = {ref.id: ref for ref in corpus}
    assert sorted(_ids(batches)) == sorted(by_id)
    assert [len(b["ids"]) for b in batches] == [8] * 5
    for batch in batches:
        assert batch["features"].dtype == np.float32 and batch["features"].shape[2] == features.N_INPUT
        for key in ("feature_lengths", "labels", "label_lengths"):
            assert batch[key].dtype == np.int32
        assert batch["features"].shape[1] == batch["feature_lengths"].max()
        assert batch["labels"].shape[1] == batch["label_lengths"].max()
    batch = batches[2]
    row = 3
    ref = by_id[batch["ids"][row].decode()]
    audio = ref.load().audio
    length = batch["feature_lengths"][row]
    assert length == features.n_frames(len(audio))
    np.testing.assert_allclose(batch["features"][row, :length], features.mfcc(tf.constant(audio)).numpy(), atol=1e-5)
    assert not batch["features"][row, length:].any()
    labels = batch["labels"][row, : batch["label_lengths"][row]]
    assert ALPHABET.decode(labels) == ref.transcript
    # evaluation order is DeepSpeech's: ascending length
    lengths = np.concatenate([b["feature_lengths"] for b in batches])
    assert (np.diff(lengths) >= 0).all()


def test_deterministic_across_runs_and_parallelism(corpus: list[SampleRef]) -> None:
    augment = [Noise(level="0.01:0.1"), ClockProbe(p=0.5)]
    kwargs: dict[str, Any] = {"batch_size": 8, "train": True, "augmentations": augment, "epochs": 3, "seed": 7}
    serial = _epoch(make_dataset(corpus, ALPHABET, num_parallel_calls=1, **kwargs), 1)
    parallel = make_dataset(corpus, ALPHABET, num_parallel_calls=4, **kwargs)
    _same(serial, _epoch(parallel, 1))
    _same(serial, _epoch(parallel, 1))
    other = _epoch(parallel, 2)
    assert _ids(other) != _ids(serial)  # batches reshuffled per epoch
    assert sorted(_ids(other)) == sorted(_ids(serial))


def test_augmentation_domains_apply_in_training_only(corpus: list[SampleRef]) -> None:
    plain = _epoch(make_dataset(corpus, ALPHABET, batch_size=8, train=True, shuffle_batches=False), 0)
    louder = _epoch(
        make_dataset(corpus, ALPHABET, batch_size=8, train=True, shuffle_batches=False, augmentations=[Louder()]), 0
    )
    # x4 power is x2 magnitude: log adds ln 2 in every mel channel, which the DCT puts into c0 only
    shift = louder[0]["features"] - plain[0]["features"]
    rows = plain[0]["feature_lengths"][0]
    np.testing.assert_allclose(shift[0, :rows, 0], np.log(2) * 40 * np.sqrt(2 / 40), atol=1e-3)
    np.testing.assert_allclose(shift[0, :rows, 1:], 0, atol=1e-3)
    evaluation = _epoch(make_dataset(corpus, ALPHABET, batch_size=8, train=False, augmentations=[Louder()]), 0)
    _same(plain, evaluation)


def test_rejects_counted_written_and_checked(corpus: list[SampleRef], tmp_path: Path) -> None:
    short = tmp_path / "short.wav"
    soundfile.write(short, np.zeros(1000, np.float32), 16000)  # 2 frames
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF nonsense")
    bad = [
        SampleRef(id=str(short), transcript="hello", audio=FileAudio(str(short)), size=2000),
        SampleRef(id=str(broken), transcript="hello", audio=FileAudio(str(broken)), size=13),
        SampleRef(id="missing.wav", transcript="hi", audio=FileAudio(str(tmp_path / "no.wav")), size=10),
        SampleRef(id="empty.wav", transcript="  ", audio=FileAudio(str(short)), size=10),
        SampleRef(id="upper.wav", transcript="Hi!", audio=FileAudio(str(short)), size=10),
    ]
    log = RejectLog(tmp_path / "out" / "rejects.csv")
    datasets = make_dataset(corpus + bad, ALPHABET, batch_size=8, train=True, rejects=log)
    assert log.counts() == {"empty_transcript": 1, "unencodable_transcript": 1}  # before decoding, whole set
    batches = _epoch(datasets, 0)
    assert sorted(_ids(batches)) == sorted(ref.id for ref in corpus)
    assert log.counts() == {
        "unreadable_audio": 2, "empty_transcript": 1, "unencodable_transcript": 1, "too_short_for_transcript": 1,
    }
    _epoch(datasets, 1)
    assert len(log) == 5 and log.total == 45  # seen again, counted once
    rows = (tmp_path / "out" / "rejects.csv").read_text().splitlines()
    assert rows[0] == "file,reason,detail"
    assert any(row.startswith(f"{short},too_short_for_transcript,2 frames < 6 needed") for row in rows)
    assert any(row.startswith("upper.wav,unencodable_transcript,") and "H" in row for row in rows)
    log.check(max_rejected=0.2)
    with pytest.raises(TooManyRejectsError, match=r"5 of 45 .*unreadable_audio \(2\)"):
        log.check(max_rejected=0.01)


def test_too_short_after_augmentation(corpus: list[SampleRef]) -> None:
    datasets = make_dataset(corpus[:10], ALPHABET, batch_size=4, train=True, augmentations=[Truncate()])
    kept = _ids(_epoch(datasets, 0))
    needed = {ref.id: ctc_min_frames(ALPHABET.encode(ref.transcript)) for ref in corpus[:10]}
    assert sorted(kept) == sorted(i for i, n in needed.items() if n <= 2)
    assert datasets.rejects.counts() == {"too_short_for_transcript": 10 - len(kept)}


def _clocks(batches: list[dict[str, np.ndarray]]) -> np.ndarray:
    return np.asarray([b["features"][row, 0, 0] for b in batches for row in range(len(b["ids"]))])


@pytest.mark.parametrize("mode", ["run", "epoch"])
def test_clock_modes(corpus: list[SampleRef], mode: str) -> None:
    datasets = make_dataset(
        corpus, ALPHABET, batch_size=8, train=True, epochs=4, clock=mode, augmentations=[ClockProbe()]
    )
    seen = _clocks(_epoch(datasets, 2))
    share = np.arange(40) / 40
    expected = (2 + share) / 4 if mode == "run" else share
    np.testing.assert_allclose(seen, expected, atol=1e-6)


def test_clock_function() -> None:
    assert clock(0, 10, 0, 100) == 0.0
    assert clock(3, 10, 50, 100) == pytest.approx(0.35)
    assert clock(3, 10, 50, 100, "epoch") == pytest.approx(0.5)
    assert clock(12, 10, 0, 100) == 1.0
    with pytest.raises(ClockModeError, match="--augmentation_clock"):
        clock(0, 1, 0, 1, "batch")


def test_augmentations_per_epoch_multiplies(corpus: list[SampleRef]) -> None:
    datasets = make_dataset(
        corpus[:12], ALPHABET, batch_size=4, train=True, augmentations=[Noise(level=0.2)], augmentations_per_epoch=3
    )
    batches = _epoch(datasets, 0)
    ids = _ids(batches)
    assert len(ids) == 36 and all(ids.count(ref.id) == 3 for ref in corpus[:12])
    rows = {}
    for batch in batches:
        for row, sample_id in enumerate(batch["ids"]):
            rows.setdefault(sample_id, []).append(batch["features"][row, : batch["feature_lengths"][row]])
    first = rows[batches[0]["ids"][0]]
    assert not np.allclose(first[0], first[1]) and not np.allclose(first[1], first[2])  # different draws


@pytest.mark.parametrize("cached", [False, True])
def test_skip_batches_is_the_tail_of_the_epoch(corpus: list[SampleRef], tmp_path: Path, cached: bool) -> None:
    cache = str(tmp_path / "features") if cached else None
    kwargs: dict[str, Any] = {"batch_size": 6, "train": True, "epochs": 3, "feature_cache": cache}
    datasets = make_dataset(corpus, ALPHABET, augmentations=[Noise(), ClockProbe(p=0.7)], **kwargs)
    full = _epoch(datasets, 1)
    assert len(full) == datasets.batches_per_epoch() == 7
    _same(full[3:], _epoch(datasets, 1, skip=3))


@pytest.mark.parametrize("cached", [False, True])
def test_epochs_run_without_the_autotuning_thread(corpus: list[SampleRef], tmp_path: Path, cached: bool) -> None:
    # its sleep (up to a minute) stalled every epoch's end: deleting an iterator waited for it, holding the GIL
    cache = str(tmp_path / "features") if cached else None
    for train in (True, False):
        datasets = make_dataset(corpus, ALPHABET, batch_size=6, train=train, feature_cache=cache)
        for share in ((0, 1), (1, 2)):
            assert datasets.for_epoch(0, share=share).options().autotune.enabled is False


def test_feature_cache_written_reused_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refs = _write_corpus(tmp_path, 10, seed=5)
    path = tmp_path / "cache" / "features"
    with caplog.at_level(logging.WARNING):
        datasets = make_dataset(
            refs, ALPHABET, batch_size=4, train=True, augmentations=[Noise()], feature_cache=str(path),
            cache_for_epochs=2, epochs=4,
        )
    assert "test_noise" in caplog.text and "only apply while the cache is filled" in caplog.text
    first = _epoch(datasets, 0)
    assert Path(f"{path}.index").is_file()
    for ref in refs:
        Path(ref.id).unlink()  # from now on only the cache can produce features
    second = _epoch(datasets, 1)
    assert len(datasets.rejects) == 0
    by_id = {i: f for b in first for i, f in zip(b["ids"], b["features"], strict=True)}
    for batch in second:
        for sample_id, feats in zip(batch["ids"], batch["features"], strict=True):
            np.testing.assert_array_equal(feats, by_id[sample_id])  # frozen draws, as DeepSpeech warned
    assert _epoch(datasets, 2) == []  # epoch 2 starts a new cache generation: audio read again, all missing
    assert datasets.rejects.counts() == {"unreadable_audio": 10}


def test_padding_under_15_percent_on_mixed_lengths(tmp_path: Path) -> None:
    refs = _write_corpus(tmp_path, 96, seed=11)
    batches = _epoch(make_dataset(refs, ALPHABET, batch_size=16, train=True, seed=1), 0)
    lengths = [b["feature_lengths"] for b in batches]
    ratio = bucketing.padding_ratio(lengths)
    shuffled = np.concatenate(lengths)[np.random.default_rng(0).permutation(96)]
    unsorted = bucketing.padding_ratio(np.array_split(shuffled, 6))
    assert ratio < 0.15 < unsorted


def test_plan_epoch_batches_and_skip() -> None:
    ordered = np.arange(10)
    plan = bucketing.plan_epoch(ordered, 4, copies=2, shuffle=True, seed=1, epoch=0)
    assert sorted(plan.sizes.tolist()) == [2, 2, 4, 4, 4, 4] and plan.count == 20
    again = bucketing.plan_epoch(ordered, 4, copies=2, shuffle=True, seed=1, epoch=0)
    np.testing.assert_array_equal(plan.index, again.index)
    tail = plan.skip(2)
    start = int(plan.sizes[:2].sum())
    np.testing.assert_array_equal(tail.index, plan.index[start:])
    np.testing.assert_array_equal(tail.position, np.arange(start, 20))
    assert tail.batch[0] == 0 and tail.count == 20
    keys = np.array([5.0, 1.0, 3.0])
    assert bucketing.sorted_indices(np.arange(3), keys).tolist() == [1, 2, 0]
    assert bucketing.sorted_indices(np.arange(3), keys, reverse=True, limit=2).tolist() == [0, 2]


def test_ctc_min_frames() -> None:
    assert ctc_min_frames([1, 2, 3]) == 3
    assert ctc_min_frames([1, 1, 2, 2, 2]) == 8
    assert ctc_min_frames([]) == 0


def test_feature_domain_stays_fresh_behind_the_cache(corpus: list[SampleRef], tmp_path: Path) -> None:
    datasets = make_dataset(
        corpus[:12], ALPHABET, batch_size=4, train=True, epochs=2, augmentations=[ClockProbe()],
        feature_cache=str(tmp_path / "features"),
    )
    first, second = _clocks(_epoch(datasets, 0)), _clocks(_epoch(datasets, 1))
    assert first.max() < 0.5 <= second.min()  # the clock moved although the MFCC came from the cache


def test_cache_of_other_inputs_is_rebuilt(corpus: list[SampleRef], tmp_path: Path) -> None:
    path = tmp_path / "features"
    _epoch(make_dataset(corpus[:8], ALPHABET, batch_size=4, train=True, feature_cache=str(path)), 0)
    note = Path(f"{path}.sttx.json").read_text()
    index = Path(f"{path}.index")
    stamp = index.stat().st_mtime_ns
    _epoch(make_dataset(corpus[:8], ALPHABET, batch_size=4, train=True, feature_cache=str(path)), 1)
    assert index.stat().st_mtime_ns == stamp  # same inputs: reused
    _epoch(make_dataset(corpus[:8], ALPHABET, batch_size=4, train=True, feature_cache=str(path), seed=9), 0)
    assert Path(f"{path}.sttx.json").read_text() != note
    assert index.stat().st_mtime_ns != stamp


def test_limit_and_reverse(corpus: list[SampleRef]) -> None:
    sizes = {ref.id: ref.size for ref in corpus}
    longest = sorted(sizes, key=sizes.__getitem__)[-5:]
    batches = _epoch(make_dataset(corpus, ALPHABET, batch_size=2, train=False, limit=5, reverse=True), 0)
    assert sorted(_ids(batches)) == sorted(longest)
    lengths = np.concatenate([b["feature_lengths"] for b in batches])
    assert (np.diff(lengths) <= 0).all()


@pytest.mark.parametrize("cached", [False, True])
def test_replica_shares_make_up_every_batch(corpus: list[SampleRef], tmp_path: Path, cached: bool) -> None:
    """3 replicas: each planned batch comes out once per replica, and the shares' rows are exactly its rows."""
    cache = str(tmp_path / "cache") if cached else None
    datasets = make_dataset(corpus[:11], ALPHABET, batch_size=4, train=True, seed=5, feature_cache=cache)
    whole = _epoch(datasets, 1, skip=1)
    shares = [list(datasets.for_epoch(1, skip_batches=1, share=(r, 3)).as_numpy_iterator()) for r in range(3)]
    assert all(len(share) == len(whole) for share in shares)  # empty shares included: replicas step together
    for b, batch in enumerate(whole):
        assert [i for share in shares for i in share[b]["ids"]] == list(batch["ids"])
        for share in shares:
            rows = [list(batch["ids"]).index(i) for i in share[b]["ids"]]
            np.testing.assert_array_equal(share[b]["label_lengths"], batch["label_lengths"][rows])
    if cached:
        assert len(list(tmp_path.glob("cache-replica*of3.index"))) == 3
