"""The VCTK importer (``sttx import vctk``): 0.92's flac per microphone or 0.80's wav48, txt/, speaker-disjoint."""

from __future__ import annotations

from pathlib import Path

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.errors import UsageError
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import corpus_command
from sttx.plugins.importers._common import ImportOptions, SourceRow
from sttx.plugins.importers._corpus import locate, read_text, split_rows, write_import

#: audio folder -> (file pattern, whether names carry a _micN suffix); 0.92 first
LAYOUTS = {"wav48_silence_trimmed": ("*.flac", True), "wav48": ("*.wav", False)}
MICS = ("mic1", "mic2")


def _is_root(folder: Path) -> bool:
    return (folder / "txt").is_dir() and any((folder / audio).is_dir() for audio in LAYOUTS)


def _utterances(folder: Path, pattern: str, mic: str | None) -> dict[str, Path]:
    """Utterance id (p225_001) -> its file; with ``mic``, only that microphone's files."""
    found = {}
    for path in folder.glob(f"*/{pattern}"):
        stem = path.stem
        if mic is not None:
            stem, _, which = stem.rpartition("_")
            if which != mic:
                continue
        found[stem] = path
    return found


def scan(root: Path, mic: str) -> list[SourceRow]:
    """A row per utterance that has a transcript or audio: a transcript without audio is a missing clip, audio
    without a transcript an empty sentence (VCTK 0.92 has no text for p315), told without reading the audio."""
    audio_dir = next(root / name for name in LAYOUTS if (root / name).is_dir())
    pattern, has_mic = LAYOUTS[audio_dir.name]
    try:
        audio = _utterances(audio_dir, pattern, mic if has_mic else None)
        texts = {path.stem: path for path in (root / "txt").glob("*/*.txt")}
    except OSError as error:
        raise CorpusError(f"{root}: cannot read ({error})") from None
    suffix = (f"_{mic}" if has_mic else "") + pattern.lstrip("*")  # the file a transcript's audio would be
    return [_row(root, name, audio.get(name) or audio_dir / name.split("_")[0] / (name + suffix), texts.get(name))
            for name in sorted(set(audio) | set(texts))]


def _row(root: Path, name: str, clip: Path, text: Path | None) -> SourceRow:
    listed, speaker = str(clip.relative_to(root)), clip.parent.name
    if text is None:
        return SourceRow(collection="", source=listed, line=1, audio=clip, audio_text=listed, sentence="",
                         speaker=speaker, skip="empty_sentence", detail=f"no txt/{speaker}/{name}.txt")
    return SourceRow(collection="", source=str(text.relative_to(root)), line=1, audio=clip, audio_text=listed,
                     sentence=read_text(text).strip(), speaker=speaker)


def prepare_vctk(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    mic: str = "mic1",
    dev_percent: float = 10.0,
    test_percent: float = 10.0,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import VCTK (0.92: wav48_silence_trimmed/*/*_micN.flac, or 0.80: wav48/*/*.wav; txt/*/*.txt) into
    ``vctk-{train,dev,test}.csv``, split by speaker so no voice is in two sets. Folder, .zip or .tar.gz."""
    if mic not in MICS:
        raise UsageError(f"--mic {mic}: choose {' or '.join(MICS)}")
    options = options or ImportOptions()
    root = locate(corpus, extract_dir, _is_root,
                  "txt/ beside wav48_silence_trimmed/ or wav48/ (VCTK 0.92 or 0.80 layout)")
    rows = split_rows(scan(root, mic), lambda row: row.speaker, dev_percent, test_percent)
    return write_import("vctk", root, rows, out_dir, options)


vctk_command = corpus_command(
    "vctk", prepare_vctk, split_unit="speakers",
    extra=[option("--mic", type=click.Choice(MICS), default="mic1",
                  help="Which of VCTK 0.92's two microphones to import (0.80 has one).")],
    help_text="Import VCTK 0.92 or 0.80 (folder, .zip or .tar.gz) into vctk-{train,dev,test}.csv, split by "
              "speaker.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("vctk", Importer(prepare=prepare_vctk, command=vctk_command,
                                  description="VCTK 0.92 (flac, mic1/mic2) or 0.80 (wav48), speaker-disjoint split"))
