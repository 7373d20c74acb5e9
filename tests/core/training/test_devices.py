"""Devices before a run: the CPU allocator pools memory, CPU replicas share the cores, and GPUs without a GPU
(memory growth follows --use_allow_growth, and a GPU TensorFlow cannot use is explained)."""

from __future__ import annotations

import os
from typing import Any

import attrs
import pytest

from sttx.core.training import devices

tf = pytest.importorskip("tensorflow")


@attrs.frozen
class Fake:
    name: str
    device_type: str = "GPU"


@pytest.fixture
def growth(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """Two fake GPUs; records the memory growth set on each."""
    set_to: dict[str, bool] = {}
    gpus = [Fake("/physical_device:GPU:0"), Fake("/physical_device:GPU:1")]
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth",
                        lambda device, value: set_to.__setitem__(device.name, value))
    return set_to


@attrs.frozen
class Config:
    use_allow_growth: bool = True


def test_memory_growth_is_on_by_default_and_off_on_request(growth: dict[str, bool]) -> None:
    assert devices.prepare(Config()) == []
    assert growth == {"/physical_device:GPU:0": True, "/physical_device:GPU:1": True}
    devices.prepare(Config(use_allow_growth=False))
    assert set(growth.values()) == {False}


def no_gpu_visible(monkeypatch: pytest.MonkeyPatch, *, cuda_build: bool) -> None:
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    monkeypatch.setattr(devices, "nvidia_gpu_present", lambda: True)
    info = {"is_cuda_build": cuda_build, "cuda_version": "12.5", "cudnn_version": "9"}
    monkeypatch.setattr(tf.sysconfig, "get_build_info", lambda: info)


