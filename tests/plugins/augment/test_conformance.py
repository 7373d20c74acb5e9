"""Every registered augmentation: p=0 is a no-op, a seed fixes the output, types hold, specs round-trip."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sttx.core.contract.augmentation import Augmentation, apply_chain
from sttx.core.contract.grammar import format_augmentation
from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import RATE, context, speechlike

BUILTINS = [
    "overlay",
    "reverb",
    "gaps",
    "resample",
    "codec",
    "volume",
    "pitch",
    "tempo",
    "warp",
    "frequency_mask",
    "time_mask",
    "dropout",
    "add",
    "multiply",
]

RANDOM_AT_DEFAULTS = ["overlay", "gaps", "pitch", "warp", "frequency_mask", "time_mask", "dropout", "add", "multiply"]


def required(name: str, noise_file: Path) -> dict[str, Any]:
    """Parameters without a usable default."""
    return {"source": str(noise_file)} if name == "overlay" else {}


def data_for(augmentation: Augmentation, seed: int = 0) -> np.ndarray:
    """Input in the augmentation's domain: waveform, power spectrogram [T, 257] or MFCC [T, 26]."""
    rng = np.random.default_rng(seed)
    if augmentation.active_domain in ("sample", "signal"):
        return speechlike(0.5, seed=seed)
    bins = 257 if augmentation.active_domain == "spectrogram" else 26
    return (rng.random((40, bins)) + 0.1).astype(np.float32)


def build(registry: AugmentationRegistry, name: str, noise_file: Path, **extra: Any) -> Augmentation:
    return registry.get(name)(**required(name, noise_file), **extra)


def test_every_builtin_is_registered(registry: AugmentationRegistry) -> None:
    assert set(BUILTINS) <= set(registry.names())


@pytest.mark.parametrize("name", BUILTINS)
def test_p0_returns_the_input_object(registry: AugmentationRegistry, noise_file: Path, name: str) -> None:
    augmentation = build(registry, name, noise_file, p=0.0)
    data = data_for(augmentation)
    out, fired = apply_chain([(0, augmentation)], data, sample_rate=RATE, clock=0.5, seed=1, epoch=0, index=3)
    assert out is data
    assert fired == []


@pytest.mark.parametrize("name", BUILTINS)
def test_same_seed_same_output_and_types(registry: AugmentationRegistry, noise_file: Path, name: str) -> None:
    augmentation = build(registry, name, noise_file)
    data = data_for(augmentation)
    original = data.copy()
    first, params = augmentation(data, context(11))
    second, again = augmentation(data, context(11))
    assert params is not None and params == again
    assert first.tobytes() == second.tobytes()
    assert np.array_equal(data, original), "the input must not be modified in place"
    assert first.dtype == np.float32
    if name == "tempo":
        assert first.shape[1:] == data.shape[1:]
    else:
        assert first.shape == data.shape
    other, _ = augmentation(data, context(12))
    assert not np.array_equal(first, data) if first.shape == data.shape else True
    if name in RANDOM_AT_DEFAULTS:
        assert not np.array_equal(first, other), "a different seed must draw differently"


@pytest.mark.parametrize("name", BUILTINS)
def test_spec_round_trips_through_the_grammar(registry: AugmentationRegistry, noise_file: Path, name: str) -> None:
    augmentation = build(registry, name, noise_file, p=0.25)
    text = format_augmentation(augmentation.to_spec())
    assert registry.parse(text) == augmentation


def test_non_default_specs_round_trip(registry: AugmentationRegistry, noise_file: Path) -> None:
    texts = [
        f"overlay[p=0.5,source={noise_file},layers=1:3,snr=50:20~10]",
        "reverb[p=0.1,delay=50.0~30.0,decay=10.0:2.0~1.0]",
        "time_mask[p=0.1,domain=signal,n=3:10~2,size=50:100~40]",
        "warp[p=0.1,nt=4,nf=1,wt=0.5:1.0,wf=0.1:0.2]",
        "codec[p=0.1,bitrate=48000:16000,complexity=5]",
    ]
    for text in texts:
        augmentation = registry.parse(text)
        assert registry.parse(format_augmentation(augmentation.to_spec())) == augmentation


def _chain(registry: AugmentationRegistry, noise_file: Path) -> list[tuple[int, Augmentation]]:
    texts = [
        f"overlay[source={noise_file},snr=10~5]",
        "reverb",
        "gaps[n=2]",
        "resample[rate=6000:12000]",
        "codec[bitrate=16000]",
        "volume[dbfs=-10~5]",
        "time_mask[domain=signal,p=0.5]",
        "dropout[domain=signal,p=0.5]",
    ]
    return list(enumerate(registry.parse(text) for text in texts))


def test_output_does_not_depend_on_order_or_threads(registry: AugmentationRegistry, noise_file: Path) -> None:
    chain = _chain(registry, noise_file)
    samples = [speechlike(0.3 + 0.1 * i, seed=i) for i in range(6)]

    def run(index: int) -> bytes:
        out, _ = apply_chain(chain, samples[index], sample_rate=RATE, clock=0.3, seed=42, epoch=2, index=index)
        return out.tobytes()

    serial = [run(i) for i in range(len(samples))]
    backwards = [run(i) for i in reversed(range(len(samples)))][::-1]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(run, [5, 0, 3, 1, 4, 2]))
    assert backwards == serial
    assert dict(zip([5, 0, 3, 1, 4, 2], threaded, strict=True)) == dict(enumerate(serial))
    assert len(set(serial)) == len(serial)


def test_p_draws_are_independent_per_augmentation(registry: AugmentationRegistry) -> None:
    chain = [(0, registry.parse("volume[p=0.5]")), (1, registry.parse("gaps[p=0.5]"))]
    patterns = set()
    for index in range(64):
        _, fired = apply_chain(chain, speechlike(0.2), sample_rate=RATE, clock=0.5, seed=3, epoch=0, index=index)
        patterns.add(tuple(record.name for record in fired))
    assert patterns == {(), ("volume",), ("gaps",), ("volume", "gaps")}


def test_no_subprocess_in_the_chain(
    registry: AugmentationRegistry, noise_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"an augmentation started a subprocess: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    chain = _chain(registry, noise_file)
    out, fired = apply_chain(chain, speechlike(0.5), sample_rate=RATE, clock=0.5, seed=0, epoch=0, index=0)
    assert len(fired) >= 6 and out.dtype == np.float32


_WORKER_CHAIN: list[tuple[int, Augmentation]] = []


def _worker_run(index: int) -> bytes:
    audio = speechlike(0.25 + 0.05 * index, seed=index)
    out, _ = apply_chain(_WORKER_CHAIN, audio, sample_rate=RATE, clock=0.6, seed=8, epoch=1, index=index)
    return out.tobytes()


def test_output_does_not_depend_on_worker_processes(registry: AugmentationRegistry, noise_file: Path) -> None:
    import multiprocessing

    _WORKER_CHAIN[:] = _chain(registry, noise_file)
    serial = [_worker_run(index) for index in range(6)]
    context_ = multiprocessing.get_context("fork")
    for workers in (1, 3):
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context_) as pool:
            assert list(pool.map(_worker_run, range(6))) == serial
