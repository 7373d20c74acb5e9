"""Fixtures for the format tests: real speech synthesized with espeak-ng at 16 kHz."""

from __future__ import annotations

import subprocess

import pytest


def synthesize(folder, name: str, text: str, rate: int = 16000):
    """espeak-ng speech of ``text`` as a 16-bit mono WAV at ``rate`` in ``folder``."""
    raw, target = folder / f"{name}.raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(target)], check=True)
    raw.unlink()
    return target


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory):
    """A folder with two espeak clips, one.wav and two.wav."""
    folder = tmp_path_factory.mktemp("speech")
    synthesize(folder, "one", "the quick brown fox")
    synthesize(folder, "two", "jumps over the lazy dog")
    return folder
