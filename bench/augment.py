"""Benchmark: the six sample-domain augmentations at p=1, chained, against audiomentations' nearest equivalents.

Run: ``.venv/bin/python bench/augment.py [--seconds 60] [--rounds 3]``. The process is pinned to one core, so
the figures are audio-seconds per second per core ("x real time"). audiomentations (and fast-mp3-augment for its
Mp3Compression) are bench-only dependencies: ``.venv/bin/pip install audiomentations fast-mp3-augment``; without
them their column is skipped. Each figure is the best of ``--rounds`` passes over the same clips, timed by the
process's CPU time (``--clock cpu``, the default: steady on a shared host) or by the wall clock (``--clock wall``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 16000
SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "speech recognition needs a lot of varied training data",
    "augmentation makes a small corpus sound like a large one",
    "please call stella and ask her to bring these things with her from the store",
    "six spoons of fresh snow peas five thick slabs of blue cheese",
]


def pin_one_core() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def make_clips(folder: Path, seconds: float) -> list[np.ndarray]:
    """espeak-ng speech when available (else a synthetic voiced signal), about ``seconds`` in total."""
    from sttx.core.data.audio import read_audio

    clips: list[np.ndarray] = []
    espeak = shutil.which("espeak-ng")
    index = 0
    while sum(len(clip) for clip in clips) < seconds * RATE:
        text = SENTENCES[index % len(SENTENCES)]
        if espeak:
            path = folder / f"s{index}.wav"
            subprocess.run([espeak, "-s", str(140 + 10 * (index % 5)), "-w", str(path), text], check=True)
            clips.append(read_audio(path, target_rate=RATE))
        else:
            t = np.arange(int(3 * RATE)) / RATE
            voice = sum(np.sin(2 * np.pi * (120 + 5 * index) * k * t) / k for k in range(1, 15))
            clips.append((0.3 * voice * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32))
        index += 1
    return clips


def make_noise_and_ir(folder: Path) -> tuple[Path, Path]:
    from sttx.core.data.audio import write_audio

    rng = np.random.default_rng(0)
    noise_dir = folder / "noise"
    noise_dir.mkdir()
    noise = noise_dir / "noise.wav"
    write_audio(noise, np.clip(rng.standard_normal(10 * RATE) * 0.1, -1, 1), RATE)
    ir_path = folder / "ir.wav"
    t = np.arange(int(0.3 * RATE)) / RATE
    ir = rng.standard_normal(len(t)) * np.exp(-t / 0.05)
    ir[0] = 1.0
    write_audio(ir_path, 0.9 * ir / np.max(np.abs(ir)), RATE)
    return noise, ir_path


def best_time(
    step: Callable[[np.ndarray, int], object], clips: list[np.ndarray], rounds: int, clock: Callable[[], float]
) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = clock()
        for index, clip in enumerate(clips):
            step(clip, index)
        best = min(best, clock() - start)
    return best


def sttx_steps(noise: Path) -> dict[str, Callable[[np.ndarray, int], object]]:
    from sttx.core.contract.augmentation import apply_chain
    from sttx.core.contract.plugins import get_plugin_manager

    registry = get_plugin_manager(load_entrypoints=False).registries().augmentations
    specs = {
        "overlay": f"overlay[source={noise},snr=10]",
        "reverb": "reverb[delay=20,decay=10]",
        "gaps": "gaps[n=3,size=50]",
        "resample": "resample[rate=8000]",
        "codec": "codec[bitrate=32000]",
        "volume": "volume[dbfs=-6]",
    }
    augmentations = {name: registry.parse(text) for name, text in specs.items()}

    def runner(chain: list) -> Callable[[np.ndarray, int], object]:
        return lambda clip, index: apply_chain(chain, clip, sample_rate=RATE, clock=0.5, seed=1, epoch=0, index=index)

    steps = {name: runner([(0, aug)]) for name, aug in augmentations.items()}
    steps["chain"] = runner(list(enumerate(augmentations.values())))
    steps["no codec"] = runner([(i, aug) for i, (name, aug) in enumerate(augmentations.items()) if name != "codec"])
    return steps


def audiomentations_steps(noise: Path, ir_path: Path) -> dict[str, Callable[[np.ndarray, int], object]] | None:
    try:
        import audiomentations as am
    except ImportError:
        print("audiomentations is not installed (pip install audiomentations fast-mp3-augment): column skipped")
        return None
    down, up = am.Resample(8000, 8000, p=1.0), am.Resample(RATE, RATE, p=1.0)
    transforms = {
        "overlay": am.AddBackgroundNoise(noise.parent, 10.0, 10.0, p=1.0),
        "reverb": am.ApplyImpulseResponse(ir_path, p=1.0),
        "gaps": am.TimeMask(0.01, 0.2, p=1.0),
        "resample": lambda clip, sample_rate: up(down(clip, sample_rate), 8000),
        "codec": am.Mp3Compression(32, 32, p=1.0),
        "volume": am.Normalize(p=1.0),
    }
    steps: dict[str, Callable[[np.ndarray, int], object]] = {
        name: (lambda clip, index, transform=transform: transform(clip, RATE)) for name, transform in transforms.items()
    }

    def chain(clip: np.ndarray, index: int, skip: str = "") -> object:
        for name, transform in transforms.items():
            if name != skip:
                clip = transform(clip, RATE)
        return clip

    steps["chain"] = chain
    steps["no codec"] = lambda clip, index: chain(clip, index, "codec")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio to process per pass")
    parser.add_argument("--rounds", type=int, default=3, help="passes; the best counts")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="CPU time of the process, or wall")
    args = parser.parse_args()
    cpu = pin_one_core()
    with tempfile.TemporaryDirectory() as folder:
        clips = make_clips(Path(folder), args.seconds)
        noise, ir_path = make_noise_and_ir(Path(folder))
        total = sum(len(clip) for clip in clips) / RATE
        ours, theirs = sttx_steps(noise), audiomentations_steps(noise, ir_path)
        for steps in (ours, theirs or {}):  # warm caches (decoded noise, IR, filter designs)
            for step in steps.values():
                step(clips[0], 0)
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        print(f"{len(clips)} clips, {total:.1f} s of audio, CPU {cpu}, best of {args.rounds}, {args.clock} time")
        print(f"{'augmentation':<10} {'sttx x RT':>10} {'audiomentations x RT':>22} {'ratio':>7}")
        for name in ours:
            rate = total / best_time(ours[name], clips, args.rounds, clock)
            other = total / best_time(theirs[name], clips, args.rounds, clock) if theirs else None
            columns = f"{rate:10.0f} " + (f"{other:22.0f} {rate / other:7.2f}" if other else f"{'-':>22} {'-':>7}")
            print(f"{name:<10} {columns}")
    print("chain: all six at p=1 in order; no codec: the chain without codec / Mp3Compression")


if __name__ == "__main__":
    main()
