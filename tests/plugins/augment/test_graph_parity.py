"""graph_apply given the same params gives what the numpy apply gives (imports TensorFlow; a few seconds)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sttx.core.contract.graph_augmentation import GraphContext
from sttx.core.contract.registry import AugmentationRegistry
from sttx.plugins.augment._dsp import fit_sizes
from tests.plugins.augment.conftest import RATE, context, speechlike

tf = pytest.importorskip("tensorflow", reason="graph augmentations are TensorFlow code")

GRAPH = GraphContext(sample_rate=RATE, clock=0.5)
SPEC = (np.random.default_rng(1).random((40, 257)) + 0.1).astype(np.float32)
MFCC = (np.random.default_rng(2).standard_normal((40, 26)) * 10).astype(np.float32)


def both(registry: AugmentationRegistry, text: str, data: np.ndarray, params: dict[str, Any],
         graph_params: dict[str, Any] | None = None, seed: int = 0, label_length: int = 0,
         min_frames: int = 0) -> tuple[Any, Any]:
    """(numpy apply, graph apply) of ``text`` on ``data`` with the same drawn params."""
    augmentation = registry.parse(text)
    expected = augmentation.apply(data, params, context(seed, label_length=label_length, min_frames=min_frames))
    graph = GraphContext(sample_rate=RATE, clock=0.5, label_length=label_length, min_frames=min_frames)
    got = augmentation.graph_apply(tf.constant(data), graph_params or params, graph).numpy()
    return expected, got


def interval_params(sizes: list[Any], length: int, units: float, seed: int) -> dict[str, Any]:
    """Graph params placing the intervals where the numpy apply seeded ``seed`` places them.

    The numpy apply draws ``integers(0, free+1)`` per interval; the graph maps a share ``w`` to ``floor(w*(free+1))``,
    so the centre of each drawn cut's slot gives the same cut.
    """
    fitted = fit_sizes([int(size * units) for size in sizes], length)
    free = length - sum(fitted) - (len(fitted) - 1)
    cuts = np.random.default_rng(seed).integers(0, free + 1, size=len(fitted)) if fitted and free >= 0 else []
    where = np.full(len(sizes), 0.99)
    where[: len(cuts)] = (np.asarray(cuts) + 0.5) / (free + 1)
    dtype = tf.int32 if isinstance(sizes[0], int) else tf.float32
    return {"n": tf.constant(len(sizes)), "size": tf.constant(sizes, dtype), "where": tf.constant(where)}


@pytest.mark.parametrize(("sizes", "seed"), [([5, 2, 9], 0), ([1], 3), ([200, 200], 4), ([40, 40, 40], 5)])
def test_frequency_mask(registry: AugmentationRegistry, sizes: list[int], seed: int) -> None:
    params = {"n": len(sizes), "size": sizes}
    expected, got = both(registry, "frequency_mask", SPEC, params, interval_params(sizes, 257, 1.0, seed), seed)
    assert (got == 0).any()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("domain", "data", "units"), [("features", MFCC, 1 / 20), ("spectrogram", SPEC, 1 / 20),
                                                       ("signal", speechlike(0.5), RATE / 1000)])
def test_time_mask(registry: AugmentationRegistry, domain: str, data: np.ndarray, units: float) -> None:
    sizes = [60.0, 30.0, 100.0]
    params = {"domain": domain, "n": 3, "size": sizes}
    graph = interval_params(sizes, len(data), units, seed=7)
    expected, got = both(registry, f"time_mask[domain={domain}]", data, params, graph, seed=7)
    assert (got == 0).sum() >= (9 if domain != "signal" else 3000)
    np.testing.assert_array_equal(got, expected)


def test_gaps(registry: AugmentationRegistry) -> None:
    audio = speechlike(1.0)
    sizes = [50.0, 125.0]
    expected, got = both(registry, "gaps", audio, {"n": 2, "size": sizes},
                         interval_params(sizes, len(audio), RATE / 1000, seed=2), seed=2)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dbfs", [-10.0, 3.0103, 12.0])
def test_volume(registry: AugmentationRegistry, dbfs: float) -> None:
    expected, got = both(registry, "volume", speechlike(0.5), {"dbfs": dbfs})
    np.testing.assert_allclose(got, expected, atol=1e-6)
    silence = np.zeros(100, np.float32)
    np.testing.assert_array_equal(both(registry, "volume", silence, {"dbfs": dbfs})[1], silence)


@pytest.mark.parametrize("factor", [0.75, 1.25, 1.5])
def test_pitch(registry: AugmentationRegistry, factor: float) -> None:
    expected, got = both(registry, "pitch", SPEC, {"pitch": factor})
    assert got.shape == SPEC.shape
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize(("factor", "max_time", "label_length", "min_frames"),
                         [(0.75, -1.0, 0, 0), (1.25, -1.0, 0, 0), (1.0, 500.0, 0, 0), (4.0, -1.0, 30, 0),
                          (2.0, -1.0, 5, 32), (2.0, -1.0, 5, 60), (0.75, -1.0, 5, 60)])
def test_tempo(registry: AugmentationRegistry, factor: float, max_time: float, label_length: int,
               min_frames: int) -> None:
    params = {"factor": factor, "max_time": max_time}
    expected, got = both(registry, "tempo", SPEC, params, label_length=label_length, min_frames=min_frames)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize(("delay", "decay"), [(20.0, 10.0), (2.0, 1.0), (150.0, 30.0)])
def test_reverb(registry: AugmentationRegistry, delay: float, decay: float) -> None:
    expected, got = both(registry, "reverb", speechlike(0.5), {"delay": delay, "decay": decay})
    np.testing.assert_allclose(got, expected, atol=1e-5)


def noise_params(key: str, value: float) -> dict[str, Any]:
    return {key: value, "seed": tf.constant([3, 4], tf.int64)}


def test_dropout_zeroes_the_share_it_says(registry: AugmentationRegistry) -> None:
    for rate, share in ((0.0, 0.0), (1.0, 1.0)):
        expected, got = both(registry, "dropout", SPEC, {"rate": rate}, noise_params("rate", rate))
        np.testing.assert_array_equal(got, expected)
        assert (got == 0).mean() == share
    got = both(registry, "dropout", SPEC, {"rate": 0.3}, noise_params("rate", 0.3))[1]
    assert (got == 0).mean() == pytest.approx(0.3, abs=0.02)
    np.testing.assert_array_equal(got[got != 0], SPEC[got != 0])


@pytest.mark.parametrize("name", ["add", "multiply"])
def test_noise_has_the_drawn_spread(registry: AugmentationRegistry, name: str) -> None:
    expected, got = both(registry, name, MFCC, {"stddev": 0.0}, noise_params("stddev", 0.0))
    np.testing.assert_array_equal(got, expected)
    got = both(registry, name, MFCC, {"stddev": 2.0}, noise_params("stddev", 2.0))[1]
    noise = got - MFCC if name == "add" else got / MFCC - 1.0
    assert noise.mean() == pytest.approx(0.0, abs=0.15)
    assert noise.std() == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize(("num_t", "num_f", "warp_t", "warp_f"), [(1, 1, 0.1, 0.0), (3, 2, 0.2, 0.1), (2, 4, 0.0, 0.3)])
def test_warp_with_the_numpy_control_flows(registry: AugmentationRegistry, num_t: int, num_f: int, warp_t: float,
                                           warp_f: float) -> None:
    from sttx.plugins.augment._graph_warp import warp_with_grids

    params = {"num_t": num_t, "num_f": num_f, "warp_t": warp_t, "warp_f": warp_f}
    expected = registry.parse("warp").apply(SPEC, params, context(11))
    rng = np.random.default_rng(11)  # replay the apply's draws: the time grid, then the frequency grid
    grids = []
    for strength, size, count in ((warp_t, 40, num_t), (warp_f, 257, num_f)):
        std = strength * size / (2 * (count + 1))
        grids.append(np.pad(rng.normal(0.0, std, size=(num_t, num_f)), 1) if std > 0 else np.zeros((num_t + 2,
                                                                                                      num_f + 2)))
    got = warp_with_grids(tf.constant(SPEC), tf.constant(grids[0]), tf.constant(grids[1])).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_warp_in_graph_moves_points_but_not_the_first_frame(registry: AugmentationRegistry) -> None:
    augmentation = registry.parse("warp[warp_t=0.3,warp_f=0.2,num_t=2,num_f=2]")
    params = augmentation.graph_params(tf.constant([5, 6], tf.int64), 0.5)
    got = augmentation.graph_apply(tf.constant(SPEC), params, GRAPH).numpy()
    assert got.shape == SPEC.shape and not np.allclose(got, SPEC)
    np.testing.assert_allclose(got[0], SPEC[0], atol=1e-6)  # the first frame sits on the zero border of the grid
    still = registry.parse("warp[warp_t=0,warp_f=0]")
    np.testing.assert_array_equal(still.graph_apply(tf.constant(SPEC), still.graph_params(tf.constant([1, 1],
                                  tf.int64), 0.5), GRAPH).numpy(), SPEC)


@pytest.mark.parametrize("via", [4000, 8000, 11025, 16000, 22050])
def test_resample_matches_soxr_to_45_db(registry: AugmentationRegistry, via: int) -> None:
    noise = (np.random.default_rng(via).standard_normal(RATE) * 0.1).astype(np.float32)
    for audio in (speechlike(1.0), noise):
        expected, got = both(registry, "resample", audio, {"rate": via})
        assert got.shape == audio.shape
        error = np.sum((got - expected) ** 2) / np.sum(expected**2)
        assert error < 3e-5, f"{via} Hz: error energy {error:.1e} of the signal's"
    spectrum = np.abs(np.fft.rfft(got * np.hanning(len(got))))  # a window, so the clip's cut edges do not leak
    above = np.fft.rfftfreq(len(got), 1 / RATE) > 0.98 * min(via, RATE) / 2
    assert via >= RATE or spectrum[above].max() < 1e-3 * spectrum.max()


@pytest.fixture(scope="module")
def noise_folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three short WAV clips (0.2, 0.05 and 0.3 s), so a 1 s sample stitches across them and loops."""
    from sttx.core.data.audio import write_audio

    folder = tmp_path_factory.mktemp("noise_folder")
    for i, seconds in enumerate((0.2, 0.05, 0.3)):
        clip = np.random.default_rng(i).standard_normal(int(seconds * RATE)) * (0.1 + 0.1 * i)
        write_audio(folder / f"n{i}.wav", clip.clip(-1, 1), RATE)
    return str(folder)


