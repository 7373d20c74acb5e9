"""The Multilingual LibriSpeech importer (``sttx import mls``): transcripts.txt per set, flac or opus audio."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sttx import hookimpl
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import ImportReport
from sttx.plugins.importers._cli import corpus_command, sets_option
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers._corpus import SPLITS, LineParser, choose_sets, locate, read_listing, write_import

#: the flac release first, then the opus one (mls_<lang>_opus)
AUDIO_SUFFIXES = (".flac", ".opus")
#: MLS cut its segments to 10-20 s, so DeepSpeech's 10 s limit would drop most of them
MAX_SECS = 20.0


def transcript_parser(audio_dir: Path) -> LineParser:
    """``<speaker>_<book>_<segment>\\t<transcript>`` naming ``audio/<speaker>/<book>/<id>.flac`` (or ``.opus``)."""

    def parse(line: str) -> dict[str, Any]:
        utterance, tab, text = line.rstrip("\r\n").partition("\t")
        parts = utterance.strip().split("_")
        if not tab or len(parts) != 3 or not all(parts):
            raise ValueError("expected <speaker>_<book>_<segment><TAB><transcript>")
        folder = audio_dir / parts[0] / parts[1]
        audio = next((path for suffix in AUDIO_SUFFIXES if (path := folder / (utterance + suffix)).is_file()),
                     folder / (utterance + AUDIO_SUFFIXES[0]))
        return {"audio": audio, "audio_text": str(audio.relative_to(audio_dir.parent.parent)),
                "sentence": text.strip(), "speaker": parts[0]}

    return parse


def _is_root(folder: Path) -> bool:
    return any((folder / name / "transcripts.txt").is_file() for name in SPLITS)


def prepare_mls(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    sets: str | Sequence[str] | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import one MLS language (mls_<lang> or mls_<lang>_opus; folder or .tar.gz) into ``mls-<set>.csv``, the
    sets MLS defines."""
    options = options or ImportOptions(max_secs=MAX_SECS)
    root = locate(corpus, extract_dir, _is_root,
                  "{train,dev,test}/transcripts.txt (Multilingual LibriSpeech layout)")
    found = [name for name in SPLITS if (root / name / "transcripts.txt").is_file()]
    chosen = choose_sets(root, found, sets)
    rows = [row for name in chosen for row in read_listing(
        root / name / "transcripts.txt", root, name, transcript_parser(root / name / "audio"), strict=True)]
    return write_import("mls", root, rows, out_dir, options, collections=chosen)


mls_command = corpus_command(
    "mls", prepare_mls, max_secs=MAX_SECS,
    extra=[sets_option()],
    help_text="Import one Multilingual LibriSpeech language (mls_<lang> or mls_<lang>_opus, folder or .tar.gz) "
              "into mls-{train,dev,test}.csv.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("mls", Importer(prepare=prepare_mls, command=mls_command,
                                 description="Multilingual LibriSpeech, one language (flac or opus release)"))
