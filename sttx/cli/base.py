"""The CLI's group class: absl-style ``--noflag`` for boolean options and one-line errors at the edge.

Domain errors (SttxError) become click errors; anything else reaching the root is reported by
:mod:`sttx.cli.internal_errors` as one line naming the plugin whose command raised it.
"""

from __future__ import annotations

from typing import Any

import click

from sttx.cli import internal_errors
from sttx.core.contract.errors import SttxError, UsageError


def rewrite_negated_booleans(command: click.Command, args: list[str]) -> list[str]:
    """Turn absl's ``--noearly_stop`` into ``--early_stop=false`` for the boolean options of ``command``."""
    booleans = {
        name
        for param in command.params
        if isinstance(param, click.Option) and isinstance(param.type, click.types.BoolParamType)
        for name in param.opts
    }
    rewritten: list[str] = []
    for position, arg in enumerate(args):
        if arg == "--":
            return rewritten + args[position:]
        positive = "--" + arg[4:] if arg.startswith("--no") and "=" not in arg else None
        rewritten.append(f"{positive}=false" if positive in booleans and arg not in booleans else arg)
    return rewritten


class SttxGroup(click.Group):
    """A group whose subcommands accept ``--noflag`` and whose domain errors become one-line click errors."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        internal_errors.note_invocation(ctx, args, name, command)
        if command is not None and not isinstance(command, click.Group):
            rest = rewrite_negated_booleans(command, rest)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from error
        except SttxError as error:
            raise click.ClickException(str(error)) from error
        except Exception as error:
            if ctx.parent is not None or not internal_errors.is_unexpected(error):
                raise
            raise internal_errors.report(ctx, error) from error


SttxGroup.group_class = SttxGroup
