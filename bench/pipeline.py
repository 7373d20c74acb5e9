"""Input-pipeline throughput in audio-seconds per wall-second, beside raw TF ops and librosa measured in the same run.

Run: ``.venv/bin/python bench/pipeline.py [--clips 240] [--hours 2] [--repeats 3]``. Prints x real time for
(a) sttx decode+MFCC (make_dataset, batches of 16), (b) the same with the feature cache warm,
(c) tf.raw_ops AudioSpectrogram+Mfcc after decode_wav in a plain parallel tf.data map (padded batches of 16),
(d) librosa MFCC (same geometry) in a 2-process pool, and the ratio of (a)/(b) to the audio a training step of
the default model (n_hidden 2048, batch 16) consumes per second, when that model exists.
The epoch cycles over the clip files up to --hours of audio, so that the per-epoch dataset build (about 0.2 s)
weighs on the figures as little as it does in training.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "speech recognition turns sound into text",
    "a small core and many plugins",
    "she sells sea shells by the sea shore",
    "every sample gets its own seed",
    "the weather today is cold and bright",
    "training should never wait for its input",
    "numbers like seven and eleven are words too",
]


def make_corpus(directory: Path, clips: int, hours: float = 0.0, seed: int = 0) -> tuple[list[Any], float]:
    """``clips`` 16 kHz WAVs of 1 to 5 synthesised sentences (espeak-ng; noise bursts without it), mixed lengths."""
    from sttx.core.contract.samples import SampleRef
    from sttx.core.data.audio import read_audio, write_audio
    from sttx.core.data.sources import FileAudio

    rng = np.random.default_rng(seed)
    voices = []
    for n, text in enumerate(SENTENCES):
        if shutil.which("espeak-ng"):
            wav = directory / f"voice{n}.wav"
            subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
            voices.append(read_audio(wav))
        else:
            voices.append((0.1 * rng.standard_normal(16000 * (1 + n % 3))).astype(np.float32))
    refs, seconds = [], 0.0
    for i in range(clips):
        chosen = rng.choice(len(voices), size=int(rng.integers(1, 6)))
        audio = np.concatenate([voices[c] for c in chosen])
        path = directory / f"clip{i:04d}.wav"
        write_audio(path, audio, 16000)
        text = " ".join(SENTENCES[c] for c in chosen)
        refs.append(SampleRef(id=str(path), transcript=text, audio=FileAudio(str(path)), size=path.stat().st_size))
        seconds += len(audio) / 16000
    repeats = max(1, int(hours * 3600 / seconds)) if seconds else 1
    return refs * repeats, seconds * repeats


def best_rates(seconds: float, runners: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Audio seconds per wall second of each runner, best of ``repeats`` rounds that take turns, so that all
    see the same load on a machine shared with other jobs (the best round is the least disturbed one)."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: seconds / min(spent) for name, spent in times.items()}


def sttx_runner(refs: list[Any], cache: str | None = None) -> Callable[[], None]:
    """sttx's pipeline, a new epoch each run; with ``cache`` the first (untimed) epoch fills it."""
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.pipeline import make_dataset

    datasets = make_dataset(refs, load_alphabet(), batch_size=16, train=True, feature_cache=cache, epochs=100)
    for _ in datasets.for_epoch(0):  # warm-up, or fill the cache
        pass
    epoch = iter(range(1, 100))

    def run() -> None:
        for _ in datasets.for_epoch(next(epoch)):
            pass

    return run


def padding(refs: list[Any]) -> float:
    """Share of padded frames in sttx's training batches of 16 over distinct clips of mixed lengths."""
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.bucketing import padding_ratio
    from sttx.core.data.pipeline import make_dataset

    datasets = make_dataset(refs, load_alphabet(), batch_size=16, train=True)
    return padding_ratio(batch["feature_lengths"] for batch in datasets.for_epoch(0).as_numpy_iterator())


