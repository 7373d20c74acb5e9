"""Training on a sharded corpus read by file (--shard_input): exact resume, a restart on another worker count, two
worker processes each streaming its own shards, and the one-line errors of `sttx train`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.collections import read_collection
from sttx.core.training.distributed_input import restart_by_file
from sttx.core.training.run_state import LoopState
from sttx.core.training.stopping import StopRequest
from sttx.plugins.formats.shards import write_shards
from tests.core.training.test_distributed import cluster_env, finish, loaded, settings, start
from tests.core.training.test_training import config, run, weights, write_clips


def shard_corpus(directory: Path, count: int, shards: int, pm: Any) -> str:
    """The ``count`` shortest sample-corpus clips as a shard index of ``shards`` shards."""
    clips = write_clips(directory / "clips.csv", count)
    samples = [ref.load() for ref in read_collection(clips, pm.registries().sample_formats)]
    path = directory / "train.shards.json"
    write_shards(samples, path, shards=shards)
    return str(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> str:
    from sttx.core.contract.plugins import get_plugin_manager

    pm = get_plugin_manager(load_entrypoints=False, disabled=set())
    return shard_corpus(tmp_path_factory.mktemp("shards"), 6, 3, pm)


def test_resume_by_file_continues_at_the_same_step(tmp_path, corpus, pm) -> None:
    """k + (N-k) == N with --shard_input file on one worker: 3 steps of 2 per epoch, stopped at step 4."""
    registries = pm.registries()
    whole = run(config(tmp_path / "whole", corpus, shard_input="file", train_batch_size=2), registries)
    assert "train 6 samples in 3 batches (read by shard file: 1 worker x 3 file(s), 0 sample(s)" in whole.lines[0]
    first = run(config(tmp_path / "split", corpus, shard_input="file", train_batch_size=2), registries,
                StopRequest(at_step=4))
    assert first.interrupted and first.global_step == 4
    second = run(config(tmp_path / "split", corpus, shard_input="file", train_batch_size=2), registries)
    assert any("continuing at epoch 2, step 1" in line for line in second.lines)
    assert second.global_step == whole.global_step == 6
    for a, b in zip(weights(whole), weights(second), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    sampled = run(config(tmp_path / "split", corpus, shard_input="sample", train_batch_size=2, epochs=3), registries,
                  StopRequest(at_step=7))
    assert any("continuing at epoch 3, step 0" in line for line in sampled.lines)  # an epoch end: nothing to restart
    run(config(tmp_path / "switch", corpus, shard_input="file", train_batch_size=2, epochs=1), registries,
        StopRequest(at_step=1))
    switched = run(config(tmp_path / "switch", corpus, shard_input="sample", train_batch_size=2, epochs=1), registries)
    assert any(line.endswith("reads planned batches (--shard_input sample) at 2: epoch 1 starts over from its first "
                             "step") for line in switched.lines), switched.lines
    assert switched.global_step == 1 + 3


def test_a_mid_epoch_checkpoint_of_another_stream_restarts_the_epoch() -> None:
    state = LoopState(epoch=1, step_in_epoch=3, global_batch=8, samples_in_epoch=24, epoch_loss_sum=9.0,
                      epoch_steps=3, input_layout="file/2")
    note = restart_by_file(state, "file/4", 8)
    assert note == ("The checkpoint stopped at step 3 of epoch 2 reading shard files on 2 workers at a global batch "
                    "of 8; this run reads shard files on 4 workers at 8: epoch 2 starts over from its first step")
    assert (state.step_in_epoch, state.samples_in_epoch, state.epoch_steps, state.input_layout) == (0, 0, 0, "file/4")
    same = LoopState(epoch=1, step_in_epoch=3, global_batch=8, input_layout="file/2")
    assert restart_by_file(same, "file/2", 8) == "" and same.step_in_epoch == 3
    assert "planned batches" in restart_by_file(LoopState(step_in_epoch=2, global_batch=8), "file/2", 8)
    assert restart_by_file(LoopState(step_in_epoch=2, global_batch=8, input_layout="file/2"), "file/2", 4)
    assert restart_by_file(LoopState(step_in_epoch=2, global_batch=4), "sample", 8) == ""  # continue_epoch's case


def test_train_names_a_corrupt_shard_and_refuses_file_input_for_a_csv(tmp_path, pm) -> None:
    index = shard_corpus(tmp_path, 4, 2, pm)
    shard = tmp_path / "train-00001-of-00002.tfrecord"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    args = ["train", "--train_files", index, "--checkpoint_dir", str(tmp_path / "ck"), "--n_hidden", "8",
            "--epochs", "1", "--noshow_progressbar", "--shard_input", "file"]
    result = CliRunner().invoke(build_cli(pm), args)
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert result.exit_code == 1 and errors == [f"Error: {shard}: corrupt shard ({errors[0].split('(', 1)[1]}"]
    assert "Traceback" not in result.output
    args[2] = str(tmp_path / "clips.csv")
    result = CliRunner().invoke(build_cli(pm), args)
    assert result.exit_code == 2 and "Error: --shard_input file reads sharded corpora only" in result.output


def test_two_worker_processes_each_stream_their_own_shards(tmp_path, pm) -> None:
    """`auto` reads by file under 2 workers: 4 shards of 2, 2 steps of 2 per worker, the workers in step."""
    corpus = shard_corpus(tmp_path, 8, 4, pm)
    run_config = settings(tmp_path / "mw", corpus, strategy="multi_worker", collective_timeout=120, epochs=2)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    workers = [start(run_config, tmp_path / f"w{i}.npz", env={**env, "TMPDIR": str(scratch)})
               for i, env in enumerate(cluster_env(2))]
    outputs = [finish(worker, timeout=300) for worker in workers]
    for output in outputs:
        assert "train 8 samples in 2 batches (read by shard file: 2 workers x 2 file(s), 0 sample(s)" in output
    (a, fa), (b, fb) = loaded(tmp_path / "w0.npz"), loaded(tmp_path / "w1.npz")
    assert fa["global_step"] == fb["global_step"] == 4 and np.isfinite(fa["train_loss"])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)  # one model: every step all-reduced over both workers
