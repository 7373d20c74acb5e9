"""Benchmark: each sample-domain augmentation alone against its audiomentations peer, the codec against bare opuslib.

Run: ``.venv/bin/python bench/augment.py [--seconds 60] [--rounds 3]``. The process is pinned to one core, so
the figures are audio-seconds per second per core ("x real time"). Each link (overlay, reverb, gaps, resample,
codec, volume) runs alone at p=1 against audiomentations' nearest equivalent; the codec also runs against a bare
opuslib encode + decode of the same audio with the same settings (rate, bitrate, complexity, 60 ms frames), the
floor any Opus round trip through opuslib has: the target is sttx's codec time <= 1.1 x that. The whole chain (all
six at p=1, in order) and the chain without the codec close the table. audiomentations (and fast-mp3-augment for
its Mp3Compression) are bench-only dependencies: ``.venv/bin/pip install audiomentations fast-mp3-augment``;
without them their column is skipped. Each figure is the best of ``--rounds`` passes over the same clips, timed by
the process's CPU time (``--clock cpu``, the default: steady on a shared host) or by the wall clock (``--clock wall``).
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
BITRATE = 32000  # bit/s, for the codec and (in kbit/s) for Mp3Compression
COMPLEXITY = 0  # sttx's default Opus encoder complexity
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


Step = Callable[[np.ndarray, int], object]


def sttx_steps(noise: Path) -> dict[str, Step]:
    from sttx.core.contract.augmentation import apply_chain
    from sttx.core.contract.plugins import get_plugin_manager

    registry = get_plugin_manager(load_entrypoints=False).registries().augmentations
    specs = {
        "overlay": f"overlay[source={noise},snr=10]",
        "reverb": "reverb[delay=20,decay=10]",
        "gaps": "gaps[n=3,size=50]",
        "resample": "resample[rate=8000]",
        "codec": f"codec[bitrate={BITRATE},complexity={COMPLEXITY}]",
        "volume": "volume[dbfs=-6]",
    }
    augmentations = {name: registry.parse(text) for name, text in specs.items()}

    def runner(chain: list) -> Step:
        return lambda clip, index: apply_chain(chain, clip, sample_rate=RATE, clock=0.5, seed=1, epoch=0, index=index)

    steps = {name: runner([(0, aug)]) for name, aug in augmentations.items()}
    steps["chain"] = runner(list(enumerate(augmentations.values())))
    steps["no codec"] = runner([(i, aug) for i, (name, aug) in enumerate(augmentations.items()) if name != "codec"])
    return steps


def audiomentations_steps(noise: Path, ir_path: Path) -> dict[str, Step] | None:
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
        "codec": am.Mp3Compression(BITRATE // 1000, BITRATE // 1000, p=1.0),
        "volume": am.Normalize(p=1.0),
    }
    steps: dict[str, Step] = {
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


def bare_opuslib(clip: np.ndarray, index: int) -> np.ndarray:
    """opuslib's own Encoder/Decoder, sttx's codec settings, no delay compensation: the floor of a round trip."""
    import opuslib

    from sttx.plugins.augment.codec import FRAME_MS

    encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_AUDIO)
    encoder.bitrate, encoder.complexity = BITRATE, COMPLEXITY
    decoder = opuslib.Decoder(RATE, 1)
    frame = RATE * FRAME_MS // 1000
    padded = np.zeros(-(-len(clip) // frame) * frame, dtype=np.float32)
    padded[: len(clip)] = clip
    pcm = [decoder.decode_float(encoder.encode_float(padded[start : start + frame].tobytes(), frame), frame)
           for start in range(0, len(padded), frame)]
    return np.frombuffer(b"".join(pcm), dtype=np.float32)


PEERS = {"overlay": "AddBackgroundNoise", "reverb": "ApplyImpulseResponse", "gaps": "TimeMask",
         "resample": "Resample to 8 kHz and back", "codec": "Mp3Compression", "volume": "Normalize",
         "chain": "the six above, chained", "no codec": "the chain without Mp3Compression"}


def row(name: str, ours: float, peer: str, theirs: float | None) -> str:
    """One table row: x real time of both and sttx's speed over the peer's."""
    other = f"{theirs:9.0f} {ours / theirs:6.2f}" if theirs else f"{'-':>9} {'-':>6}"
    return f"{name:<9} {ours:9.0f}  {peer:<33} {other}"


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
        ours, theirs = sttx_steps(noise), audiomentations_steps(noise, ir_path) or {}
        for step in [*ours.values(), *theirs.values(), bare_opuslib]:  # warm caches (decoded noise, IR, filters)
            step(clips[0], 0)
        clock = time.process_time if args.clock == "cpu" else time.perf_counter

        def speed(step: Step) -> float:
            return total / best_time(step, clips, args.rounds, clock)

        print(f"{len(clips)} clips, {total:.1f} s of audio, CPU {cpu}, best of {args.rounds}, {args.clock} time")
        print(f"{'link':<9} {'sttx xRT':>9}  {'peer (audiomentations)':<33} {'peer xRT':>9} {'ratio':>6}")
        codec = 0.0
        for name in ours:
            figure = speed(ours[name])
            codec = figure if name == "codec" else codec
            print(row(name, figure, PEERS[name], speed(theirs[name]) if theirs else None))
        opus = speed(bare_opuslib)
        print(row("codec", codec, "opuslib: bare encode + decode", opus))
        verdict = "met" if opus / codec <= 1.1 else "NOT met"
        print(f"ratio: sttx speed / peer speed. codec time / bare opuslib time = {opus / codec:.2f} "
              f"(target <= 1.10: {verdict}); opus at {BITRATE} bit/s, complexity {COMPLEXITY}, {RATE} Hz")


if __name__ == "__main__":
    main()
