"""overlay mixes noise at the drawn SNR, from a file, a folder or a collection, deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.registry import AugmentationRegistry
from sttx.core.data.audio import write_audio
from sttx.plugins.augment._dsp import max_dbfs
from tests.plugins.augment.conftest import RATE, context, speechlike


def measured_snr(clean: np.ndarray, mixed: np.ndarray) -> float:
    """Peak-level SNR (DeepSpeech's definition) of the mix against the clean signal it was scaled from."""
    scale = float(np.dot(mixed, clean) / np.dot(clean, clean))
    return max_dbfs(scale * clean) - max_dbfs(mixed - scale * clean)


@pytest.mark.parametrize("snr", [0.0, 6.0, 15.0, 30.0])
def test_overlay_reaches_the_snr(registry: AugmentationRegistry, noise_file: Path, snr: float) -> None:
    clean = speechlike(2.0)
    out, params = registry.parse(f"overlay[source={noise_file},snr={snr}]")(clean, context(5))
    assert params == {"source": str(noise_file), "snr": snr, "layers": 1}
    assert abs(measured_snr(clean, out) - snr) < 1.0
    assert abs(max_dbfs(out) - max_dbfs(clean)) < 1e-3, "the mix is renormalised to the original peak"


def test_noise_is_looped_to_the_sample_length(registry: AugmentationRegistry, noise_file: Path) -> None:
    clean = speechlike(4.0)  # the noise file is 1.3 s long
    out, _ = registry.parse(f"overlay[source={noise_file},snr=0]")(clean, context(1))
    residual = out - float(np.dot(out, clean) / np.dot(clean, clean)) * clean
    quarters = residual.reshape(4, -1)
    assert all(np.std(part) > 0.05 * np.std(residual) for part in quarters)


def test_same_seed_same_noise_other_seed_other_noise(registry: AugmentationRegistry, noise_file: Path) -> None:
    overlay = registry.parse(f"overlay[source={noise_file},layers=2]")
    clean = speechlike(0.5)
    assert overlay(clean, context(3))[0].tobytes() == overlay(clean, context(3))[0].tobytes()
    assert not np.array_equal(overlay(clean, context(3))[0], overlay(clean, context(4))[0])


def test_folder_and_collection_sources(registry: AugmentationRegistry, tmp_path: Path) -> None:
    folder = tmp_path / "noises"
    folder.mkdir()
    for index in range(3):
        write_audio(folder / f"n{index}.flac", np.full(RATE // 4, 0.1 * (index + 1), np.float32), RATE)
    out, _ = registry.parse(f"overlay[source={folder},snr=0]")(speechlike(), context())
    assert not np.array_equal(out, speechlike())
    csv = tmp_path / "noise.csv"
    lines = ["wav_filename,wav_filesize,transcript"]
    lines += [f"{folder / f'n{i}.flac'},{(folder / f'n{i}.flac').stat().st_size}," for i in range(3)]
    csv.write_text("\n".join(lines) + "\n")
    out, _ = registry.parse(f"overlay[source={csv},snr=0]")(speechlike(), context())
    assert not np.array_equal(out, speechlike())


def test_missing_source_is_a_clear_error(registry: AugmentationRegistry, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sdb"
    with pytest.raises(ValueError, match=r"no such file or folder: .*nowhere\.sdb"):
        registry.parse(f"overlay[source={missing}]")
    with pytest.raises(ValueError, match="needs a noise source"):
        registry.parse("overlay")
