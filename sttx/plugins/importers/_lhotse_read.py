"""Lhotse manifests read as documented JSON(L), without lhotse (it needs torch): items, and audio per recording."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError
from sttx.plugins.importers._spans import Recording, Span

Located = tuple[Recording | None, Span, tuple[str, str] | None]

SUFFIXES = (".jsonl.gz", ".jsonl", ".json.gz", ".json")


def kind_of(item: dict[str, Any]) -> str:
    """lhotse's own rule: 'sources' makes a Recording, 'type' a cut (MonoCut, MultiCut, MixedCut), else a
    SupervisionSegment."""
    if "sources" in item:
        return "recording"
    if "type" in item:
        return str(item["type"])
    return "supervision"


def read_items(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, item) of a .jsonl(.gz) (an object a line) or a .json(.gz) (a list; ``line`` is then the index + 1)."""
    if not path.name.endswith(SUFFIXES):
        raise CorpusError(f"{path}: not a lhotse manifest ({', '.join(SUFFIXES)})")
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            if ".jsonl" in path.name:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield number, _object(path, number, _parse(path, number, line))
            else:
                data = _parse(path, 1, handle.read())
                if not isinstance(data, list):
                    raise CorpusError(f"{path}: a .json manifest is a list of objects")
                for number, item in enumerate(data, start=1):
                    yield number, _object(path, number, item)
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise CorpusError(f"{path}: cannot read ({error})") from None


def _parse(path: Path, number: int, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CorpusError(f"{path} line {number}: not JSON ({error.msg})") from None


def _object(path: Path, number: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise CorpusError(f"{path} line {number}: not a JSON object")
    return item


def field(item: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``item[name]`` of the given type, else an error naming the manifest line and the field."""
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CorpusError(f"{where}: '{name}' should be {wanted}, not {json.dumps(value)[:40]}")
    return value


@attrs.frozen(kw_only=True)
class AudioLocator:
    """Turns a Recording manifest and a channel choice into where to read and which channels to mix."""

    audio_root: Path
    allow_pipes: bool = False

    def locate(self, recording: dict[str, Any], channel: Any, where: str) -> Located:
        """Where to read and which channels to mix, or the (reason, detail) the rows are skipped for."""
        name = field(recording, "id", str, where)
        sources = field(recording, "sources", list, where)
        steps = [str(step.get("name", "?")) for step in recording.get("transforms") or [] if isinstance(step, dict)
                 and step.get("name") != "Resample"]  # every clip is resampled anyway
        if steps:
            return None, Span(), ("unsupported_source", f"recording '{name}' applies transforms ({', '.join(steps)})")
        wanted = [channel] if isinstance(channel, int) else list(channel) if isinstance(channel, list) else None
        holders = [source for source in sources if isinstance(source, dict) and (
            wanted is None or set(wanted) & set(source.get("channels") or []))]
        if len(holders) != 1:
            what = "no source" if not holders else "sources in several files"
            return None, Span(), ("unsupported_source", f"recording '{name}' has {what} for channel(s) {wanted}")
        source = holders[0]
        listed = field(source, "channels", list, where)
        indices = None if wanted is None else tuple(listed.index(number) for number in wanted if number in listed)
        span = Span(channels=None if indices is None or sorted(indices) == list(range(len(listed))) else indices)
        found = self._recording(name, source, where)
        return (found, span, None) if isinstance(found, Recording) else (None, span, found)

    def _recording(self, name: str, source: dict[str, Any], where: str) -> Recording | tuple[str, str]:
        kind, value = source.get("type"), source.get("source")
        if kind == "file" and isinstance(value, str):
            path = Path(value) if Path(value).is_absolute() else self.audio_root / value
            return Recording("file", str(path), str(path))
        if kind == "command" and isinstance(value, str):
            if not self.allow_pipes:
                raise UsageError(f"{where}: recording '{name}' is read through a command ({value}); pass "
                                 "--allow_pipes to let sttx run the commands of the manifest")
            return Recording("command", value, value, cwd=str(self.audio_root))
        return "unsupported_source", f"recording '{name}' is a {kind} source (sttx reads local files only)"
