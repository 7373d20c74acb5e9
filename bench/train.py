"""Training benchmarks: (a) compute efficiency against this machine's GEMM, (b) bf16 over float32, (c) learning.

Run: ``.venv/bin/python bench/train.py [--part a] [--part b] [--part c] [--minutes 20]`` (default: a and b).

(a) Achieved training FLOP/s of the default model (n_hidden 2048, batch 16, 5 s clips) through sttx's own
    compiled training step, divided by this machine's float32 GEMM FLOP/s: ``tf.matmul`` on the step's own
    matrix shapes, measured in the same run on all cores, the best of them (per-shape figures are printed).
    FLOPs of a step = 3 x the forward matmul FLOPs (forward, plus input- and weight-gradients), counting the
    dense layers, the LSTM's input and recurrent products and the output.
(b) The same step in mixed bfloat16 (--automatic_mixed_precision on a CPU with avx512_bf16/amx) against float32,
    in mirrored blocks so a shared machine's load hits both alike; beside it the bf16/f32 GEMM ratio.
(c) Learning: bench/train_learning.py, run through ``--part c``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N_CLASSES = 29  # the default English alphabet plus the blank
CHARS_PER_SECOND = 15  # label length of a clip: about what read English speech carries


def frames_of(seconds: float, rate: int = 16000) -> int:
    """MFCC frames of a clip (DeepSpeech's 32 ms window every 20 ms)."""
    from sttx.core.data.features import n_frames

    return int(n_frames(int(seconds * rate)))


def forward_gemms(n_hidden: int, batch: int, frames: int, n_classes: int = N_CLASSES) -> list[tuple[int, ...]]:
    """The forward matmuls of one batch as (m, k, n, times): dense layers, the LSTM's input and recurrent products."""
    from sttx.plugins.models.deepspeech import N_WINDOW

    rows, n = batch * frames, n_hidden
    return [
        (rows, N_WINDOW, n, 1),  # layer_1
        (rows, n, n, 3),  # layer_2, layer_3, layer_5
        (rows, n, 4 * n, 1),  # LSTM input projection, all frames at once
        (batch, n, 4 * n, frames),  # LSTM recurrent product, one per frame
        (rows, n, n_classes, 1),  # layer_6
    ]


def step_flops(gemms: list[tuple[int, ...]]) -> float:
    """FLOPs of a training step: 3 x the forward matmuls (each multiply-add is 2 FLOPs)."""
    return 3.0 * sum(2.0 * m * k * n * times for m, k, n, times in gemms)


def gemm_seconds(m: int, k: int, n: int, dtype: str, budget: float = 1.0, reps: int = 8) -> float:
    """Best seconds of one ``tf.matmul`` [m, k] x [k, n] in ``dtype``, from ``reps`` products inside one graph call."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((m, k)), dtype)
    b = tf.cast(tf.random.normal((k, n)), dtype)

    @tf.function
    def products(x: Any, y: Any) -> Any:
        total = tf.zeros((), tf.float32)
        for _ in tf.range(reps):  # a graph loop: no Python call overhead between the products
            total += tf.cast(tf.matmul(x, y)[0, 0], tf.float32)
        return total

    products(a, b).numpy()
    best, started = float("inf"), time.perf_counter()
    while time.perf_counter() - started < budget or best == float("inf"):
        start = time.perf_counter()
        products(a, b).numpy()
        best = min(best, (time.perf_counter() - start) / reps)
    return best


def gemm_rates(gemms: list[tuple[int, ...]], dtype: str, budget: float = 1.0) -> list[float]:
    """FLOP/s of ``tf.matmul`` on each of the step's matmul shapes."""
    return [2.0 * m * k * n / gemm_seconds(m, k, n, dtype, budget) for m, k, n, _ in gemms]


def weighted_rate(gemms: list[tuple[int, ...]], rates: list[float]) -> float:
    """FLOP/s of all the step's forward matmuls, each run at its own measured speed."""
    flops = sum(2.0 * m * k * n * times for m, k, n, times in gemms)
    return flops / sum(2.0 * m * k * n * times / rate for (m, k, n, times), rate in zip(gemms, rates, strict=True))


def make_step(n_hidden: int, policy: str, seed: int = 4568) -> Callable[[dict[str, Any], int], Any]:
    """sttx's compiled training step (model plugin, Adam, CTC) for a fresh model in dtype ``policy``."""
    import tensorflow as tf

    from sttx.core.training.config import TrainConfig
    from sttx.core.training.train_step import make_optimizer, make_train_step
    from sttx.plugins.models.deepspeech import build_model

    config = TrainConfig(n_hidden=n_hidden, dtype_policy=policy)
    model = build_model(config, N_CLASSES)
    step = make_train_step(model, make_optimizer(config, policy), tf.distribute.get_strategy(), seed)

    def run(batch: dict[str, Any], index: int) -> Any:
        loss, _, _ = step(batch["features"], batch["feature_lengths"], batch["labels"], batch["label_lengths"],
                          tf.constant(index, tf.int64))
        return float(loss)

    return run


def synthetic_batch(batch: int, seconds: float, seed: int = 0) -> dict[str, Any]:
    """A batch of ``batch`` clips of ``seconds``: unit-variance features and random labels of realistic length."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    frames, length = frames_of(seconds), int(seconds * CHARS_PER_SECOND)
    return {
        "features": tf.constant(rng.standard_normal((batch, frames, 26)).astype(np.float32)),
        "feature_lengths": tf.constant(np.full(batch, frames, np.int32)),
        "labels": tf.constant(rng.integers(0, N_CLASSES - 1, (batch, length)).astype(np.int32)),
        "label_lengths": tf.constant(np.full(batch, length, np.int32)),
    }


def time_steps(steps: dict[str, Callable[..., Any]], batch: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    """Seconds of each named step, after one untimed warm-up step each.

    Steps run in blocks of two in mirrored order (A A B B B B A A ...), so a drift in the machine's load
    weighs on every step alike, without switching models at every step.
    """
    for name, step in steps.items():
        started = time.perf_counter()
        step(batch, 0)
        print(f"  {name}: warm-up step (tracing) {time.perf_counter() - started:.1f} s", flush=True)
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in steps}
    index = 0
    while min(len(t) for t in times.values()) < rounds:
        order = names if (index // 2) % 2 == 0 else names[::-1]
        for name in order:
            for _ in range(min(2, rounds - len(times[name])) or 0):
                started = time.perf_counter()
                steps[name](batch, index + 1)
                times[name].append(time.perf_counter() - started)
        index += 2
    return times


def part_a(args: argparse.Namespace) -> None:
    """Compute efficiency of the float32 step against this machine's float32 GEMM, measured in the same run."""
    gemms = forward_gemms(args.n_hidden, args.batch_size, frames_of(args.seconds))
    flops = step_flops(gemms)
    print(f"(a) compute efficiency: n_hidden {args.n_hidden}, batch {args.batch_size}, {args.seconds:g} s clips "
          f"({frames_of(args.seconds)} frames), {flops / 1e12:.3f} TFLOP per step (3 x forward matmuls)")
    times = time_steps({"float32": make_step(args.n_hidden, "float32")}, synthetic_batch(args.batch_size,
                       args.seconds), args.steps)["float32"]
    rates = gemm_rates(gemms, "float32", args.gemm_seconds)
    gemm = max(rates)  # the machine's float32 GEMM speed: the best of the step's own large shapes
    step, median = min(times), statistics.median(times)
    print(f"  train step: best {step:.2f} s, median {median:.2f} s of {len(times)} "
          f"({', '.join(f'{t:.2f}' for t in times)})")
    print("  float32 GEMM per shape (m x k x n: GFLOP/s): " + ", ".join(
        f"{m}x{k}x{n}: {rate / 1e9:.0f}" for (m, k, n, _), rate in zip(gemms, rates, strict=True)))
    print(f"  achieved: {flops / step / 1e9:.1f} GFLOP/s (median step {flops / median / 1e9:.1f}); float32 GEMM: "
          f"{gemm / 1e9:.1f} GFLOP/s; the step's matmuls each at its own GEMM speed: "
          f"{weighted_rate(gemms, rates) / 1e9:.1f} GFLOP/s")
    print(f"  ratio achieved / GEMM = {flops / step / gemm:.1%} of the best step, {flops / median / gemm:.1%} of the "
          "median (target >= 50%)")


def part_b(args: argparse.Namespace) -> None:
    """Mixed-bfloat16 step speed over float32, interleaved; and the same ratio for bare GEMM."""
    from sttx.core.training.precision import BF16, FLOAT32, choose_policy

    policy = choose_policy(True, gpu=False)
    gemms = forward_gemms(args.n_hidden, args.batch_size, frames_of(args.seconds))
    print(f"(b) bf16 mixed precision over float32: n_hidden {args.n_hidden}, batch {args.batch_size}, "
          f"{args.seconds:g} s clips; --automatic_mixed_precision picks {policy} here")
    steps = {"float32": make_step(args.n_hidden, FLOAT32), "bfloat16": make_step(args.n_hidden, BF16)}
    times = time_steps(steps, synthetic_batch(args.batch_size, args.seconds), args.steps)
    f32, bf16 = statistics.median(times["float32"]), statistics.median(times["bfloat16"])
    best = min(times["float32"]) / min(times["bfloat16"])
    gemm32 = max(gemm_rates(gemms, "float32", args.gemm_seconds))
    gemm16 = max(gemm_rates(gemms, "bfloat16", args.gemm_seconds))
    flops = step_flops(gemms)
    print(f"  float32 step: median {f32:.2f} s ({flops / f32 / 1e9:.1f} GFLOP/s); "
          f"bfloat16 step: median {bf16:.2f} s ({flops / bf16 / 1e9:.1f} GFLOP/s)")
    print(f"  GEMM (best of the step's shapes): float32 {gemm32 / 1e9:.1f}, bfloat16 {gemm16 / 1e9:.1f} GFLOP/s "
          f"(x{gemm16 / gemm32:.2f})")
    print(f"  per round: float32 {', '.join(f'{t:.2f}' for t in times['float32'])}; bfloat16 "
          f"{', '.join(f'{t:.2f}' for t in times['bfloat16'])}")
    print(f"  ratio bfloat16 / float32 step speed = x{f32 / bf16:.2f} of medians, x{best:.2f} of best steps "
          "(target >= 1.6x)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", action="append", choices=["a", "b", "c"], help="Parts to run (default: a, b).")
    parser.add_argument("--n_hidden", type=int, default=2048)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0, help="Clip length of (a) and (b).")
    parser.add_argument("--steps", type=int, default=5, help="Timed steps (rounds) of (a) and (b).")
    parser.add_argument("--gemm_seconds", type=float, default=2.0, help="Time spent per GEMM shape.")
    parser.add_argument("--minutes", type=float, default=20.0, help="Wall-time training budget of (c).")
    parser.add_argument("--workdir", default="", help="(c): corpus and checkpoints here (default: a temp dir).")
    args, rest = parser.parse_known_args(argv)
    parts = args.part or ["a", "b"]
    if "a" in parts:
        part_a(args)
    if "b" in parts:
        part_b(args)
    if "c" in parts:
        from train_learning import part_c  # beside this script

        part_c(args, rest)


if __name__ == "__main__":
    main()
