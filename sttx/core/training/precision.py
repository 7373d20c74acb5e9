"""--automatic_mixed_precision: float16 on GPUs, bfloat16 on CPUs with native bf16 matmuls, else float32."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: /proc/cpuinfo flags that make bfloat16 matmuls faster than float32 (oneDNN uses them)
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
FLOAT32 = "float32"
BF16 = "mixed_bfloat16"
FP16 = "mixed_float16"


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The CPU feature flags the kernel reports (empty when unknown, e.g. not Linux)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def has_gpu() -> bool:
    """True when TensorFlow sees a GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def choose_policy(enabled: bool, *, gpu: bool | None = None, flags: set[str] | None = None) -> str:
    """The Keras dtype policy for a run: float32 unless mixed precision is asked for and the device has a fast type.

    :param gpu: whether a GPU trains (default: ask TensorFlow)
    :param flags: CPU flags (default: /proc/cpuinfo)
    """
    if not enabled:
        return FLOAT32
    if gpu if gpu is not None else has_gpu():
        return FP16
    found = cpu_flags() if flags is None else flags
    if any(flag in found for flag in BF16_CPU_FLAGS):
        return BF16
    log.warning("--automatic_mixed_precision: this CPU has no bfloat16 instructions (%s); training in float32",
                " or ".join(BF16_CPU_FLAGS))
    return FLOAT32


def needs_loss_scaling(policy: str) -> bool:
    """float16 underflows small gradients, so it needs loss scaling; bfloat16 has float32's exponent range."""
    return policy == FP16


def describe(policy: str) -> str:
    """A short name for the first line of a run."""
    return {FLOAT32: "float32", BF16: "bfloat16 mixed precision", FP16: "float16 mixed precision"}[policy]
