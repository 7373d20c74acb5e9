"""The shard index format: its name and version, the TFRecord framing of each record, and reading the index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sttx.core.contract.errors import DataError

FORMAT, VERSION = "sttx-shards", 1
#: TFRecord framing around each payload: length (8 bytes) and its CRC (4) before, the payload's CRC (4) after
RECORD_HEAD, RECORD_TAIL = 12, 4


def load_index(path: Path) -> dict[str, Any]:
    """The index, checked; DataError names the file and what is wrong."""
    try:
        index = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not a readable shard index ({error})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise DataError(f"{path}: not an sttx shard index (no \"format\": \"{FORMAT}\")")
    if index.get("version") != VERSION:
        raise DataError(f"{path}: shard index version {index.get('version')!r}; this sttx reads version {VERSION}")
    return index
