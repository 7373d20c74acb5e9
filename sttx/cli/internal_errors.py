"""An exception nobody expected (a bug, not a bad input): one line naming whose bug, the traceback on request."""

from __future__ import annotations

import errno
import os
import traceback
from collections.abc import Sequence
from typing import Any

import click

DEBUG_ENV = "STTX_DEBUG"
_OFF = {"", "0", "false", "no", "off"}
#: ctx.meta keys (meta is shared by every context of one invocation)
INVOKED, ARGS = "sttx.invoked", "sttx.args"
HINT = f"{DEBUG_ENV}=1 or `sttx --log_level 0 ...` shows the traceback"


def note_invocation(ctx: click.Context, args: Sequence[str], name: str | None, command: Any) -> None:
    """Remember the command line and each command resolved on the way down (for :func:`report`)."""
    if ctx.parent is None:
        ctx.meta[ARGS] = list(args)
    if command is not None:
        ctx.meta.setdefault(INVOKED, []).append((name, command))


def is_unexpected(error: BaseException) -> bool:
    """True for exceptions the CLI must report as internal errors: not click's own, not a closed pipe."""
    if isinstance(error, click.ClickException | click.exceptions.Exit | click.Abort):
        return False
    return not (isinstance(error, OSError) and error.errno == errno.EPIPE)  # click handles `| head` itself


def debug_requested(args: Sequence[str], root_level: int | None = None) -> bool:
    """STTX_DEBUG set, or ``--log_level 0`` given to sttx itself or to the command (DeepSpeech's 0 = DEBUG)."""
    if os.environ.get(DEBUG_ENV, "").strip().lower() not in _OFF:
        return True
    if root_level == 0:
        return True
    for position, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in ("--log_level", "--log-level"):
            value = value if equals else (args[position + 1] if position + 1 < len(args) else "")
            if value.strip() == "0":
                return True
    return False


def command_owner(pm: Any, invoked: Sequence[tuple[str, Any]]) -> str | None:
    """The plugin that contributed the innermost invoked command (an importer's, say), None if unknown."""
    if pm is None or not invoked:
        return None
    for _, command in reversed(invoked):  # `sttx import NAME`: the importer's plugin, not the import group's
        for name in pm.registries().importers.names():
            if pm.registries().importers.get(name).command is command:
                return str(pm.registries().importers.provider(name))
    top = invoked[0][0]
    return next((plugin for plugin, names in pm.commands.items() if top in names), None)


def describe_owner(pm: Any, plugin: str | None) -> str | None:
    """``name (distribution)`` of a third-party plugin; None for sttx's own commands."""
    if plugin is None:
        return None
    info = getattr(pm, "infos", {}).get(plugin)
    if info is not None and info.builtin:
        return None
    distribution = getattr(info, "distribution", None)
    return plugin if not distribution or distribution == plugin else f"{plugin} (distribution {distribution})"


def render(error: BaseException, owner: str | None, *, debug: bool) -> click.ClickException:
    """The one-line report (plus how to see more); with ``debug`` the traceback is printed first."""
    summary = (str(error).strip().splitlines() or [""])[0]
    where = f"internal error in plugin {owner}" if owner else "internal error"
    line = f"{where}: {type(error).__name__}" + (f": {summary}" if summary else "")
    if debug:
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
        return click.ClickException(line)
    whose = f"a bug in plugin {owner}" if owner else "a bug in sttx"
    return click.ClickException(f"{line}\n({whose}, not in your input; {HINT})")


def report(ctx: click.Context, error: BaseException) -> click.ClickException:
    """The report of an unexpected ``error`` raised below the root context ``ctx``."""
    invoked = ctx.meta.get(INVOKED, [])
    pm = ctx.obj
    try:
        owner = describe_owner(pm, command_owner(pm, invoked))
    except Exception:  # the report must not fail in turn (a registry that cannot load, say)
        owner = None
    return render(error, owner, debug=debug_requested(ctx.meta.get(ARGS, []), ctx.params.get("log_level")))
