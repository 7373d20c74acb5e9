"""The LJSpeech importer (``sttx import ljspeech``): metadata.csv (id|text|normalized) + wavs/, split by clip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sttx import hookimpl
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import ImportReport
from sttx.plugins.importers._cli import corpus_command
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers._corpus import LineParser, locate, read_listing, split_rows, write_import

LAYOUT = "metadata.csv beside wavs/ (LJSpeech-1.1 layout)"


def metadata_parser(wavs: Path, speaker: str = "") -> LineParser:
    """Lines ``id|transcript|normalized transcript`` naming ``wavs/<id>.wav`` (LJSpeech's and M-AILABS' format).

    The normalized column (numbers, abbreviations and symbols spelled out) is the label: the raw column keeps
    "1845" and "Mr." that every validator would have to reject or guess at.
    """

    def parse(line: str) -> dict[str, Any]:
        fields = line.rstrip("\r\n").split("|")
        if len(fields) < 3 or not fields[0].strip():
            raise ValueError(f"expected id|transcript|normalized transcript, got {len(fields)} field(s)")
        clip = fields[0].strip() + ".wav"
        return {"audio": wavs / clip, "audio_text": clip, "sentence": fields[2].strip(), "speaker": speaker}

    return parse


def prepare_ljspeech(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    dev_percent: float = 10.0,
    test_percent: float = 10.0,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import LJSpeech (the LJSpeech-1.1 folder or LJSpeech-1.1.tar.bz2) into ``ljspeech-{train,dev,test}.csv``.

    LJSpeech has no official split; clips are split by a hash of their id (one speaker, so only clip-disjoint).
    """
    options = options or ImportOptions()
    root = locate(corpus, extract_dir,
                  lambda folder: (folder / "metadata.csv").is_file() and (folder / "wavs").is_dir(), LAYOUT)
    rows = read_listing(root / "metadata.csv", root, "", metadata_parser(root / "wavs", "LJ"), strict=True)
    rows = split_rows(rows, lambda row: Path(row.audio_text).stem, dev_percent, test_percent)
    return write_import("ljspeech", root, rows, out_dir, options)


ljspeech_command = corpus_command(
    "ljspeech", prepare_ljspeech, split_unit="clips",
    help_text="Import LJSpeech (the LJSpeech-1.1 folder or its .tar.bz2): metadata.csv's normalized transcripts, "
              "wavs/ converted, split by clip into ljspeech-{train,dev,test}.csv.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("ljspeech", Importer(prepare=prepare_ljspeech, command=ljspeech_command,
                                      description="LJSpeech 1.1 (metadata.csv + wavs/, or the .tar.bz2)"))
