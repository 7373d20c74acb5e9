"""Fixtures for exporter tests: a small random DeepSpeech model, synthesized speech, the stock libstt."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sttx.core.data.alphabet import load_alphabet
from sttx.core.training.acoustic_weights import AcousticWeights, Dense

LIBSTT_WHEEL = "stt==1.4.0"
#: what pip prints when it cannot reach the registry at all (any other failure is a test failure)
OFFLINE_MARKERS = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name",
                   "Network is unreachable", "Max retries exceeded", "ConnectTimeout", "ProxyError")


def random_weights(n_hidden: int = 32, n_classes: int = 29, seed: int = 0) -> AcousticWeights:
    """A DeepSpeech-shaped model with random weights large enough to give varied outputs."""
    rng = np.random.default_rng(seed)

    def dense(n_in: int, n_out: int) -> Dense:
        kernel = rng.standard_normal((n_in, n_out)) * 0.3
        return Dense(kernel.astype(np.float32), (rng.standard_normal(n_out) * 0.1).astype(np.float32))

    layers = {"layer_1": dense(494, n_hidden), **{n: dense(n_hidden, n_hidden) for n in ("layer_2", "layer_3")}}
    layers |= {"layer_5": dense(n_hidden, n_hidden), "layer_6": dense(n_hidden, n_classes)}
    kernel, recurrent = (rng.standard_normal((n_hidden, 4 * n_hidden)).astype(np.float32) * 0.3 for _ in range(2))
    bias = (rng.standard_normal(4 * n_hidden) * 0.1).astype(np.float32)
    return AcousticWeights(layers, kernel, recurrent, bias)


def synthesize(text: str, path: Path) -> Path:
    """16 kHz 16-bit mono speech from espeak-ng, the same samples on every call."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
    # -D: no dither, so the same text gives the same samples on every run (the interop tests compare two runtimes)
    subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path


@pytest.fixture(scope="session")
def alphabet():
    return load_alphabet()


@pytest.fixture(scope="session")
def weights() -> AcousticWeights:
    return random_weights()


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("speech")
    texts = ["she had your dark suit in greasy wash water all year", "a quick test of the exporter"]
    return [synthesize(text, folder / f"clip{i}.wav") for i, text in enumerate(texts)]


@pytest.fixture(scope="session")
def libstt_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stt 1.4.0's libstt.so and libkenlm.so, fetched once with pip from the package registry and cached."""
    pytest_cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    if pytest_cache is not None:
        cache = Path(pytest_cache.mkdir("sttx-libstt-1.4.0"))
    else:
        cache = tmp_path_factory.mktemp("sttx-libstt-1.4.0")
    lib = cache / "stt" / "lib"
    if (lib / "libstt.so").exists() and (lib / "libkenlm.so").exists():
        return lib
    download = cache / "wheel"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.9",
               "--implementation", "cp", "--platform", "manylinux_2_24_x86_64", "-d", str(download), LIBSTT_WHEEL]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    wheels = sorted(download.glob("stt-1.4.0-*.whl"))
    if done.returncode != 0 or not wheels:
        reason = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        if any(marker in done.stderr for marker in OFFLINE_MARKERS):
            pytest.skip(f"the package registry cannot be reached to fetch {LIBSTT_WHEEL}: {reason}")
        pytest.fail(f"pip download {LIBSTT_WHEEL} failed although the registry answered: {reason}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in ("stt/lib/libstt.so", "stt/lib/libkenlm.so"):
            wheel.extract(name, cache)
    shutil.rmtree(download, ignore_errors=True)
    return lib
