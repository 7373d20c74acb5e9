"""Random espeak-ng speaker variants (pitch, formants, voicing, breath, echo) and a data dir that holds them."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from sttx.core.contract.errors import SttxError

#: where espeak-ng keeps variant files inside its data dir; a voice ``lang+name`` reads ``voices/!v/name``
VARIANTS_SUBDIR = Path("voices") / "!v"
#: prefix of generated variant names, kept apart from the variants espeak-ng ships
PREFIX = "sttx"


class VariantError(SttxError):
    """espeak-ng's data dir could not be found or extended with the generated variants."""


def variant_name(seed: int, index: int) -> str:
    """The name of generated variant ``index`` of ``seed`` (what goes after ``+`` in a voice)."""
    return f"{PREFIX}{seed}v{index:04d}"


def random_variant(rng: np.random.Generator, name: str) -> str:
    """The text of an espeak-ng variant file for one random speaker.

    One draw places the speaker between low-pitched, long-vocal-tract voices and high-pitched, short ones
    (pitch and the formant frequencies rise together, as between speakers), then each formant's frequency,
    strength and width, the voicing, consonant loudness, roughness, flutter, spectral tilt, breathiness and
    echo vary on their own. The ranges span the variants espeak-ng ships.
    """
    timbre = rng.uniform(0.0, 1.0)  # 0: deep voice, long vocal tract; 1: high voice, short vocal tract
    low = round((65 + 125 * timbre) * rng.uniform(0.85, 1.15))
    high = round(low * rng.uniform(1.15, 1.8))
    tract = 0.9 + 0.3 * timbre + rng.uniform(-0.06, 0.06)
    lines = ["language variant", f"name {name}", f"gender {'female' if timbre > 0.5 else 'male'}",
             f"pitch {low} {high}"]
    for formant in range(9):
        # formant 0 is the low nasal resonance; 1-5 carry the vowels and scale with the tract; 6-8 the top
        scale = tract if 1 <= formant <= 5 else 1.0
        frequency = round(100 * scale * rng.uniform(0.92, 1.08))
        lines.append(f"formant {formant} {frequency} {int(rng.integers(45, 126))} {int(rng.integers(60, 171))}")
    lines.append(f"voicing {int(rng.integers(40, 166))}")
    lines.append(f"consonants {int(rng.integers(50, 116))} {int(rng.integers(40, 121))}")
    lines.append(f"roughness {int(rng.integers(0, 6))}")
    lines.append(f"flutter {int(rng.choice([0, 0, 1, 3, 5, 8, 20]))}")
    if rng.random() < 0.3:  # spectral tilt: amplitude (0-255) at 600, 1200 and 2000 Hz
        lines.append(f"tone 600 255 1200 {int(rng.integers(120, 256))} 2000 {int(rng.integers(60, 256))}")
    if rng.random() < 0.25:  # breathiness: noise on formants 1-8
        lines.append("breath 0 " + " ".join(str(int(v)) for v in rng.integers(0, 14, size=7)))
        lines.append("breathw " + " ".join(str(int(v)) for v in rng.integers(60, 401, size=6)))
    if rng.random() < 0.35:  # a room: delay (ms) and amplitude (%)
        lines.append(f"echo {int(rng.integers(5, 141))} {int(rng.integers(5, 51))}")
    return "\n".join(lines) + "\n"


def write_variants(out_dir: str | Path, count: int, seed: int) -> list[str]:
    """Write ``count`` random variant files into ``out_dir`` (drawn from ``seed``); returns their names."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = variant_name(seed, index)
        text = random_variant(np.random.default_rng([seed, 7, index]), name)
        (out / name).write_text(text, encoding="utf-8")
        names.append(name)
    return names


def system_data_dir(espeak: str) -> Path:
    """espeak-ng's own data dir, as ``espeak-ng --version`` reports it ("Data at: ...")."""
    done = subprocess.run([espeak, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"Data at:\s*(\S.*)$", done.stdout, re.MULTILINE)
    path = Path(found.group(1).strip()) if found else None
    if path is None or not (path / VARIANTS_SUBDIR).is_dir():
        raise VariantError(f"cannot find espeak-ng's data dir (espeak-ng --version said {done.stdout.strip()!r})")
    return path


@functools.lru_cache(maxsize=4)
def stock_variants(espeak: str) -> frozenset[str]:
    """The names of the variant files espeak-ng ships (what may follow ``+`` in a voice; case matters)."""
    return frozenset(path.name for path in (system_data_dir(espeak) / VARIANTS_SUBDIR).iterdir())


def _link_all(source: Path, target: Path, skip: str = "") -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name != skip:
            (target / entry.name).symlink_to(entry)


#: espeak-ng 1.51 lists at most 349 voice files (N_VOICES_LIST); past that it loses voices without a word
VOICE_LIST_LIMIT = 349


def _voice_files(data: Path) -> int:
    return sum(1 for folder in ("voices", "lang") for path in (data / folder).rglob("*") if path.is_file())


@contextmanager
def data_paths_with(variant_files: Sequence[Path], espeak: str) -> Iterator[dict[str, str]]:
    """Values for ``ESPEAK_DATA_PATH`` under which espeak-ng knows its own voices and ``variant_files`` too,
    by variant name.

    espeak-ng reads variants only from its data dir, which is not the user's to change, so this builds
    temporary ones of symbolic links to the real one, with the variant folder holding both kinds. espeak-ng
    lists every voice and variant file at start and drops what does not fit its fixed-size list, so each data
    dir holds only as many generated variants as leave room for espeak-ng's own files.
    """
    system = system_data_dir(espeak)
    room = max(1, VOICE_LIST_LIMIT - 4 - _voice_files(system))
    paths: dict[str, str] = {}
    with TemporaryDirectory(prefix="sttx-espeak-") as temporary:
        for group in range(0, len(variant_files), room):
            root = Path(temporary) / str(group // room)
            data = root / "espeak-ng-data"
            _link_all(system, data, skip="voices")
            _link_all(system / "voices", data / "voices", skip="!v")
            _link_all(system / VARIANTS_SUBDIR, data / VARIANTS_SUBDIR)
            for path in variant_files[group:group + room]:
                link = data / VARIANTS_SUBDIR / path.name
                if link.exists():
                    raise VariantError(f"variant {path.name} would hide espeak-ng's own variant of that name")
                link.symlink_to(path.resolve())
                paths[path.name] = str(root)
        yield paths
