"""Training on several replicas: MirroredStrategy over 2 logical CPU devices and MultiWorkerMirroredStrategy with 2
worker processes on 127.0.0.1 train exactly as one device does with the same global batch; resume; a dead worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sttx.core.data.bucketing import plan_epoch
from sttx.core.training.distributed_input import continue_epoch, reposition
from sttx.core.training.distribution import Role, pick, tf_config_role
from sttx.core.training.run_state import LoopState
from tests.core.training.test_training import write_clips

ROOT = Path(__file__).resolve().parents[3]
#: the loss and weights of 2 replicas against one device: float32 sums in another order, nothing more
LOSS_RTOL, WEIGHT_ATOL = 1e-4, 2e-5


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_clips(tmp_path_factory.mktemp("six") / "six.csv", 6)


def settings(directory: Path, clips: str, **overrides: Any) -> dict[str, Any]:
    base = {"train_files": clips, "checkpoint_dir": str(directory), "n_hidden": 24, "epochs": 1,
            "train_batch_size": 2, "dropout_rate": 0.0, "checkpoint_secs": 0, "show_progressbar": False,
            "learning_rate": 0.003}
    return {**base, **overrides}


def start(config: dict[str, Any], out: Path, *, stop_at: int = 0, env: dict[str, str] | None = None,
          log: Path | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.core.training.replica_run", json.dumps(config), str(out)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    environment.pop("TF_CONFIG", None) if env is None or "TF_CONFIG" not in env else None
    sink = log.open("w") if log is not None else subprocess.PIPE
    return subprocess.Popen([*command, *([str(stop_at)] if stop_at else [])], cwd=ROOT, env=environment,
                            stdout=sink, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 600) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def in_process(config: dict[str, Any], out: Path, stop_at: int = 0) -> None:
    from tests.core.training.replica_run import main

    main(json.dumps(config), str(out), stop_at)


def loaded(path: Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    data = np.load(path)
    weights = [data[f"w{i}"] for i in range(sum(1 for key in data.files if key.startswith("w")))]
    return weights, {key: data[key].item() for key in ("global_step", "chief", "train_loss")}


def assert_same_training(one: Path, many: Path) -> None:
    (a, fa), (b, fb) = loaded(one), loaded(many)
    assert fa["global_step"] == fb["global_step"]
    assert fb["train_loss"] == pytest.approx(fa["train_loss"], rel=LOSS_RTOL)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, atol=WEIGHT_ATOL)


# -- fast: the planning -------------------------------------------------------------------------------------------
def test_replica_shares_split_every_planned_batch() -> None:
    plan = plan_epoch(np.arange(11), 4, copies=2, shuffle=True, seed=3, epoch=1)
    shares = [plan.share(r, 3) for r in range(3)]
    assert all(len(share.sizes) == len(plan.sizes) for share in shares)  # every replica steps every batch
    for b, size in enumerate(plan.sizes):
        rows = np.concatenate([share.index[share.batch == b] for share in shares])
        np.testing.assert_array_equal(rows, plan.index[plan.batch == b])  # the union is exactly the batch
        assert sorted(int(share.sizes[b]) for share in shares) in ([1, 1, 2], [1, 1, 1], [0, 1, 2], [0, 0, 1])
        assert int(sum(share.sizes[b] for share in shares)) == size
    assert plan.share(0, 1) is plan


def test_a_different_global_batch_continues_from_the_same_sample() -> None:
    assert reposition(np.array([4, 4, 4, 3]), 8) == (2, 8)
    assert reposition(np.array([8, 7]), 4) == (0, 0)  # rounded down: those 4 samples are seen again
    pipeline = type("P", (), {"plan": lambda self, epoch: type("Q", (), {"sizes": np.array([8, 8, 4])})()})()
    state = LoopState(epoch=1, step_in_epoch=4, global_batch=4, samples_in_epoch=16)
    note = continue_epoch(state, pipeline, replicas=2, per_replica=4)
    assert (state.step_in_epoch, state.samples_in_epoch, state.global_batch) == (2, 16, 8)
    assert "global batch of 4" in note and "2 replicas x 4" in note and "sample 16 of 20" in note
    assert continue_epoch(state, pipeline, replicas=2, per_replica=4) == ""


def test_a_nan_names_the_files_of_every_local_replica() -> None:
    """The ids and per-sample losses of a step come back per replica; the loop gets them in one list."""
    from sttx.core.training.distributed_input import local_ids_and_losses

    tf = pytest.importorskip("tensorflow")
    replicas = {"ids": (tf.constant([b"a.wav", b"b.wav"]), tf.constant([b"c.wav"])),
                "losses": (tf.constant([1.0, np.nan]), tf.constant([np.inf]))}
    strategy = type("TwoReplicas", (), {"experimental_local_results": lambda self, value: replicas[value]})()
    names, losses = local_ids_and_losses(strategy, {"ids": "ids"}, "losses")
    assert names == ["a.wav", "b.wav", "c.wav"]
    assert [n for n, bad in zip(names, ~np.isfinite(losses), strict=True) if bad] == ["b.wav", "c.wav"]


def test_roles_come_from_tf_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert tf_config_role() == Role() and pick("auto", 0) == "one" and pick("auto", 2) == "mirrored"
    cluster = {"worker": ["a:1", "b:2", "c:3"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert tf_config_role() == Role(0, 3, chief=True) and pick("auto", 0) == "multi_worker"
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {**cluster, "chief": ["z:0"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert tf_config_role() == Role(1, 4, chief=False)


# -- the one multi-replica training check of the default suite ------------------------------------------------
def test_two_mirrored_cpu_replicas_train_as_one_device(tmp_path, six) -> None:
    """Global batch 4 = 2 replicas x 2 against 1 device x 4: same loss and weights after 2 steps."""
    mirrored = start(settings(tmp_path / "two", six, strategy="mirrored", cpu_devices=2), tmp_path / "two.npz")
    in_process(settings(tmp_path / "one", six, strategy="one", train_batch_size=4), tmp_path / "one.npz")
    lines = finish(mirrored).splitlines()
    threads = max(1, len(os.sched_getaffinity(0)) // 2)  # each replica its share of the cores
    assert any("Distribution: MirroredStrategy, 2 replicas on CPU:0, CPU:1; batch 2 per replica, 4 global; "
               f"each op on {threads} thread" in line for line in lines), lines
    assert_same_training(tmp_path / "one.npz", tmp_path / "two.npz")


@pytest.mark.slow
def test_exact_resume_on_two_replicas_and_a_restart_on_one(tmp_path, six) -> None:
    """k + (N-k) == N on 2 replicas; then a restart on 1 replica continues from the same sample and says so."""
    config = settings(tmp_path / "whole", six, strategy="mirrored", cpu_devices=2, train_batch_size=1, epochs=2)
    finish(start(config, tmp_path / "whole.npz"))  # 3 global batches of 2 per epoch: 6 steps
    split = {**config, "checkpoint_dir": str(tmp_path / "split")}
    finish(start(split, tmp_path / "first.npz", stop_at=4))
    second = finish(start(split, tmp_path / "second.npz"))
    assert "global step 4" in second
    whole, _ = loaded(tmp_path / "whole.npz")
    resumed, figures = loaded(tmp_path / "second.npz")
    assert figures["global_step"] == 6
    for a, b in zip(whole, resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    other = {**split, "checkpoint_dir": str(tmp_path / "other"), "epochs": 2}
    finish(start(other, tmp_path / "o.npz", stop_at=1))  # step 1 of epoch 1: 2 samples in
    lines = finish(start({**other, "strategy": "one", "cpu_devices": 0}, tmp_path / "one.npz"))
    assert "global batch of 2, this run's is 1 (1 replica x 1): continuing epoch 1 from sample 2 of 6" in lines


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster_env(workers: int) -> list[dict[str, str]]:
    cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
    return [{"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})}
            for i in range(workers)]


@pytest.mark.slow
def test_two_worker_processes_train_as_one_device_and_only_the_chief_writes(tmp_path, six) -> None:
    config = settings(tmp_path / "mw", six, strategy="multi_worker", collective_timeout=120)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    workers = [start(config, tmp_path / f"w{i}.npz", env={**env, "TMPDIR": str(scratch)})
               for i, env in enumerate(cluster_env(2))]
    in_process(settings(tmp_path / "one", six, strategy="one", train_batch_size=4), tmp_path / "one.npz")
    outputs = [finish(worker) for worker in workers]
    assert "over 2 workers (this process is the chief)" in outputs[0]
    assert "over 2 workers (this process is the worker 1 (not the chief))" in outputs[1]
    assert_same_training(tmp_path / "one.npz", tmp_path / "w0.npz")
    assert_same_training(tmp_path / "one.npz", tmp_path / "w1.npz")
    assert loaded(tmp_path / "w0.npz")[1]["chief"] and not loaded(tmp_path / "w1.npz")[1]["chief"]
    assert sorted(p.name for p in (tmp_path / "mw").iterdir()) == ["alphabet.txt", "flags.txt", "rejects.csv",
                                                                  "summaries", "train-2"]
    assert not list(scratch.glob("sttx-worker1-*"))  # worker 1 saved into a scratch dir, removed at the end


#: how long the survivor may take to notice a dead peer and exit (TensorFlow's health check, or the timeout)
DEAD_PEER_BOUND = 150.0


def cli_worker(config: dict[str, Any], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """``sttx train`` as a user starts it on each host."""
    args = [arg for key, value in config.items() for arg in (f"--{key}", str(value).lower()
                                                              if isinstance(value, bool) else str(value))]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.Popen([sys.executable, "-m", "sttx", "train", *args], cwd=ROOT, env=environment,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_a_killed_worker_makes_the_other_exit_with_one_line(tmp_path, six) -> None:
    config = settings(tmp_path / "mw", six, strategy="multi_worker", epochs=50, collective_timeout=30)
    logs = [tmp_path / "chief.log", tmp_path / "worker.log"]
    scratch = tmp_path / "tmp"  # the killed worker cannot remove its scratch dir: keep it out of /tmp
    scratch.mkdir()
    workers = [cli_worker(config, {**env, "TMPDIR": str(scratch)}, logs[i]) for i, env in enumerate(cluster_env(2))]
    try:
        deadline = time.monotonic() + 600
        while "Epoch 1 |" not in logs[0].read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Epoch 1 |" in logs[0].read_text(), logs[0].read_text()[-2000:]
        workers[1].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        code = workers[0].wait(timeout=DEAD_PEER_BOUND)
        assert time.monotonic() - killed < DEAD_PEER_BOUND
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    output = logs[0].read_text()
    assert code == 1 and "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "training stopped: a worker of the cluster failed or is unreachable" in errors[0]


def test_multi_worker_without_tf_config_is_a_usage_error(tmp_path, six, monkeypatch, pm) -> None:
    from sttx.core.contract.errors import UsageError
    from sttx.core.training.config import TrainConfig
    from sttx.core.training.loop import train

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UsageError, match="--strategy multi_worker needs TF_CONFIG"):
        train(TrainConfig(**settings(tmp_path, six, strategy="multi_worker")), pm.registries())


@pytest.mark.parametrize("tf_config", [
    '{"cluster": 3, "task": {"type": "worker", "index": 0}}',
    '{"cluster": {"worker": "127.0.0.1:1"}, "task": {"type": "worker", "index": 0}}',
    '{"cluster": {"worker": ["127.0.0.1:1"]}}',
    "worker=127.0.0.1:1",
])
def test_a_malformed_tf_config_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tf_config: str) -> None:
    """Named in one line before TensorFlow sees it (its own TypeError read as a bug in sttx)."""
    from sttx.core.contract.errors import UsageError
    from sttx.core.training.distribution import make_strategy

    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(UsageError, match="TF_CONFIG is not valid JSON with 'cluster' and 'task'"):
        make_strategy("multi_worker")


def test_the_per_device_datasets_of_tf_distribute_do_not_autotune(monkeypatch: pytest.MonkeyPatch) -> None:
    """Their autotuning thread made deleting an epoch's iterator wait ~10 s on one worker while the others waited."""
    import tensorflow as tf
    from tensorflow.python.data.ops import multi_device_iterator_ops as built

    from sttx.core.training.distributed_input import quiet_device_datasets

    monkeypatch.setattr(built, "_create_device_dataset", lambda *args, **kwargs: tf.data.Dataset.range(3))
    assert built._create_device_dataset().options().autotune.enabled is not False  # tf.data's default: on
    assert quiet_device_datasets()
    wrapped = built._create_device_dataset
    assert quiet_device_datasets() and built._create_device_dataset is wrapped  # wrapped once, however often asked
    made = built._create_device_dataset()
    assert made.options().autotune.enabled is False and list(made.as_numpy_iterator()) == [0, 1, 2]
    monkeypatch.delattr(built, "_create_device_dataset")
    assert quiet_device_datasets() is False  # a TensorFlow without it: left as it is
