"""A second locale end to end: the example plugin's German validator, pip-installed, used by `sttx import cv`."""

from __future__ import annotations

import csv
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from sttx.plugins.importers.espeak import synthesize_corpus

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sttx-locale-xx"
GERMAN = [
    "Über die Brücke fährt ein großer Zug.",
    "Die Kinder spielen fröhlich im Garten.",
    "Heute ist das Wetter schön und warm.",
    "Wir trinken Kaffee im Café am Markt.",
    "Die Straße ist nass vom Regen.",
    "Müde Füße brauchen Ruhe.",
    "Der Bäcker öffnet früh am Morgen.",
    "Es ist 5 Uhr.",  # digits: the de validator rejects it
]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


@pytest.fixture(scope="module")
def example_with_de() -> str:
    """The example plugin installed with pip, at least the version that registers ``de``."""
    wanted = _version(next(line.split('"')[1] for line in (EXAMPLE / "pyproject.toml").read_text().splitlines()
                           if line.startswith("version")))
    try:
        current = _version(importlib.metadata.version("sttx-locale-xx"))
    except importlib.metadata.PackageNotFoundError:
        current = ()
    if current < wanted:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--force-reinstall", str(EXAMPLE)], check=True)
        importlib.invalidate_caches()
    return importlib.metadata.version("sttx-locale-xx")


def test_import_cv_with_the_german_validator(example_with_de, tmp_path):
    corpus = tmp_path / "cv-de"
    synthesize_corpus(GERMAN, corpus, count=len(GERMAN), voices=["de", "de+f2", "de+m3"], seed=3, layout="cv",
                      sample_rate=48000, locale="de")
    alphabet = tmp_path / "alphabet-de.txt"
    alphabet.write_text("\n".join([" ", *"abcdefghijklmnopqrstuvwxyz", *"äöüß", "'"]) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sttx", "import", "cv", str(corpus), "--sets", "validated",
                           "--validate_label_locale", "de", "--filter_alphabet", str(alphabet), "--jobs", "1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "validated: Imported 7 samples" in done.stdout
    assert "Skipped 1 samples that failed on transcript validation." in done.stdout
    with (corpus / "clips" / "validated.csv").open(encoding="utf-8") as handle:
        transcripts = {row["transcript"] for row in csv.DictReader(handle)}
    assert {"über die brücke fährt ein großer zug", "müde füße brauchen ruhe",
            "wir trinken kaffee im cafe am markt"} <= transcripts
    assert len(transcripts) == 7


@pytest.mark.parametrize(("label", "expected"), [
    ("Über den Fluß, oder?", "über den fluß oder"),
    ("GROẞE Straße", "große straße"),
    ("Café „Zum Löwen“", "cafe zum löwen"),
    ("Geht’s gut?", "geht's gut"),
    ("Es ist 5 Uhr.", None),
    ("Ελλάδα", None),
    ("?!", None),
])
def test_german_validator_rules(label, expected):
    import importlib.util

    spec = importlib.util.spec_from_file_location("sttx_locale_xx_source", EXAMPLE / "sttx_locale_xx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.validate_label_de(label) == expected
