"""Local Hugging Face datasets read with pyarrow: save_to_disk folders (Arrow streams) and parquet files."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import soundfile

from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError
from sttx.plugins.importers._spans import Recording

TEXT_COLUMNS = ("text", "sentence", "transcription", "transcript", "normalized_text", "raw_transcription")
_SHARD = re.compile(r"(?:^|-)(?P<split>[\w.]+)-\d+-of-\d+$")  # train-00000-of-00002, builder-test-00000-of-00001


@attrs.frozen
class SplitFiles:
    """One split's data files, all Arrow streams (save_to_disk, the datasets cache) or all parquet."""

    name: str
    files: tuple[Path, ...]


def find_splits(location: str | Path) -> dict[str, SplitFiles]:
    """Split name -> files, for a save_to_disk folder (Dataset or DatasetDict), a folder of parquet or .arrow
    files, or one such file. A name that is not a local path is refused: nothing is downloaded."""
    path = Path(location)
    if not path.exists():
        raise UsageError(f"{location}: no such local path; sttx reads local copies only and downloads nothing (save "
                         "the dataset with datasets' save_to_disk, or download its parquet files, and pass that)")
    if path.is_file():
        if path.suffix not in (".parquet", ".arrow"):
            raise CorpusError(f"{path}: not a .parquet or .arrow file")
        return {_split_of(path, path.parent): SplitFiles(_split_of(path, path.parent), (path,))}
    if (path / "dataset_dict.json").is_file():
        names = _json(path / "dataset_dict.json").get("splits")
        if not isinstance(names, list):
            raise CorpusError(f"{path / 'dataset_dict.json'}: no 'splits' list")
        return {str(name): _saved(path / str(name), str(name)) for name in names}
    if (path / "state.json").is_file():
        return {(found := _saved(path, None)).name: found}
    return _loose_files(path)


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path}: cannot read ({error})") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: not a JSON object")
    return data


def _saved(folder: Path, name: str | None) -> SplitFiles:
    """A Dataset.save_to_disk folder: state.json lists its .arrow files and names its split."""
    state = _json(folder / "state.json")
    files = [entry.get("filename") for entry in state.get("_data_files") or [] if isinstance(entry, dict)]
    if not files or not all(isinstance(file, str) for file in files):
        raise CorpusError(f"{folder / 'state.json'}: no '_data_files' list of file names")
    missing = [file for file in files if not (folder / file).is_file()]
    if missing:
        raise CorpusError(f"{folder / missing[0]}: listed in state.json but missing")
    return SplitFiles(name or str(state.get("_split") or folder.name), tuple(folder / file for file in files))


def _loose_files(root: Path) -> dict[str, SplitFiles]:
    files = sorted(root.rglob("*.parquet")) or sorted(root.rglob("*.arrow"))
    if not files:
        raise CorpusError(f"{root}: no Hugging Face dataset (dataset_dict.json, state.json with .arrow files, or "
                          ".parquet files)")
    splits: dict[str, list[Path]] = {}
    for file in files:
        splits.setdefault(_split_of(file, root), []).append(file)
    return {name: SplitFiles(name, tuple(found)) for name, found in splits.items()}


def _split_of(file: Path, root: Path) -> str:
    """The hub's shard names (train-00000-of-00001), a split folder (train/0000.parquet), else the file name."""
    shard = _SHARD.search(file.stem)
    if shard:
        return shard.group("split")
    return file.parent.name if file.parent != root else file.stem


def open_batches(file: Path, columns: list[str], rows: int = 32) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``columns`` in small batches (the audio bytes of a batch are all in memory at once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if file.suffix == ".parquet":
            yield from (batch.to_pylist() for batch in pq.ParquetFile(file).iter_batches(rows, columns=columns))
            return
        with pa.memory_map(str(file)) as source:
            for batch in _arrow_reader(source):
                for start in range(0, batch.num_rows, rows):
                    yield batch.slice(start, rows).select(columns).to_pylist()
    except (pa.ArrowException, OSError) as error:
        raise CorpusError(f"{file}: cannot read ({error})") from None


def _arrow_reader(source: Any) -> Any:
    import pyarrow as pa

    try:
        return pa.ipc.open_stream(source)  # what save_to_disk and the datasets cache write
    except pa.ArrowInvalid:
        source.seek(0)
        return pa.ipc.open_file(source)


def columns_of(file: Path) -> list[str]:
    """The column names of a parquet or Arrow file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if file.suffix == ".parquet":
            return list(pq.read_schema(file).names)
        with pa.memory_map(str(file)) as source:
            return list(_arrow_reader(source).schema.names)
    except (pa.ArrowException, OSError) as error:
        raise CorpusError(f"{file}: cannot read ({error})") from None


def audio_of(value: Any, name: str, base: Path) -> Recording | tuple[str, str]:
    """An Audio cell ({bytes, path}, {array, sampling_rate}, bytes or a path) as a Recording, or why it has none."""
    if isinstance(value, dict):
        if isinstance(value.get("bytes"), bytes) and (value["bytes"] or not value.get("path")):
            return Recording("bytes", value["bytes"], name)  # zero bytes then count as unreadable audio
        if value.get("array") is not None and value.get("sampling_rate"):
            return _array(value["array"], value["sampling_rate"], name)
        value = value.get("path")
    if isinstance(value, bytes):
        return Recording("bytes", value, name)
    if isinstance(value, str) and value:
        path = Path(value) if Path(value).is_absolute() else base / value
        return Recording("file", str(path), str(path))
    return "missing_clip", "the audio cell holds no bytes and no path"


def _array(samples: Any, rate: Any, name: str) -> Recording | tuple[str, str]:
    try:
        audio = np.asarray(samples, dtype=np.float32)
        buffer = io.BytesIO()
        soundfile.write(buffer, audio.T if audio.ndim == 2 else audio, int(rate), format="WAV", subtype="FLOAT")
    except (ValueError, TypeError, RuntimeError) as error:
        return "unreadable_audio", f"the audio array cannot be read ({error})"
    return Recording("bytes", buffer.getvalue(), name)
