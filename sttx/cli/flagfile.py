"""absl's --flagfile: one flag per line, ``#`` and ``//`` comments, nested flagfiles; expanded in place."""

from __future__ import annotations

import sys
from pathlib import Path

from sttx.core.contract.errors import UsageError

DIRECTIVE = "--flagfile"


def directive_path(arg: str) -> str | None:
    """The FILE of a ``--flagfile=FILE`` token ('' for a bare ``--flagfile``); None for any other token."""
    if arg == DIRECTIVE:
        return ""
    if arg.startswith(DIRECTIVE + "="):
        return arg[len(DIRECTIVE) + 1 :]
    return None


def read_flagfile(name: str, including: Path | None = None, stack: tuple[Path, ...] = ()) -> list[str]:
    """The command-line tokens of flagfile ``name``, nested ``--flagfile=`` lines expanded where they stand.

    Each line is one token, as absl reads it (``--epochs=3``); a line ``--epochs 3`` is read as the two tokens
    absl users mean. A nested name is looked up from the working directory first (absl), then beside the file
    that names it. A file that includes itself is skipped with a warning, as absl does.
    """
    if not name:  # absl ignores an empty --flagfile=
        return []
    path = _locate(name, including)
    if path.resolve() in stack:
        print(f"warning: --flagfile {name} includes itself; skipped", file=sys.stderr)
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--flagfile {name}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--flagfile {name}: cannot read it ({error})") from None
    tokens: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        nested = _nested(stripped)
        if nested is not None:
            tokens += read_flagfile(nested.strip(), path, (*stack, path.resolve()))
        else:
            tokens += _line_tokens(stripped)
    return tokens


def _nested(line: str) -> str | None:
    """The file a ``--flagfile=FILE`` (or ``--flagfile FILE``) line names; None for any other line."""
    parts = line.split(None, 1)
    if parts[0] == DIRECTIVE:
        return parts[1].strip() if len(parts) > 1 else ""
    return directive_path(line)


def _locate(name: str, including: Path | None) -> Path:
    path = Path(name).expanduser()
    if path.exists() or path.is_absolute() or including is None:
        return path
    beside = including.parent / path
    return beside if beside.exists() else path


def _line_tokens(line: str) -> list[str]:
    """``--name=value`` stays one token; ``--name value`` (no ``=`` in the name) becomes two."""
    head = line.split("=", 1)[0]
    if line.startswith("-") and any(char.isspace() for char in head):
        name, value = line.split(None, 1)
        return [name, value]
    return [line]
