"""DeepSpeech's absl habits on every command: --flagfile, --helpfull, --noflag, and booleans that take only booleans."""

from __future__ import annotations

import types
from typing import Any

import click

from sttx.cli.flagfile import DIRECTIVE, directive_path, read_flagfile
from sttx.core.contract.errors import UsageError

#: the tokens a boolean option takes as its value; any other next token is not its value (absl never takes one)
BOOLEAN_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "t", "f"})
HELPFULL = "--helpfull"
_ADOPTED = "_sttx_absl_flags"
_UNSET = getattr(click.core, "UNSET", None)  # click >= 8.2 leaves an unset default or flag value as UNSET


def _show_full_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Print the help with the hidden (legacy, compatibility) options and commands shown, then exit."""
    if not value or ctx.resilient_parsing:
        return
    command = ctx.command
    hidden: list[Any] = [item for item in command.get_params(ctx) if getattr(item, "hidden", False)]
    if isinstance(command, click.Group):
        hidden += [sub for sub in command.commands.values() if sub.hidden]
    for item in hidden:
        item.hidden = False
    try:
        click.echo(ctx.get_help(), color=ctx.color)
    finally:
        for item in hidden:
            item.hidden = True
    ctx.exit()


def _flagfile_reached_click(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # only when the command runs outside an sttx group, which expands flagfiles first
        raise click.UsageError("--flagfile is read by the sttx command line (run the command through `sttx`)", ctx)


def adopt(command: click.Command) -> click.Command:
    """Give ``command`` --helpfull (and a leaf command --flagfile in its help); a plain click group also learns to
    rewrite its subcommands' arguments. Idempotent, so commands shared between CLIs are changed once."""
    if getattr(command, _ADOPTED, False):
        return command
    names = {name for param in command.params for name in getattr(param, "opts", ())}
    if HELPFULL not in names:
        command.params.append(click.Option(
            [HELPFULL], is_flag=True, expose_value=False, is_eager=True, callback=_show_full_help,
            help="Show every option, hidden and legacy ones too, and exit."))
    if not isinstance(command, click.Group) and DIRECTIVE not in names:
        command.params.append(click.Option(
            [DIRECTIVE], metavar="FILE", expose_value=False, callback=_flagfile_reached_click,
            help="Read flags from FILE, one --name=value per line (absl); flags after it override it."))
    if isinstance(command, click.Group) and not hasattr(type(command), "prepares_arguments"):
        command.resolve_command = types.MethodType(_resolving(type(command).resolve_command), command)
    setattr(command, _ADOPTED, True)
    return command


def _resolving(resolve: Any) -> Any:
    def resolve_command(self: click.Group, ctx: click.Context, args: list[str]) -> Any:
        name, command, rest = resolve(self, ctx, args)
        return name, command, prepare(ctx, name, command, rest)

    return resolve_command


def prepare(ctx: click.Context, name: str | None, command: click.Command | None, args: list[str]) -> list[str]:
    """Adopt a resolved subcommand and, for a leaf command, rewrite its arguments (see :func:`rewrite`).

    A bad --flagfile is a usage error of the subcommand (its usage line, not the group's).
    """
    if command is None:
        return args
    adopt(command)
    if isinstance(command, click.Group):
        return args
    try:
        return rewrite(command, args)
    except UsageError as error:
        raise click.UsageError(str(error), click.Context(command, info_name=name, parent=ctx)) from None


def _kinds(command: click.Command) -> dict[str, click.Option]:
    return {name: param for param in command.params if isinstance(param, click.Option) for name in param.opts}


def _is_boolean(param: click.Option) -> bool:
    return isinstance(param.type, click.types.BoolParamType) and not param.count


def _negated(arg: str, options: dict[str, click.Option]) -> click.Option | None:
    """The boolean option ``--noNAME`` / ``--no-NAME`` negates (None when ``arg`` is not such a negation)."""
    if "=" in arg or arg in options:
        return None
    for prefix in ("--no-", "--no"):
        if arg.startswith(prefix):
            param = options.get("--" + arg[len(prefix):])
            if param is not None and _is_boolean(param):
                return param
    return None


def rewrite(command: click.Command, args: list[str]) -> list[str]:
    """absl's command line in click's terms, left to right (so the last setting of a flag wins, as in absl).

    ``--flagfile FILE`` is replaced by the file's flags; ``--noNAME`` sets a boolean false; a boolean option takes
    the next token as its value only when that is a boolean word (``--random test.sdb`` leaves the file alone).
    """
    options = _kinds(command)
    pending, out = list(args), []
    while pending:
        arg = pending.pop(0)
        if arg == "--":
            return [*out, arg, *pending]
        path = directive_path(arg)
        if path is not None:
            if arg == DIRECTIVE:
                if not pending:
                    raise UsageError("--flagfile needs a FILE")
                path = pending.pop(0)
            pending[:0] = read_flagfile(path)
            continue
        param = options.get(arg)
        negated = _negated(arg, options) if param is None else None
        if negated is not None:
            out = _negate(negated, out, arg)
        elif param is None:
            out.append(arg)
        elif _is_boolean(param) and not param.is_flag:
            value = pending.pop(0) if pending and pending[0].lower() in BOOLEAN_WORDS else "true"
            out.append(f"{arg}={value}")
        else:
            out += [arg, *_values(param, pending)]
    return out


def _values(param: click.Option, pending: list[str]) -> list[str]:
    """The tokens click will take as the option's value, copied unchanged (a value is never rewritten)."""
    if (param.is_flag and not param._flag_needs_value) or param.count:
        return []
    if param._flag_needs_value and (not pending or (pending[0].startswith("-") and len(pending[0]) > 1)):
        return []
    taken = pending[: param.nargs]
    del pending[: param.nargs]
    return taken


def _negate(param: click.Option, out: list[str], arg: str) -> list[str]:
    """``--noNAME``: ``NAME=false``; a bare-only flag has no false to pass, so its earlier mentions are dropped."""
    if not param.is_flag:
        return [*out, f"{param.opts[0]}=false"]
    if param.secondary_opts:
        return [*out, param.secondary_opts[0]]
    if param.flag_value not in (True, _UNSET) or param.default not in (False, None, _UNSET):
        raise UsageError(f"{arg}: {param.opts[0]} cannot be negated")
    return [token for token in out if token not in param.opts]
