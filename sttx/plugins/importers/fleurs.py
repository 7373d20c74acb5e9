"""The FLEURS importer (``sttx import fleurs``): a local copy of one language, <set>.tsv + audio/<set>/ (or .tar.gz)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.errors import UsageError
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import ImportReport
from sttx.plugins.importers._archive import extract_once
from sttx.plugins.importers._cli import corpus_command, sets_option
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers._corpus import SPLITS, LineParser, choose_sets, locate, read_listing, write_import

#: the TSVs have no header; these are their columns, named as in FLEURS' Hugging Face loader
COLUMNS = ("id", "file_name", "raw_transcription", "transcription", "transcription_spelled", "num_samples", "gender")
TEXT_COLUMNS = ("transcription", "raw_transcription")


def tsv_parser(audio_dir: Path, column: str) -> LineParser:
    """``id, file name, raw transcription, transcription, ...`` naming ``audio/<set>/<file name>``."""
    index = COLUMNS.index(column)

    def parse(line: str) -> dict[str, Any]:
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) <= index or not fields[1].strip():
            raise ValueError(f"expected {len(COLUMNS)} tab-separated columns ({', '.join(COLUMNS[:4])}, ...), "
                             f"got {len(fields)}")
        clip = fields[1].strip()
        return {"audio": audio_dir / clip, "audio_text": f"{audio_dir.name}/{clip}", "sentence": fields[index].strip()}

    return parse


def _is_root(folder: Path) -> bool:
    return (folder / "audio").is_dir() and any((folder / f"{name}.tsv").is_file() for name in SPLITS)


def unpack_audio(root: Path, name: str) -> Path:
    """``audio/<set>/``, extracted from ``audio/<set>.tar.gz`` (members ``<set>/<file>.wav``) when that is there."""
    archive = root / "audio" / f"{name}.tar.gz"
    if archive.is_file():
        extract_once(archive, root / "audio")
    return root / "audio" / name


def prepare_fleurs(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    sets: str | Sequence[str] | None = None,
    transcript_column: str = "transcription",
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import one FLEURS language (data/<lang> of a local copy, or its archive) into ``fleurs-<set>.csv``.

    :param transcript_column: ``transcription`` (default: FLEURS' normalized text, lower case without
        punctuation, the reference its ASR results are scored on) or ``raw_transcription`` (as read, with case,
        punctuation and digits, for models that write them)
    """
    if transcript_column not in TEXT_COLUMNS:
        raise UsageError(f"--transcript_column {transcript_column}: choose {' or '.join(TEXT_COLUMNS)}")
    options = options or ImportOptions()
    root = locate(corpus, extract_dir, _is_root,
                  "<set>.tsv beside audio/ (FLEURS layout: data/<lang>/{train,dev,test}.tsv, audio/<set>/)")
    chosen = choose_sets(root, [name for name in SPLITS if (root / f"{name}.tsv").is_file()], sets)
    rows = [row for name in chosen for row in read_listing(
        root / f"{name}.tsv", root, name, tsv_parser(unpack_audio(root, name), transcript_column), strict=True)]
    return write_import("fleurs", root, rows, out_dir, options, collections=chosen)


fleurs_command = corpus_command(
    "fleurs", prepare_fleurs,
    extra=[sets_option(),
           option("--transcript_column", type=click.Choice(TEXT_COLUMNS), default="transcription",
                  help="FLEURS' normalized transcription, or the raw one with case and punctuation.")],
    help_text="Import one FLEURS language (a local data/<lang> folder: <set>.tsv and audio/<set>/ or "
              "audio/<set>.tar.gz) into fleurs-{train,dev,test}.csv.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("fleurs", Importer(prepare=prepare_fleurs, command=fleurs_command,
                                    description="FLEURS, one language (<set>.tsv + audio/<set>/ or .tar.gz)"))
