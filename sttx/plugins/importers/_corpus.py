"""What the corpus importers share: finding the corpus folder, reading listings, splitting, writing the outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._archive import open_corpus
from sttx.plugins.importers._common import ImportOptions, SourceRow, import_rows, write_csv
from sttx.plugins.importers._split import SPLITS, split_by_speaker

#: the collection of rows that cannot be given a set (a line too malformed to name its clip)
UNASSIGNED = "unassigned"
DEFAULT_OUT = "sttx_import"

#: parses one listing line into SourceRow fields (audio, audio_text, sentence, ...), None for a non-row (a
#: comment); raises ValueError saying why a line is malformed
LineParser = Callable[[str], Mapping[str, Any] | None]


def locate(corpus: str | Path, extract_dir: str | Path | None, is_root: Callable[[Path], bool], layout: str) -> Path:
    """The corpus folder: ``corpus`` (or its extracted archive) itself, or the one folder up to 3 levels below
    it for which ``is_root`` holds. ``layout`` says what was looked for, in the error."""
    top = open_corpus(Path(corpus), Path(extract_dir) if extract_dir else None)
    if is_root(top):
        return top
    level, found = [top], []
    for _ in range(3):
        level = sorted(child for folder in level for child in _subfolders(folder))
        found = [folder for folder in level if is_root(folder)]
        if found:
            break
    if len(found) == 1:
        return found[0]
    if not found:
        raise CorpusError(f"{top}: no {layout}")
    raise CorpusError(f"{top}: several corpora inside ({', '.join(map(str, found))}); name one of them")


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [child for child in folder.iterdir() if child.is_dir() and child.name != DEFAULT_OUT]
    except OSError as error:
        raise CorpusError(f"{folder}: cannot read ({error})") from None


def read_text(path: Path) -> str:
    """A listing's text (undecodable bytes replaced, so they surface as malformed rows); unreadable is fatal."""
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as error:
        raise CorpusError(f"{path}: cannot read ({error})") from None


def read_listing(path: Path, root: Path, collection: str, parse: LineParser, *, strict: bool = False) -> list[
        SourceRow]:
    """Every non-blank line of ``path`` as a row; a line ``parse`` rejects becomes a ``malformed_row`` skip.

    :param strict: ``path`` is the corpus's index, so a file with no rows, or none that parse, is a corpus error
        naming the file and its first bad line (the wrong file, not a few bad lines)
    """
    rows, first_error = [], ""
    source = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = parse(line)
        except ValueError as error:
            first_error = first_error or f"line {number}: {error}"
            rows.append(SourceRow(collection=collection, source=source, line=number, audio=None, audio_text="",
                                  sentence=line.strip()[:200], skip="malformed_row", detail=str(error)))
            continue
        if fields is not None:
            rows.append(SourceRow(collection=collection, source=source, line=number, **fields))
    if strict and all(row.skip == "malformed_row" for row in rows):
        raise CorpusError(f"{path}: {first_error or 'no rows'}")
    return rows


def malformed(row: SourceRow) -> bool:
    return row.skip == "malformed_row"


def split_rows(rows: Sequence[SourceRow], group: Callable[[SourceRow], str], dev_percent: float,
               test_percent: float) -> list[SourceRow]:
    """Each row in the set of its group (a speaker, a session, a clip), groups ranked by a hash of their names
    (:func:`~sttx.plugins.importers._split.split_by_speaker`); a row too malformed to name its group goes to
    UNASSIGNED."""
    keys = [group(row) for row in rows]
    sets = split_by_speaker([key for key in keys if key], dev_percent, test_percent)
    return [attrs.evolve(row, collection=sets.get(key, UNASSIGNED)) for row, key in zip(rows, keys, strict=True)]


def mirror_target(root: Path, out: Path, suffix: str) -> Callable[[Path], Path]:
    """Converted clips mirror the corpus tree under ``out/clips`` (corpora reuse file names across folders)."""

    def target_for(source: Path) -> Path:
        relative = source.relative_to(root) if source.is_relative_to(root) else Path(source.name)
        return out / "clips" / relative.with_suffix(suffix)

    return target_for


def names(value: str | Sequence[str] | None) -> list[str] | None:
    """A comma-separated option (or a list already) as names; None stays None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def choose_sets(root: Path, found: Sequence[str], sets: str | Sequence[str] | None) -> list[str]:
    """``--sets`` (default: every set found); a set the corpus lacks is an error naming what it has."""
    chosen = names(sets) or list(found)
    unknown = [name for name in chosen if name not in found]
    if unknown:
        raise CorpusError(f"{root}: no set {', '.join(unknown)}; found {', '.join(found) or 'none'}")
    return chosen


def write_import(importer: str, root: Path, rows: Sequence[SourceRow], out_dir: str | Path | None,
                 options: ImportOptions, collections: Sequence[str] = SPLITS,
                 target_for: Callable[[Path], Path] | None = None) -> ImportReport:
    """Convert and judge ``rows``, write ``<out>/<importer>-<set>.csv`` per collection and import_report.json.

    ``out_dir`` defaults to ``<root>/sttx_import``; clips go under ``<out>/clips`` mirroring the corpus unless
    ``target_for`` names each converted clip.
    """
    out = Path(out_dir) if out_dir else root / DEFAULT_OUT
    present = [*collections, *([UNASSIGNED] if any(row.collection == UNASSIGNED for row in rows) else [])]
    report = ImportReport(importer, str(root), options.max_secs, outcomes={name: [] for name in present})
    report.add(import_rows(rows, target_for or mirror_target(root, out, "." + options.audio_format), options))
    for name in collections:
        csv_path = write_csv(out / f"{importer}-{name}.csv", report.outcomes[name],
                             absolute_paths=options.absolute_paths)
        report.files[name] = str(csv_path)
    report.write(out / "import_report.json")
    return report
