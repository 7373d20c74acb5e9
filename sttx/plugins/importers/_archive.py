"""Safe extraction of corpus archives (tar with tarfile's 'data' filter, zip), once, every refusal named."""

from __future__ import annotations

import posixpath
import tarfile
import zipfile
from pathlib import Path, PureWindowsPath

from sttx.core.data.importing import CorpusError

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz")
ARCHIVE_SUFFIXES = (*TAR_SUFFIXES, ".zip")
_MARKER = ".sttx-extracted"


def is_archive(path: Path) -> bool:
    """A regular file named like a tar or zip archive."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def strip_archive_suffix(name: str) -> str:
    """``LJSpeech-1.1.tar.bz2`` -> ``LJSpeech-1.1``."""
    return next((name[: -len(suffix)] for suffix in ARCHIVE_SUFFIXES if name.lower().endswith(suffix)), name)


def open_corpus(corpus: Path, extract_dir: Path | None = None) -> Path:
    """The folder to read: ``corpus`` itself, or where the archive ``corpus`` is (or already was) extracted.

    An archive goes to ``extract_dir`` (default: beside it, named without the suffix). A stamp of the archive's
    size and time in that folder makes a re-run resume without extracting again.
    """
    if not is_archive(corpus):
        if not corpus.is_dir():
            raise CorpusError(f"{corpus}: not a folder or an archive ({', '.join(ARCHIVE_SUFFIXES)})")
        return corpus
    target = extract_dir or corpus.with_name(strip_archive_suffix(corpus.name))
    extract_once(corpus, target)
    return target


def extract_once(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` unless this very archive (same name, size and time) already was.

    Several archives may share a target (VoxForge's per-session archives): the stamp file lists each.
    """
    marker = target / _MARKER
    stamp = f"{archive.name}\t{archive.stat().st_size}\t{archive.stat().st_mtime_ns}"
    stamps = marker.read_text(encoding="utf-8").splitlines() if marker.is_file() else []
    if stamp not in stamps:
        extract_archive(archive, target)
        kept = [line for line in stamps if line.split("\t")[0] != archive.name]
        marker.write_text("\n".join([*kept, stamp]) + "\n", encoding="utf-8")
    return target


def extract_archive(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target``; refuse the whole archive if a member is unsafe.

    Every member is checked before anything is written, so an absolute path, a '..' or a link that escapes
    ``target`` means nothing is extracted, and the error names the member. Tar members go through tarfile's
    'data' filter as well.
    """
    target.mkdir(parents=True, exist_ok=True)
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, target)
        else:
            _extract_tar(archive, target)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise CorpusError(f"{archive}: cannot extract ({error})") from None
    return target


def _extract_tar(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            _check(archive, member, target)
        tar.extractall(target, members=members, filter="data")


def _extract_zip(archive: Path, target: Path) -> None:
    """zipfile never writes links, but it silently rewrites unsafe names; refuse them instead."""
    with zipfile.ZipFile(archive) as bundle:
        for name in bundle.namelist():
            why = _unsafe_name(name) or ("path outside the target" if ".." in posixpath.normpath(
                name.replace("\\", "/")).split("/") else "")
            if why:
                raise CorpusError(f"{archive}: refused member {name!r} ({why}); nothing extracted")
        bundle.extractall(target)


def _unsafe_name(name: str) -> str:
    return "absolute path" if name.startswith(("/", "\\")) or PureWindowsPath(name).drive else ""


def _check(archive: Path, member: tarfile.TarInfo, target: Path) -> None:
    """The 'data' filter's verdict, except that an absolute name is refused, not quietly made relative."""
    why = _unsafe_name(member.name)
    if not why:
        try:
            tarfile.data_filter(member, str(target))
        except tarfile.FilterError as error:
            why = _why(error)
    if why:
        raise CorpusError(f"{archive}: refused member {member.name!r} ({why}); nothing extracted")


def _why(error: tarfile.FilterError) -> str:
    kinds = {
        tarfile.AbsolutePathError: "absolute path",
        tarfile.OutsideDestinationError: "path outside the target",
        tarfile.LinkOutsideDestinationError: "link outside the target",
        tarfile.AbsoluteLinkError: "absolute link",
        tarfile.SpecialFileError: "special file",
    }
    return next((text for kind, text in kinds.items() if isinstance(error, kind)), type(error).__name__)
