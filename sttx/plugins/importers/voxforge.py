"""The VoxForge importer (``sttx import voxforge``): per-session archives or folders, etc/PROMPTS + wav/ or flac/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from sttx import hookimpl
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._archive import TAR_SUFFIXES, extract_once, is_archive, open_corpus
from sttx.plugins.importers._cli import corpus_command
from sttx.plugins.importers._common import ImportOptions, SourceRow
from sttx.plugins.importers._corpus import DEFAULT_OUT, LineParser, read_listing, split_rows, write_import

AUDIO_FOLDERS = {"wav": ".wav", "flac": ".flac"}


def unpack(corpus: Path, extract_dir: Path | None) -> list[Path]:
    """The folders to search for sessions: one archive's extraction, or a folder whose session archives (as
    VoxForge serves them, one .tgz per session) are extracted beside them, or into ``extract_dir``, once each."""
    if is_archive(corpus) or not corpus.is_dir():
        return [open_corpus(corpus, extract_dir)]
    archives = sorted(path for path in corpus.iterdir() if path.is_file() and path.name.endswith(TAR_SUFFIXES))
    for archive in archives:
        extract_once(archive, extract_dir or corpus)
    return [corpus] if extract_dir is None or extract_dir == corpus else [corpus, extract_dir]


def find_sessions(folders: list[Path], out: Path) -> list[Path]:
    """Folders holding etc/PROMPTS or a wav/ or flac/ folder, outside the output folder."""
    marks = []
    for folder in folders:
        try:
            marks += [*folder.rglob("etc/PROMPTS"), *(path for name in AUDIO_FOLDERS for path in folder.rglob(name))]
        except OSError as error:
            raise CorpusError(f"{folder}: cannot read ({error})") from None
    sessions = {mark.parent.parent if mark.name == "PROMPTS" else mark.parent for mark in marks}
    return sorted(session for session in sessions
                  if session != out and out not in session.parents and DEFAULT_OUT not in session.parts)


def prompts_parser(session: Path) -> LineParser:
    """``<session>/mfc/<id> PROMPT WORDS`` naming ``wav/<id>.wav`` (or ``flac/<id>.flac``)."""

    def parse(line: str) -> dict[str, Any]:
        listed, _, words = line.strip().partition(" ")
        clip = listed.rsplit("/", 1)[-1]
        if not clip or not words.strip():
            raise ValueError("expected <path/id> <prompt words>")
        audio = _audio(session, clip)
        return {"audio": audio, "audio_text": str(audio.relative_to(session.parent)), "sentence": words.strip(),
                "speaker": session.name}

    return parse


def _audio(session: Path, clip: str) -> Path:
    candidates = [session / folder / (clip + suffix) for folder, suffix in AUDIO_FOLDERS.items()]
    return next((path for path in candidates if path.is_file()), candidates[0])


def read_session(session: Path) -> list[SourceRow]:
    """The PROMPTS rows, then a row for each audio file no prompt names (no transcript: an empty sentence)."""
    prompts = session / "etc" / "PROMPTS"
    listed = read_listing(prompts, session.parent, "", prompts_parser(session)) if prompts.is_file() else []
    rows = [attrs.evolve(row, speaker=session.name) for row in listed]  # malformed lines too: split with the session
    named = {row.audio for row in rows}
    source = str(prompts.relative_to(session.parent))
    why = "not in etc/PROMPTS" if prompts.is_file() else "the session has no etc/PROMPTS"
    for folder, suffix in AUDIO_FOLDERS.items():
        for audio in sorted((session / folder).glob("*" + suffix)):
            if audio not in named:
                rows.append(SourceRow(collection="", source=source, line=0, audio=audio, sentence="",
                                      audio_text=str(audio.relative_to(session.parent)), speaker=session.name,
                                      skip="empty_sentence", detail=why))
    return rows


def speaker_group(row: SourceRow) -> str:
    """Sessions are named <speaker>-<date>-<id>; 'anonymous' is many people, so each of its sessions stands alone."""
    speaker = row.speaker.split("-")[0]
    return row.speaker if speaker in ("", "anonymous") else speaker


def prepare_voxforge(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
    dev_percent: float = 10.0,
    test_percent: float = 10.0,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import VoxForge sessions (a folder of session folders and/or .tgz archives, or one archive) into
    ``voxforge-{train,dev,test}.csv``, split by speaker (anonymous sessions each on their own)."""
    options = options or ImportOptions()
    folders = unpack(Path(corpus), Path(extract_dir) if extract_dir else None)
    out = Path(out_dir) if out_dir else folders[0] / DEFAULT_OUT
    sessions = find_sessions(folders, out)
    if not sessions:
        raise CorpusError(f"{folders[0]}: no VoxForge sessions (<speaker>-<date>-<id>/etc/PROMPTS with wav/ or "
                          "flac/)")
    rows = split_rows([row for session in sessions for row in read_session(session)], speaker_group, dev_percent,
                      test_percent)
    suffix = "." + options.audio_format

    def target_for(source: Path) -> Path:  # session names are unique, wherever a session was extracted
        return out / "clips" / source.parent.parent.name / source.parent.name / (source.stem + suffix)

    return write_import("voxforge", folders[0], rows, out, options, target_for=target_for)

voxforge_command = corpus_command(
    "voxforge", prepare_voxforge, split_unit="speakers (each anonymous session counts as one)",
    help_text="Import VoxForge (a folder of per-session .tgz archives and/or extracted sessions, or one archive) "
              "into voxforge-{train,dev,test}.csv, split by speaker.")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("voxforge", Importer(prepare=prepare_voxforge, command=voxforge_command,
                                      description="VoxForge sessions (etc/PROMPTS + wav/ or flac/, .tgz archives)"))
