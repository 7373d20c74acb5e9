"""Parity of an export with its checkpoint: both run on a few clips, WER of each, failure beyond a tolerance."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.errors import SttxError
from sttx.core.evaluation.metrics import word_error_rate
from sttx.core.inference.reference import Acoustic, acoustic_features, greedy_decode

log = logging.getLogger(__name__)


class ParityError(SttxError):
    """An export's outputs differ from its checkpoint's beyond the tolerance (names the file and the clip)."""


@attrs.frozen
class ParityReport:
    """What the parity check measured."""

    export: str
    clips: int
    max_abs_diff: float
    checkpoint_wer: float | None
    export_wer: float | None
    same_transcripts: int

    def describe(self) -> str:
        """One line for the log or the CLI."""
        wers = ""
        if self.checkpoint_wer is not None:
            wers = f", WER checkpoint {self.checkpoint_wer:.4f} vs export {self.export_wer:.4f}"
        return (
            f"parity {self.export}: {self.clips} clips, max |dprob| {self.max_abs_diff:.2e}, "
            f"{self.same_transcripts}/{self.clips} identical transcripts{wers}"
        )


def sample_clips(limit: int) -> list[tuple[str, str | None]]:
    """(audio path, transcript) of the first clips of the shipped sample corpus (empty when not installed)."""
    folder = Path(str(resources.files("sttx") / "data" / "sample"))
    table = next(iter(sorted(folder.glob("*.csv"))), None) if folder.is_dir() else None
    return read_clip_list(table, limit) if table else []


def read_clip_list(table: str | Path, limit: int) -> list[tuple[str, str | None]]:
    """(audio path, transcript) rows of a DeepSpeech CSV, paths resolved against the CSV's folder."""
    rows = []
    with Path(table).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            audio = Path(row["wav_filename"])
            rows.append((str(audio if audio.is_absolute() else Path(table).parent / audio), row.get("transcript")))
            if len(rows) >= limit:
                break
    return rows


def _load(path: str) -> np.ndarray:
    from sttx.core.data.audio import read_audio

    return read_audio(path)


def compare(
    reference: Acoustic, exported: Acoustic, alphabet: Any, clips: Sequence[tuple[str, str | None]], label: str
) -> ParityReport:
    """Run both on every clip (a seeded noise clip when none are given) and measure the differences."""
    audios = [(_load(path), text) for path, text in clips] or [(_noise(), None)]
    diff, same, refs, ref_out, exp_out = 0.0, 0, [], [], []
    for audio, text in audios:
        features = acoustic_features(reference, audio)
        expected, actual = reference.probabilities(features), exported.probabilities(features)
        diff = max(diff, float(np.max(np.abs(expected - actual))))
        ref_text, exp_text = greedy_decode(expected, alphabet).text, greedy_decode(actual, alphabet).text
        same += ref_text == exp_text
        refs.append(text)
        ref_out.append(ref_text)
        exp_out.append(exp_text)
    scored = [text for text in refs if text is not None]
    complete = len(scored) == len(refs)
    return ParityReport(
        export=label,
        clips=len(audios),
        max_abs_diff=diff,
        checkpoint_wer=word_error_rate(scored, ref_out) if complete else None,
        export_wer=word_error_rate(scored, exp_out) if complete else None,
        same_transcripts=same,
    )


def _noise() -> np.ndarray:
    rng = np.random.default_rng(1234)
    return (0.1 * np.sin(np.arange(24000) * 0.05) + 0.05 * rng.standard_normal(24000)).astype(np.float32)


def enforce(report: ParityReport, tolerance: float, *, lossy: bool) -> ParityReport:
    """Log the report; for lossless exports fail when outputs or transcripts differ beyond ``tolerance``."""
    log.info("%s", report.describe())
    if lossy:
        return report
    if report.max_abs_diff > tolerance or report.same_transcripts != report.clips:
        raise ParityError(f"{report.describe()}; tolerance {tolerance:g} exceeded")
    return report


def check_export_parity(source: Any, exported: Acoustic, label: str, options: Any, *, lossy: bool) -> ParityReport:
    """Compare an export with ``source``'s own output on the dev clips (or the shipped samples)."""
    limit = options.parity_clips
    clips = read_clip_list(source.dev_files[0], limit) if source.dev_files else sample_clips(limit)
    report = compare(source.reference(), exported, source.alphabet, clips, label)
    return enforce(report, options.parity_tolerance, lossy=lossy)
