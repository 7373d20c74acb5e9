"""The TED-LIUM importer (``sttx import tedlium``): .stm segments cut from NIST SPHERE talks, release 1 to 3."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from sttx import hookimpl
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import corpus_command, sets_option
from sttx.plugins.importers._common import ImportOptions, SourceRow
from sttx.plugins.importers._corpus import SPLITS, LineParser, choose_sets, locate, read_listing, write_import

IGNORE = "ignore_time_segment_in_scoring"
#: <unk>, <sil>, {NOISE}, [laughter], (2), (AlGore_2009-001): markers for the scorer, not words anyone said
_MARKER = re.compile(r"^(<[^>]*>|\{[^}]*\}|\[[^\]]*\]|\([^)]*\))$")
LAYOUT = "{train,dev,test}/stm/ or data/stm/ (TED-LIUM release 1-3 layout)"


def clean_transcript(words: Sequence[str]) -> str:
    """Drop scoring markers; join TED-LIUM's split contractions ("it 's" -> "it's"), as Kaldi's recipe does."""
    joined: list[str] = []
    for word in words:
        if _MARKER.match(word):
            continue
        if word.startswith("'") and joined:
            joined[-1] += word
        else:
            joined.append(word)
    return " ".join(joined)


def stm_parser(sph: Path) -> LineParser:
    """``talk channel speaker start end [<label>] words...``; the talk names ``sph/<talk>.sph``."""

    def parse(line: str) -> dict[str, Any] | None:
        if line.startswith(";;"):
            return None  # an STM comment
        tokens = line.split()
        if len(tokens) < 5:
            raise ValueError("expected talk channel speaker start end [<label>] transcript")
        talk, _, speaker, start_text, end_text = tokens[:5]
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            raise ValueError(f"times {start_text!r} {end_text!r} are not numbers") from None
        if not 0 <= start < end:
            raise ValueError(f"segment {start_text}-{end_text} is empty or negative")
        words = tokens[6:] if len(tokens) > 5 and tokens[5].startswith("<") else tokens[5:]
        fields = {"audio": sph / f"{talk}.sph", "audio_text": f"{sph.name}/{talk}.sph@{start:.2f}-{end:.2f}",
                  "sentence": clean_transcript(words), "speaker": speaker, "span": (start, end)}
        if words == [IGNORE]:
            fields.update(sentence="", skip="ignored_segment", detail=f"marked {IGNORE}")
        return fields

    return parse


def set_folders(root: Path) -> dict[str, Path]:
    """Set -> the folder holding its sph/ and stm/. Release 3's legacy/ has releases 1-2's dev and test and its
    2351 training talks as links into data/; a copy that lost legacy/train trains on data/. Releases 1 and 2
    have {train,dev,test}/ at the top."""
    base = root / "legacy" if (root / "legacy").is_dir() else root
    folders = {name: base / name for name in SPLITS if (base / name / "stm").is_dir()}
    if "train" not in folders and (root / "data" / "stm").is_dir():
        folders["train"] = root / "data"
    return {name: folders[name] for name in SPLITS if name in folders}


def _is_root(folder: Path) -> bool:
    return bool(set_folders(folder))


def read_set(folder: Path, name: str, root: Path) -> list[SourceRow]:
    """Every segment of one set: each talk's STM in ``folder/stm``, its audio in ``folder/sph``."""
    try:
        stms = sorted((folder / "stm").glob("*.stm"))
    except OSError as error:
        raise CorpusError(f"{folder / 'stm'}: cannot read ({error})") from None
    return [row for stm in stms for row in read_listing(stm, root, name, stm_parser(folder / "sph"))]


def hold_out(rows: list[SourceRow]) -> list[SourceRow]:
    """Train rows from a talk that dev or test also has are skipped, so no test talk is trained on."""
    held = {row.audio.name: row.collection for row in rows if row.collection != "train" and row.audio is not None}

    def checked(row: SourceRow) -> SourceRow:
        talk = row.audio.name if row.audio is not None else ""
        if row.collection != "train" or row.skip is not None or talk not in held:
            return row
        return attrs.evolve(row, skip="held_out", detail=f"the talk is in the {held[talk]} set")

    return [checked(row) for row in rows]


def prepare_tedlium(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    sets: str | Sequence[str] | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import TED-LIUM (TEDLIUM_release-3 or an earlier release; folder or .tgz) into ``tedlium-<set>.csv``:
    each STM segment is cut from its talk's .sph; ignore_time_segment_in_scoring segments are counted skips."""
    options = options or ImportOptions()
    root = locate(corpus, extract_dir, _is_root, LAYOUT)
    folders = set_folders(root)
    chosen = choose_sets(root, list(folders), sets)
    rows = hold_out([row for name in folders for row in read_set(folders[name], name, root)])
    rows = [row for row in rows if row.collection in chosen]
    return write_import("tedlium", root, rows, out_dir, options, collections=chosen)


tedlium_command = corpus_command(
    "tedlium", prepare_tedlium,
    extra=[sets_option()],
    help_text="Import TED-LIUM release 1-3 (TEDLIUM_release-3 folder or .tgz): STM segments cut from the .sph "
              "talks into tedlium-{train,dev,test}.csv.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("tedlium", Importer(prepare=prepare_tedlium, command=tedlium_command,
                                     description="TED-LIUM 1-3 (sph talks + stm segments, or the .tgz)"))