@pytest.mark.parametrize(("layers", "snr", "seed"), [(1, 3.0, 0), (2, 10.0, 1), (3, -5.0, 2)])
def test_overlay_stitches_the_same_noise_given_the_same_starts(registry: AugmentationRegistry, noise_folder: str,
                                                               layers: int, snr: float, seed: int) -> None:
    from sttx.core.data.audio import read_audio

    clips = [read_audio(f"{noise_folder}/n{i}.wav") for i in range(3)]
    rng, where = np.random.default_rng(seed), []
    for _ in range(layers):  # replay the apply's draws: a clip, then an offset in it, per layer
        index = int(rng.integers(3))
        offset = int(rng.integers(max(1, len(clips[index]))))
        where.append([(index + 0.5) / 3, (offset + 0.5) / max(1, len(clips[index]))])
    params = {"source": noise_folder, "snr": snr, "layers": layers}
    graph = {**params, "where": tf.constant(where, tf.float64)}
    expected, got = both(registry, f"overlay[source={noise_folder}]", speechlike(1.0), params, graph, seed)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_overlay_in_graph_takes_wav_only(registry: AugmentationRegistry, tmp_path) -> None:
    from sttx.core.contract.errors import UsageError
    from sttx.core.data.audio import write_audio

    write_audio(tmp_path / "noise.flac", np.zeros(100), RATE)
    overlay = registry.parse(f"overlay[source={tmp_path / 'noise.flac'}]")
    with pytest.raises(UsageError, match=r"reads mono 16-bit WAV noise at 16000 Hz only: .*noise.flac is FLAC"):
        overlay.graph_apply(tf.constant(speechlike(0.1)), overlay.graph_params(tf.constant([1, 1], tf.int64), 0.5),
                            GRAPH)


def test_overlay_in_graph_takes_the_folders_audio_and_no_collection(registry: AugmentationRegistry,
                                                                     noise_folder: str, tmp_path) -> None:
    from sttx.core.contract.errors import UsageError
    from sttx.plugins.augment._graph_overlay import wav_files

    (tmp_path / "notes.txt").write_text("not noise")
    (tmp_path / "noise.csv").write_text("wav_filename,wav_filesize,transcript\n")
    assert wav_files(noise_folder, RATE) == tuple(f"{noise_folder}/n{i}.wav" for i in range(3))
    with pytest.raises(UsageError, match=r"reads a WAV file or a folder of them, not the collection .*noise\.csv"):
        wav_files(str(tmp_path / "noise.csv"), RATE)
    with pytest.raises(UsageError, match="holds no WAV noise"):
        wav_files(str(tmp_path), RATE)
