"""Safe extraction of corpus archives (cv-corpus-*.tar.gz): tarfile's 'data' filter, every refusal named."""

from __future__ import annotations

import tarfile
from pathlib import Path, PureWindowsPath

from sttx.core.data.importing import CorpusError

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def is_archive(path: Path) -> bool:
    """A regular file named like a tar archive."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def extract_archive(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` with the 'data' filter; refuse the whole archive if a member is unsafe.

    Every member is checked before anything is written, so an absolute path, a '..' or a link that escapes
    ``target`` means nothing is extracted, and the error names the member.
    """
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                _check(archive, member, target)
            tar.extractall(target, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise CorpusError(f"{archive}: cannot extract ({error})") from None
    return target


def _check(archive: Path, member: tarfile.TarInfo, target: Path) -> None:
    """The 'data' filter's verdict, except that an absolute name is refused, not quietly made relative."""
    why = "absolute path" if member.name.startswith(("/", "\\")) or PureWindowsPath(member.name).drive else ""
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
