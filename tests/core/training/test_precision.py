"""--automatic_mixed_precision picks float16 on GPUs, bfloat16 on CPUs with bf16 instructions, else float32."""

from __future__ import annotations

from sttx.core.training import precision


def test_policy_by_device() -> None:
    assert precision.choose_policy(False, gpu=True) == "float32"
    assert precision.choose_policy(True, gpu=True) == "mixed_float16"
    assert precision.choose_policy(True, gpu=False, flags={"avx512f", "amx_bf16"}) == "mixed_bfloat16"
    assert precision.choose_policy(True, gpu=False, flags={"avx512_bf16"}) == "mixed_bfloat16"
    assert precision.choose_policy(True, gpu=False, flags={"avx2"}) == "float32"


def test_only_float16_scales_the_loss() -> None:
    assert precision.needs_loss_scaling("mixed_float16")
    assert not precision.needs_loss_scaling("mixed_bfloat16")


def test_cpu_flags_read_from_cpuinfo(tmp_path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags\t\t: fpu avx512_bf16 amx_bf16\n")
    assert {"amx_bf16", "avx512_bf16"} <= precision.cpu_flags(cpuinfo)
    assert precision.cpu_flags(tmp_path / "missing") == set()
