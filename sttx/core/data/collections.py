"""Read sample collections (CSV, SDB, JSONL... by extension) into SampleRef rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sttx.core.contract.errors import DataError, UnknownNameError

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import SampleRef


def split_file_list(values: str | Iterable[str]) -> list[str]:
    """``a.csv,b.csv`` (DeepSpeech's flag spelling) or a list of such strings -> the file names."""
    items = [values] if isinstance(values, str) else list(values)
    return [name.strip() for item in items for name in str(item).split(",") if name.strip()]


def read_collection_rows(path: str | Path, formats: SampleFormatRegistry) -> Iterator[SampleRef]:
    """The rows of one collection as the format yields them (lazily, for most formats)."""
    try:
        _, sample_format = formats.for_path(str(path))
    except UnknownNameError as error:
        known = ", ".join(error.valid) or "(no sample formats registered)"
        raise DataError(f"{path}: no sample format reads this file type; known extensions: {known}") from None
    if not Path(path).is_file():
        raise DataError(f"{path}: no such sample collection file")
    return sample_format.read(Path(path))


def read_collection(path: str | Path, formats: SampleFormatRegistry) -> list[SampleRef]:
    """Every row of one collection; DataError names a missing file or an extension no format claims."""
    return list(read_collection_rows(path, formats))


def probe_collection(path: str | Path, formats: SampleFormatRegistry) -> None:
    """Fail fast on a collection that cannot be read: a folder, a missing file, an unclaimed type, a bad header.

    Reads the header and the first row only, so a command can check its inputs before any long work starts.
    """
    if Path(path).is_dir():
        raise DataError(f"{path}: a folder, not a sample collection file")
    rows = iter(read_collection_rows(path, formats))
    try:
        next(rows, None)
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def read_collections(paths: str | Iterable[str], formats: SampleFormatRegistry) -> list[SampleRef]:
    """The rows of several collections, in the order given (comma-separated names are split)."""
    refs: list[SampleRef] = []
    for path in split_file_list(paths):
        refs.extend(read_collection(path, formats))
    return refs
