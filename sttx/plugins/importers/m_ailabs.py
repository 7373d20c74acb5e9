"""The M-AILABS importer (``sttx import m_ailabs``): by_book/.../metadata.csv + wavs/, a --skiplist, split by clip."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import corpus_command
from sttx.plugins.importers._common import ImportOptions, SourceRow
from sttx.plugins.importers._corpus import locate, names, read_listing, split_rows, write_import
from sttx.plugins.importers.ljspeech import metadata_parser

#: Coqui's import_m-ailabs.py limit: M-AILABS sentences run longer than Common Voice's
MAX_SECS = 15.0


def read_books(by_book: Path, root: Path, skiplist: Sequence[str]) -> list[SourceRow]:
    """Every book's metadata.csv (``female|male/<speaker>/<book>/`` or ``mix/<book>/``); a book whose path has a
    folder named on the skiplist (a speaker, a book, a gender) is read and counted, every row skipped."""
    try:
        listings = sorted(by_book.rglob("metadata.csv"))
    except OSError as error:
        raise CorpusError(f"{by_book}: cannot read ({error})") from None
    rows = []
    for listing in listings:
        parts = listing.parent.relative_to(by_book).parts
        speaker = parts[1] if len(parts) >= 3 and parts[0] in ("female", "male") else "mix"
        book = read_listing(listing, root, "", metadata_parser(listing.parent / "wavs", speaker))
        skipped = next((part for part in parts if part in skiplist), None)
        if skipped is not None:
            book = [row if row.skip else attrs.evolve(row, skip="skiplist", detail=f"{skipped} is on the skiplist")
                    for row in book]
        rows.extend(book)
    return rows


def prepare_m_ailabs(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    skiplist: str | Sequence[str] | None = None,
    dev_percent: float = 10.0,
    test_percent: float = 10.0,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import one M-AILABS language (the <lang> folder holding by_book/, or <lang>.tgz) into
    ``m_ailabs-{train,dev,test}.csv``, using the normalized column; clips are split by a hash of their path
    (M-AILABS has a handful of speakers per language, too few for a speaker-disjoint split)."""
    options = options or ImportOptions(max_secs=MAX_SECS)
    root = locate(corpus, extract_dir,
                  lambda folder: (folder / "by_book").is_dir(), "by_book/ (M-AILABS layout: <lang>/by_book/...)")
    rows = read_books(root / "by_book", root, names(skiplist) or [])
    if not rows:
        raise CorpusError(f"{root / 'by_book'}: no metadata.csv in any book folder")
    rows = split_rows(rows, lambda row: row.audio_text and f"{Path(row.source).parent}/{row.audio_text}",
                      dev_percent, test_percent)
    return write_import("m_ailabs", root, rows, out_dir, options)


m_ailabs_command = corpus_command(
    "m_ailabs", prepare_m_ailabs, split_unit="clips", max_secs=MAX_SECS,
    extra=[option("--skiplist", default=None,
                  help="Comma-separated folder names (speakers, books, female/male/mix) to skip, as Coqui's flag.")],
    help_text="Import one M-AILABS language (<lang> folder or <lang>.tgz): each book's metadata.csv normalized "
              "column, split by clip into m_ailabs-{train,dev,test}.csv.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("m_ailabs", Importer(prepare=prepare_m_ailabs, command=m_ailabs_command,
                                      description="M-AILABS, one language (by_book/ metadata.csv + wavs/, or .tgz)"))