def test_a_gpu_hidden_by_cuda_visible_devices_is_named(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    no_gpu_visible(monkeypatch, cuda_build=True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    [warning] = devices.prepare(Config())
    assert "CUDA_VISIBLE_DEVICES='-1' hides it" in warning and warning in caplog.text


def test_a_cpu_only_tensorflow_says_how_to_get_the_cuda_build(monkeypatch: pytest.MonkeyPatch) -> None:
    no_gpu_visible(monkeypatch, cuda_build=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    [warning] = devices.prepare(Config())
    assert "CPU-only build" in warning and 'pip install "sttx[cuda]"' in warning


def test_a_cuda_build_that_finds_no_gpu_points_at_driver_and_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    no_gpu_visible(monkeypatch, cuda_build=True)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    [warning] = devices.prepare(Config())
    assert "built for CUDA 12.5, cuDNN 9" in warning and "nvidia-smi" in warning


def test_no_gpu_in_the_machine_is_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    no_gpu_visible(monkeypatch, cuda_build=False)
    monkeypatch.setattr(devices, "nvidia_gpu_present", lambda: False)
    assert devices.prepare(Config()) == []


def test_auto_picks_mirrored_for_several_gpus(monkeypatch: pytest.MonkeyPatch, growth: dict[str, bool]) -> None:
    from sttx.core.training.distribution import pick

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert pick("auto", len(tf.config.list_physical_devices("GPU"))) == "mirrored"
    assert pick("auto", 1) == "one" and pick("mirrored", 0) == "mirrored"


@attrs.frozen
class ThreadConfig:
    inter_op_parallelism_threads: int = 0
    intra_op_parallelism_threads: int = 0


def test_thread_flags_size_tensorflows_pools_and_zero_leaves_them(monkeypatch: pytest.MonkeyPatch) -> None:
    sized: dict[str, int] = {}
    for kind in ("inter", "intra"):
        monkeypatch.setattr(tf.config.threading, f"set_{kind}_op_parallelism_threads",
                            lambda n, kind=kind: sized.__setitem__(kind, n))
    devices.set_threads(tf, ThreadConfig())
    assert sized == {}
    devices.set_threads(tf, ThreadConfig(inter_op_parallelism_threads=3, intra_op_parallelism_threads=1))
    assert sized == {"inter": 3, "intra": 1}


def test_cpu_memory_is_pooled_unless_the_environment_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    no_gpu_visible(monkeypatch, cuda_build=False)
    monkeypatch.delenv(devices.CPU_ALLOCATOR_VARIABLE, raising=False)
    devices.prepare(Config())
    assert os.environ[devices.CPU_ALLOCATOR_VARIABLE] == "true"
    monkeypatch.setenv(devices.CPU_ALLOCATOR_VARIABLE, "false")
    devices.prepare(Config())
    assert os.environ[devices.CPU_ALLOCATOR_VARIABLE] == "false"


@pytest.fixture
def intra(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """TensorFlow's intra-op pool size as the fake threading API holds it (0: TensorFlow picks)."""
    pool = {"intra": 0}
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: pool["intra"])
    monkeypatch.setattr(tf.config.threading, "set_intra_op_parallelism_threads",
                        lambda n: pool.__setitem__("intra", n))
    return pool


@pytest.mark.parametrize(("cores", "replicas", "threads"), [(2, 2, 1), (8, 2, 4), (8, 3, 2), (2, 4, 1), (8, 1, 0)])
def test_cpu_replicas_each_get_their_share_of_the_cores(monkeypatch: pytest.MonkeyPatch, intra: dict[str, int],
                                                        cores: int, replicas: int, threads: int) -> None:
    from sttx.core.training.distribution import share_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    share_cores(tf, replicas)
    assert intra["intra"] == threads


def test_an_intra_op_flag_outranks_the_share(monkeypatch: pytest.MonkeyPatch, intra: dict[str, int]) -> None:
    from sttx.core.training.distribution import share_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    intra["intra"] = 3  # --intra_op_parallelism_threads 3, set before the strategy
    share_cores(tf, 2)
    assert intra["intra"] == 3


@pytest.mark.parametrize(("strategy", "gpus", "shared"), [("mirrored", 0, [2]), ("one", 0, []), ("mirrored", 2, [])])
def test_only_mirrored_cpu_replicas_share_the_cores(monkeypatch: pytest.MonkeyPatch, strategy: str, gpus: int,
                                                     shared: list[int]) -> None:
    from sttx.core.training import distribution

    calls: list[int] = []
    fakes = [Fake(f"/physical_device:GPU:{i}") for i in range(gpus)]
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: fakes if kind == "GPU" else [])
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: fakes if kind == "GPU" else [
        Fake("/device:CPU:0", "CPU"), Fake("/device:CPU:1", "CPU")])
    monkeypatch.setattr(distribution, "share_cores", lambda tf, replicas: calls.append(replicas))
    monkeypatch.setattr(distribution, "split_cpu", lambda count: None)
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda devices, cross_device_ops=None: "mirrored")
    monkeypatch.setattr(tf.distribute, "OneDeviceStrategy", lambda device: "one")
    assert distribution.make_strategy(strategy, cpu_devices=2) == strategy
    assert calls == shared


class FakeLibc:
    """Records mallopt calls; answers 1 (accepted) as glibc does."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> FakeLibc:
    import ctypes
    import platform

    fake = FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: fake)
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    for _, variable, _ in devices._MALLOPT:
        monkeypatch.delenv(variable, raising=False)
    return fake


def test_malloc_keeps_freed_memory_unless_the_environment_chose(monkeypatch: pytest.MonkeyPatch,
                                                                libc: FakeLibc) -> None:
    devices.pool_cpu_memory()
    assert libc.calls == [(-3, 32 << 20), (-1, 1 << 30), (-2, 64 << 20)]  # mmap threshold, trim threshold, top pad
    libc.calls.clear()
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "0")  # glibc read it at start-up: the user's word stands
    devices.pool_cpu_memory()
    assert [parameter for parameter, _ in libc.calls] == [-3, -2]


def test_another_libc_is_left_alone(monkeypatch: pytest.MonkeyPatch, libc: FakeLibc) -> None:
    import platform

    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    devices.pool_cpu_memory()
    assert libc.calls == []
