"""Benchmark: real-time factor of sttx's .tflite inference next to the stock libstt 1.4 running the same file.

Run: ``.venv/bin/python bench/infer.py [--hidden 2048 512] [--rounds 3] [--libstt DIR] [--checkpoint_dir
DIR...]``. For each n_hidden it exports a float and a dynamic-range-quantized .tflite of a random DeepSpeech-
shaped model (and of each trained checkpoint given), then times on one pinned core, best of ``--rounds``: sttx
(MFCC with libstt's framing + TF's TFLite interpreter, one thread, n_steps chunks) and libstt
(``STT_SpeechToTextWithMetadata`` in a child process pinned to the same core, beam width 1 so decoding costs
little). RTF = seconds of compute per second of audio; the ratio is sttx time / libstt time (target <= 1.1).
Transcripts are compared with a beam-1 prefix search over sttx's probabilities, which is what libstt decodes.
``--libstt`` is a folder with libstt.so and libkenlm.so (default: fetched once with pip download of the stt 1.4.0
cp39 wheel into ~/.cache/sttx-bench).

Reading the figures: libstt hard-codes ``SetNumThreads(4)`` and its TFLite 2.9 never applies XNNPACK, so its float
models run the builtin float FULLY_CONNECTED with a 4-thread pool; on one (or two busy) cores that costs about
25 ms per LSTM step at n_hidden 512, independent of sttx's graph (TF 2.21's interpreter runs the same file 40x
faster even without XNNPACK). Quantized models take the hybrid int8 kernels and run fine. With random weights the
outputs are near-uniform (top-2 gaps of 1e-6), so the TFLite 2.9 and 2.21 hybrid kernels' rounding can flip a
label at n_hidden >= 512; trained models do not show this (tests/plugins/exporters/test_libstt_trained.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "she had your dark suit in greasy wash water all year",
    "please call stella and ask her to bring these things with her from the store",
    "six spoons of fresh snow peas five thick slabs of blue cheese and maybe a snack for her brother bob",
]


def fetch_libstt(cache: Path) -> Path:
    """libstt.so and libkenlm.so from the stt 1.4.0 cp39 wheel (pip download, cached)."""
    lib = cache / "stt" / "lib"
    if not (lib / "libstt.so").exists():
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
                   "3.9", "--implementation", "cp", "--platform", "manylinux_2_24_x86_64", "-d", str(cache),
                   "stt==1.4.0"]
        subprocess.run(command, check=True, capture_output=True)
        with zipfile.ZipFile(next(cache.glob("stt-1.4.0-*.whl"))) as wheel:
            for name in ("stt/lib/libstt.so", "stt/lib/libkenlm.so"):
                wheel.extract(name, cache)
    return lib


def speech(folder: Path) -> list[Path]:
    """16 kHz 16-bit clips synthesized with espeak-ng."""
    paths = []
    for index, text in enumerate(SENTENCES):
        raw, wav = folder / f"raw{index}.wav", folder / f"clip{index}.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        paths.append(wav)
    return paths


def as_wavs(paths: list[Path], folder: Path) -> list[Path]:
    """Any audio sttx reads, as the 16 kHz 16-bit wav files libstt takes."""
    from sttx.core.data.audio import read_audio, write_audio

    wavs = []
    for index, path in enumerate(paths):
        wav = folder / f"given{index}.wav"
        write_audio(wav, read_audio(path), 16000)
        wavs.append(wav)
    return wavs


def glorot_weights(n_hidden: int, n_classes: int, seed: int = 0):
    """A DeepSpeech-shaped model with Glorot-uniform weights and small random biases."""
    from sttx.core.training.acoustic_weights import AcousticWeights, Dense

    rng = np.random.default_rng(seed)

    def glorot(n_in: int, n_out: int) -> np.ndarray:
        limit = np.sqrt(6 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    def dense(n_in: int, n_out: int) -> Dense:
        return Dense(glorot(n_in, n_out), (rng.standard_normal(n_out) * 0.1).astype(np.float32))

    n = n_hidden
    layers = {"layer_1": dense(494, n), "layer_2": dense(n, n), "layer_3": dense(n, n), "layer_5": dense(n, n),
              "layer_6": dense(n, n_classes)}
    return AcousticWeights(layers, glorot(n, 4 * n), glorot(n, 4 * n), np.zeros(4 * n, np.float32))


def time_sttx(model: Path, clips: list, rounds: int) -> tuple[float, list[np.ndarray]]:
    """Best total seconds over the clips (features + acoustic model), and the probabilities."""
    from sttx.core.inference.reference import libstt_features
    from sttx.core.inference.runtimes import TFLiteAcoustic

    runtime = TFLiteAcoustic(model, num_threads=1)
    best, probs = float("inf"), []
    for _ in range(rounds):
        started = time.perf_counter()
        probs = [runtime.probabilities(libstt_features(audio)) for audio in clips]
        best = min(best, time.perf_counter() - started)
    return best, probs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[2048, 512])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--libstt", type=Path, default=None)
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--clips", type=int, default=None, help="How many of the clips to use (default: all).")
    parser.add_argument("--audio", type=Path, nargs="*", default=[],
                        help="Clips to transcribe instead of the synthesized sentences (e.g. the shipped sample).")
    parser.add_argument("--checkpoint_dir", type=Path, nargs="*", default=[],
                        help="Trained sttx checkpoint dirs to time as well (their weights instead of random ones).")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.audio import read_audio
    from sttx.core.inference.export_options import ExportOptions
    from sttx.plugins.exporters.libstt import run_libstt
    from sttx.plugins.exporters.tflite import convert_tflite
    from tests.plugins.exporters.ctc_beam import prefix_beam_search

    lib = args.libstt or fetch_libstt(Path.home() / ".cache" / "sttx-bench")
    alphabet = load_alphabet()
    with tempfile.TemporaryDirectory() as scratch:
        wavs = (as_wavs(args.audio, Path(scratch)) if args.audio else speech(Path(scratch)))[: args.clips]
        clips = [read_audio(wav) for wav in wavs]
        seconds = sum(len(c) for c in clips) / 16000
        print(f"{len(wavs)} clips, {seconds:.1f} s of audio, one core (cpu {args.cpu}), best of {args.rounds}")
        print(f"{'model':<18}{'sttx RTF':>10}{'libstt RTF':>12}{'ratio':>8}  transcripts")
        models = [(f"{n}", glorot_weights(n, alphabet.n_classes), alphabet) for n in args.hidden]
        for directory in args.checkpoint_dir:
            from sttx.core.inference.model_source import ExportSource

            source = ExportSource.from_checkpoint_dir(directory)
            weights = source.weights()
            models.append((f"trained {weights.n_hidden}", weights, source.alphabet))
        for name, weights, alphabet in models:
            for kind in ("float", "quantized"):
                path = Path(scratch) / f"{name.replace(' ', '_')}_{kind}.tflite"
                options = ExportOptions(export_quantize=kind == "quantized", export_beam_width=1)
                path.write_bytes(convert_tflite(weights, alphabet.serialize(), options))
                sttx_time, probs = time_sttx(path, clips, args.rounds)
                results = run_libstt(lib, path, wavs, beam_width=1, candidates=1, repeat=args.rounds,
                                     cpus={args.cpu})
                libstt_time = sum(result.seconds for result in results)
                same = sum(
                    r.candidates[0][0] == alphabet.decode(prefix_beam_search(p, 1, alphabet.blank)[0][0])
                    for r, p in zip(results, probs, strict=True)
                )
                label = f"{name} {kind}"
                print(f"{label:<18}{sttx_time / seconds:>10.4f}{libstt_time / seconds:>12.4f}"
                      f"{sttx_time / libstt_time:>8.2f}  {same}/{len(wavs)} identical", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
