"""Speech for the manifest importers' tests: the shipped sample clips, whole or joined into long recordings."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile

from sttx.plugins.importers.espeak import SAMPLE_DIR

RATE = 16000
GAP = 0.3  # seconds of silence between the utterances of a joined recording


def sample(count: int) -> list[tuple[np.ndarray, str]]:
    """The first ``count`` sample clips (float32, 16 kHz) with their transcripts."""
    with (SAMPLE_DIR / "sample.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:count]
    return [(soundfile.read(SAMPLE_DIR / row["wav_filename"], dtype="float32")[0], row["transcript"])
            for row in rows]


def join(clips: list[np.ndarray], path: Path, rate: int = RATE) -> list[tuple[float, float]]:
    """Write the clips one after another with GAP seconds of silence between; return each one's (start, end)."""
    gap = np.zeros(int(GAP * RATE), dtype=np.float32)
    parts, spans, at = [], [], 0
    for clip in clips:
        spans.append((at / RATE, (at + len(clip)) / RATE))
        parts += [clip, gap]
        at += len(clip) + len(gap)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.concatenate(parts), rate)
    return spans


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def accounted(report, collections) -> bool:
    """Every row of every collection is imported or skipped with a reason: the counts add up."""
    return all(
        report.counts(name)["rows"] == report.counts(name)["imported"] + sum(report.counts(name)["skipped"].values())
        for name in collections)
