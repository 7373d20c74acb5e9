"""bench/import.py's part "importers": the synthesized clips laid out as each corpus ships, each importer timed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

from sttx.core.data.audio import read_audio
from sttx.core.data.importing import ImportReport, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.common_voice import prepare_cv
from sttx.plugins.importers.espeak import SynthesisReport
from sttx.plugins.importers.ljspeech import prepare_ljspeech
from sttx.plugins.importers.tedlium import prepare_tedlium
from sttx.plugins.validators.en import validate_label_en

CLIPS_PER_TALK = 10


def layout_ljspeech(report: SynthesisReport, root: Path) -> Path:
    """LJSpeech-1.1: wavs/ at 22.05 kHz, 16-bit, as LJSpeech ships, and metadata.csv."""
    corpus = root / "LJSpeech-1.1"
    (corpus / "wavs").mkdir(parents=True)
    lines = []
    for number, clip in enumerate(report.clips):
        name = f"LJ001-{number:04d}"
        audio = read_audio(report.out_dir / clip.path, target_rate=22050)
        soundfile.write(corpus / "wavs" / f"{name}.wav", audio, 22050, subtype="PCM_16")
        lines.append(f"{name}|{clip.sentence}|{clip.sentence}")
    (corpus / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def layout_tedlium(report: SynthesisReport, root: Path) -> Path:
    """TEDLIUM_release-3/data: talks of 10 clips each with 0.5 s between them, 16 kHz SPHERE, and their STMs."""
    corpus = root / "TEDLIUM_release-3" / "data"
    for folder in ("sph", "stm"):
        (corpus / folder).mkdir(parents=True)
    gap = np.zeros(8000, dtype=np.float32)
    for first in range(0, len(report.clips), CLIPS_PER_TALK):
        talk, pieces, lines, at = f"Talk{first:05d}", [], [], 0.0
        for clip in report.clips[first:first + CLIPS_PER_TALK]:
            audio = read_audio(report.out_dir / clip.path, target_rate=16000)
            start, at = at + 0.5, at + 0.5 + len(audio) / 16000
            pieces += [gap, audio]
            lines.append(f"{talk} 1 {talk} {start:.3f} {at:.3f} <o,f0,male> {clip.transcript}")
        soundfile.write(corpus / "sph" / f"{talk}.sph", np.concatenate(pieces), 16000, format="NIST",
                        subtype="PCM_16")
        (corpus / "stm" / f"{talk}.stm").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus.parent


def _cv(corpus: Path, out: Path, options: ImportOptions) -> ImportReport:
    for wav in (corpus / "clips").glob("*.wav"):  # a fresh import each time, not a resumed one
        wav.unlink()
    return prepare_cv(corpus, sets=["validated"], options=options)


IMPORTERS: dict[str, tuple[Callable[[SynthesisReport, Path], Path] | None, Callable[..., ImportReport]]] = {
    "cv": (None, _cv),
    "ljspeech": (layout_ljspeech, lambda corpus, out, options: prepare_ljspeech(corpus, out_dir=out, options=options)),
    "tedlium": (layout_tedlium, lambda corpus, out, options: prepare_tedlium(corpus, out_dir=out, options=options)),
}


def run_importers(report: SynthesisReport, root: Path, names: list[str], jobs: int, repeat: int) -> None:
    """Each importer end to end on the same audio, best of ``repeat`` fresh runs: clips/s and audio-s/s."""
    options = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=jobs, max_secs=60,
                            show_progress=False)
    print(f"importers end to end, {jobs} workers (best of {repeat}):")
    print(f"  {'importer':<10} {'source audio':<32} {'clips':>6} {'clips/s':>8} {'audio s/s':>10}")
    sources = {"cv": "48 kHz mp3", "ljspeech": "22.05 kHz wav", "tedlium": "16 kHz sph talks, STM segments"}
    for name in names:
        make, run = IMPORTERS[name]
        corpus = make(report, root / f"layout-{name}") if make else report.out_dir
        walls, done = [], None
        for attempt in range(repeat):
            out = root / f"out-{name}-{attempt}"
            start = time.perf_counter()
            done = run(corpus, out, options)
            walls.append(time.perf_counter() - start)
            shutil.rmtree(out, ignore_errors=True)
        assert done is not None
        clips = sum(done.counts(set_name)["imported"] for set_name in done.outcomes)
        seconds = sum(done.counts(set_name)["imported_seconds"] for set_name in done.outcomes)
        if clips != len(report.clips):
            raise SystemExit(f"{name}: imported {clips} of {len(report.clips)} clips")
        wall = min(walls)
        print(f"  {name:<10} {sources[name]:<32} {clips:>6} {clips / wall:>8.1f} {seconds / wall:>9.0f}x")