def raw_ops_runner(refs: list[Any]) -> Callable[[], None]:
    """decode_wav + AudioSpectrogram + Mfcc in a plain AUTOTUNE tf.data map, as DeepSpeech's graph does it."""
    import tensorflow as tf

    def features(path: tf.Tensor) -> tf.Tensor:
        audio = tf.audio.decode_wav(tf.io.read_file(path), desired_channels=1).audio
        spec = tf.raw_ops.AudioSpectrogram(input=audio, window_size=512, stride=320, magnitude_squared=True)
        return tf.raw_ops.Mfcc(spectrogram=spec, sample_rate=16000, upper_frequency_limit=8000.0,
                               lower_frequency_limit=20.0, filterbank_channel_count=40, dct_coefficient_count=26)

    paths = [ref.id for ref in refs]
    dataset = tf.data.Dataset.from_tensor_slices(paths).map(features, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.padded_batch(16).prefetch(tf.data.AUTOTUNE)  # batched like (a): same Python iteration cost

    def run() -> None:
        for _ in dataset:
            pass

    run()
    return run


def _librosa_mfcc(path: str) -> int:
    import librosa
    import soundfile

    audio, rate = soundfile.read(path, dtype="float32")
    mfcc = librosa.feature.mfcc(y=audio, sr=rate, n_mfcc=26, n_fft=512, hop_length=320, n_mels=40, fmin=20,
                                fmax=8000, center=False)
    return int(mfcc.shape[1])


def librosa_runner(pool: Any, refs: list[Any]) -> Callable[[], None]:
    """librosa's MFCC (same window, step, filters and band) over the clips in a process pool."""
    paths = [ref.id for ref in refs]
    pool.map(_librosa_mfcc, paths[:4])  # import and JIT in the workers before timing

    def run() -> None:
        pool.map(_librosa_mfcc, paths, chunksize=8)

    return run


def training_rate(refs: list[Any], steps: int = 3) -> float | None:
    """Audio seconds per second a training step of the default model consumes (n_hidden 2048, batch 16):
    forward, CTC loss, gradients and an Adam update, on batches the pipeline made; None without the model."""
    try:
        from sttx.plugins.models.deepspeech import build_model
    except ImportError:
        return None
    import keras
    import tensorflow as tf

    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.pipeline import make_dataset

    alphabet = load_alphabet()
    model = build_model(argparse.Namespace(n_hidden=2048), alphabet.n_classes)
    optimizer = keras.optimizers.Adam(0.001)
    batches = list(make_dataset(refs, alphabet, batch_size=16, train=True).for_epoch(0).take(steps + 1))

    @tf.function(reduce_retracing=True)
    def step(batch: dict[str, Any]) -> Any:
        with tf.GradientTape() as tape:
            logits = model(batch["features"], training=True)
            loss = tf.reduce_mean(tf.nn.ctc_loss(
                labels=batch["labels"], logits=logits, label_length=batch["label_lengths"],
                logit_length=batch["feature_lengths"], logits_time_major=False, blank_index=-1))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables,
                                      strict=True))
        return loss

    step(batches[0])  # trace and build the optimizer
    audio = 0.0
    start = time.perf_counter()
    for batch in batches[1:]:
        float(step(batch))
        audio += float(tf.reduce_sum(batch["feature_lengths"])) * 0.02  # 20 ms per frame
    return audio / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=240)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sttx-bench-") as tmp:
        refs, seconds = make_corpus(Path(tmp), args.clips, args.hours)
        print(f"corpus: {len(refs)} clips ({args.clips} files), {seconds / 3600:.2f} h of audio, 2 cores shared; "
              f"x real time, best of {args.repeats}")
        runners = {"decode": sttx_runner(refs), "cached": sttx_runner(refs, str(Path(tmp) / "cache" / "f")),
                   "raw": raw_ops_runner(refs)}
        with contextlib.ExitStack() as stack:
            if importlib.util.find_spec("librosa") is not None:
                pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(2))
                runners["librosa"] = librosa_runner(pool, refs)
            rates = best_rates(seconds, runners, args.repeats)
        decode, cached, raw = rates["decode"], rates["cached"], rates["raw"]
        print(f"(a) sttx decode+MFCC, batches of 16   {decode:8.0f}x   padding {padding(refs[: args.clips]):.1%} "
              f"over the {args.clips} distinct clips")
        print(f"(b) sttx, feature cache warm          {cached:8.0f}x")
        print(f"    raw AudioSpectrogram+Mfcc map     {raw:8.0f}x   sttx/raw = {decode / raw:.2f}")
        if "librosa" not in rates:
            print("    librosa MFCC, 2 processes         skipped: librosa is not installed (pip install librosa)")
        else:
            rosa = rates["librosa"]
            print(f"    librosa MFCC, 2 processes         {rosa:8.0f}x   sttx/librosa = {decode / rosa:.2f}")
        train = training_rate(refs[: args.clips])
        if train is None:
            print("    training step (n_hidden 2048, batch 16): not available yet (no default model in sttx)")
        else:
            print(f"    training step consumes            {train:8.1f}x   pipeline/training = "
                  f"{decode / train:.0f} (a), {cached / train:.0f} (b)   (target >= 2)")


if __name__ == "__main__":
    sys.exit(main())
