"""The example third-party plugin, really installed with pip: listed by `sttx plugins`, its augmentation usable."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.augmentation import AugmentContext, sample_rng
from sttx.core.contract.plugins import get_plugin_manager

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sttx-locale-xx"


@pytest.fixture(scope="module")
def installed_example():
    """Install the example plugin into this environment unless it already is."""
    try:
        importlib.metadata.distribution("sttx-locale-xx")
    except importlib.metadata.PackageNotFoundError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(EXAMPLE)],
            check=True,
        )
        importlib.invalidate_caches()
    return importlib.metadata.distribution("sttx-locale-xx")


def test_sttx_plugins_lists_the_example(installed_example):
    result = subprocess.run(
        [sys.executable, "-m", "sttx", "plugins", "--json"], capture_output=True, text=True, check=True
    )
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    example = rows["locale_xx"]
    assert example["distribution"] == "sttx-locale-xx"
    assert example["version"] == installed_example.version
    assert example["registered"]["augmentations"] == ["clip"]
    assert "xx" in example["registered"]["label_validators"]


def test_grammar_accepts_the_example_augmentation(installed_example):
    registry = get_plugin_manager(disabled=set()).registries().augmentations
    clip = registry.parse("clip[p=1,dbfs=-6]")
    audio = np.sin(np.linspace(0, 40, 16000)).astype(np.float32)
    clipped, drawn = clip(audio, AugmentContext(sample_rate=16000, rng=sample_rng(1, 0, 0, 0)))
    assert drawn == {"dbfs": -6.0}
    assert np.max(np.abs(clipped)) == pytest.approx(np.max(np.abs(audio)) * 10 ** (-6 / 20), rel=1e-5)


def test_example_validator(installed_example):
    validate = get_plugin_manager(disabled=set()).registries().label_validators.get("xx")
    assert validate("Hello, World!") == "hello world"
    assert validate("room 101") is None
