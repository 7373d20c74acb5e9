"""Devices before a run: the CPU allocator, thread pools (--inter/intra_op_parallelism_threads), GPU memory growth
(--use_allow_growth), and why a GPU the machine has cannot be used."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: TensorFlow reads it once, when it creates its CPU allocator (the first device), so it is set before that
CPU_ALLOCATOR_VARIABLE = "TF_CPU_ALLOCATOR_USE_BFC"


def prepare(config: Any) -> list[str]:
    """Set memory growth on every GPU TensorFlow sees (unless --use_allow_growth false) and warn when the machine
    has a GPU TensorFlow cannot use; returns the warnings given. Must run before TensorFlow initialises GPUs."""
    pool_cpu_memory()
    import tensorflow as tf

    set_threads(tf, config)
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, bool(getattr(config, "use_allow_growth", True)))
        except (RuntimeError, ValueError) as error:  # already initialised (a second run in one process)
            log.debug("memory growth of %s unchanged: %s", gpu.name, error)
    warnings = [] if gpus else unusable_gpu_reasons(tf)
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def pool_cpu_memory() -> None:
    """Have TensorFlow keep the CPU memory it frees for reuse (its best-fit-with-coalescing allocator), unless the
    environment already says otherwise.

    Its default CPU allocator maps every large tensor afresh, so the kernel faults in and zeroes every page again
    on each step. With two replicas in one process (--cpu_devices 2) that was ten times the page faults of one
    device and a third of the step (2.1M against 0.2M minor faults in 65 steps of the conformer); pooled, two
    replicas step as fast as one device. Peak memory is the same; it is kept rather than given back.
    """
    os.environ.setdefault(CPU_ALLOCATOR_VARIABLE, "true")


def set_threads(tf: Any, config: Any) -> None:
    """Size TensorFlow's thread pools as DeepSpeech's flags of the same names did (0 keeps TensorFlow's choice)."""
    for kind in ("inter", "intra"):
        threads = int(getattr(config, f"{kind}_op_parallelism_threads", 0) or 0)
        if not threads:
            continue
        setter = getattr(tf.config.threading, f"set_{kind}_op_parallelism_threads")
        try:
            setter(threads)
        except RuntimeError as error:  # the runtime already started (a second run in one process)
            log.debug("--%s_op_parallelism_threads unchanged: %s", kind, error)


def nvidia_gpu_present() -> bool:
    """Whether the machine has an NVIDIA GPU (its driver's device files or nvidia-smi)."""
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/version").exists() or bool(
        shutil.which("nvidia-smi"))


def unusable_gpu_reasons(tf: Any) -> list[str]:
    """Why TensorFlow sees no GPU on a machine that has one (empty when there is none to see)."""
    if not nvidia_gpu_present():
        return []
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return [f"This machine has an NVIDIA GPU but CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']!r} "
                "hides it: training runs on the CPU"]
    build = tf.sysconfig.get_build_info()
    if not build.get("is_cuda_build"):
        return ["This machine has an NVIDIA GPU but this TensorFlow is a CPU-only build: training runs on the CPU "
                "(pip install \"sttx[cuda]\" installs tensorflow[and-cuda])"]
    return [f"This machine has an NVIDIA GPU but TensorFlow (built for CUDA {build.get('cuda_version', '?')}, "
            f"cuDNN {build.get('cudnn_version', '?')}) cannot use it: check the driver version (nvidia-smi) and the "
            "CUDA libraries (pip install \"sttx[cuda]\"); training runs on the CPU"]
