"""By-file input, the counting side: the deal of shard files to workers and the equal step count of every worker."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sttx.core.contract.errors import DataError, UsageError
from sttx.core.contract.samples import FileLayout
from sttx.core.data.file_input import FileSet, check_division, combine, deal, deal_epoch
from sttx.core.data.file_stream import window_order


def fileset(sizes: list[int]) -> FileSet:
    """Files of ``sizes`` samples, rows numbered consecutively."""
    bounds = np.cumsum([0, *sizes])
    rows = tuple(np.arange(bounds[i], bounds[i + 1]) for i in range(len(sizes)))
    return FileSet(tuple(f"f{i}" for i in range(len(sizes))), rows, (0,) * len(sizes), ("x",) * len(sizes), str)


def test_every_file_goes_to_one_worker_for_the_run_and_the_reading_order_changes_every_epoch() -> None:
    deals = [[deal(10, w, 3, epoch=e, seed=7) for w in range(3)] for e in range(5)]
    for workers in deals:
        assert sorted(np.concatenate(workers).tolist()) == list(range(10))
        assert sorted(len(files) for files in workers) == [3, 3, 4]
        assert [sorted(files.tolist()) for files in workers] == [sorted(files.tolist()) for files in deals[0]]
    assert len({tuple(workers[2]) for workers in deals}) > 2  # worker 2 reads its files in new orders
    np.testing.assert_array_equal(deal(10, 1, 3, epoch=2, seed=7), deals[2][1])  # a pure function of its inputs
    assert sorted(deal(10, 0, 3, seed=8).tolist()) != sorted(deals[0][0].tolist())  # the seed picks the deal
    assert sorted(deal(10, 0, 2, seed=7).tolist()) != sorted(deals[0][0].tolist())  # and so does the worker count


def test_all_workers_take_the_steps_the_smallest_share_fills_and_the_rest_is_counted_as_dropped() -> None:
    files = fileset([5, 3, 4, 6])
    usable = np.ones(18, dtype=bool)
    usable[[0, 1]] = False  # two samples of file 0 failed the transcript checks: they are not counted
    for epoch in range(5):
        dealt = deal_epoch(files, usable, workers=2, per_step=2, epoch=epoch, seed=1)
        per_file = {0: 3, 1: 3, 2: 4, 3: 6}
        assert dealt.counts.tolist() == [sum(per_file[int(i)] for i in chosen) for chosen in dealt.files]
        assert dealt.steps == min(dealt.counts) // 2
        assert dealt.dropped == 16 - dealt.steps * 2 * 2
    copies = deal_epoch(files, usable, workers=2, per_step=2, epoch=0, seed=1, copies=3)
    once = deal_epoch(files, usable, workers=2, per_step=2, epoch=0, seed=1)
    assert copies.counts.tolist() == (once.counts * 3).tolist()
    one = deal_epoch(files, usable, workers=1, per_step=4, epoch=0, seed=1)
    assert (one.steps, one.dropped) == (4, 0)


def test_too_few_shards_is_an_error_and_an_uneven_deal_a_warning(caplog) -> None:
    with pytest.raises(UsageError, match=r"t\.shards\.json: 2 shard\(s\) for 3 workers; convert again with --shards 3"):
        check_division(2, 3, "t.shards.json")
    with caplog.at_level(logging.WARNING):
        check_division(5, 2, "t.shards.json")
        check_division(4, 2, "t.shards.json")
    assert caplog.text.count("do not divide evenly") == 1
    assert "5 shards do not divide evenly among 2 workers (1 get one more)" in caplog.text


def test_combined_collections_number_rows_as_the_run_reads_them() -> None:
    a = FileLayout(files=("a0", "a1"), rows=(np.array([0, 2]), np.array([1])), sizes=(10, 20), records=str)
    b = FileLayout(files=("b0",), rows=(np.array([0, 1]),), sizes=(30,), records=str)
    files = combine([("a.shards.json", a, 0), ("b.shards.json", b, 3)])
    assert files.files == ("a0", "a1", "b0") and files.sizes == (10, 20, 30)
    assert [r.tolist() for r in files.rows] == [[0, 2], [1], [3, 4]]
    assert files.sources == ("a.shards.json", "a.shards.json", "b.shards.json")
    other = FileLayout(files=("c0",), rows=(np.array([0]),), sizes=(1,), records=repr)
    with pytest.raises(UsageError, match="sharded in different formats"):
        combine([("a", a, 0), ("c", other, 3)])


def test_a_missing_or_resized_shard_is_named(tmp_path) -> None:
    shard = tmp_path / "c-00000-of-00001.tfrecord"
    shard.write_bytes(b"x" * 10)
    files = FileSet((str(shard), str(tmp_path / "gone.tfrecord")), (np.arange(1), np.arange(1)), (12, 5),
                    ("c.shards.json", "c.shards.json"), str)
    with pytest.raises(DataError, match=r"c-00000-of-00001\.tfrecord: 10 bytes where c\.shards\.json says 12"):
        files.check_files([0])
    with pytest.raises(DataError, match=r"gone\.tfrecord: shard file missing \(listed in c\.shards\.json\)"):
        files.check_files([1])


def test_a_window_is_cut_into_length_sorted_batches_in_a_seeded_order() -> None:
    durations = np.array([5.0, 1.0, 4.0, 2.0, 6.0, 3.0, 8.0, 7.0])
    batches = window_order(durations, 2, seed=1, epoch=0, worker=0, window=0)
    assert sorted(tuple(sorted(durations[b].tolist())) for b in batches) == [(1, 2), (3, 4), (5, 6), (7, 8)]
    orders = {tuple(window_order(durations, 2, seed=1, epoch=e, worker=0, window=0)[:, 0]) for e in range(6)}
    assert len(orders) > 1  # the batch order is reshuffled per epoch
    again = window_order(durations, 2, seed=1, epoch=3, worker=0, window=0)
    np.testing.assert_array_equal(again, window_order(durations, 2, seed=1, epoch=3, worker=0, window=0))
