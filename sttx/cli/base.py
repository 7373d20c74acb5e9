"""The CLI's command and group classes: absl-style ``--noflag`` and one-line errors at the edge."""

from __future__ import annotations

from typing import Any

import click

from sttx.core.errors import SttxError, UsageError


class SttxCommand(click.Command):
    """A command that also accepts absl's ``--noflag`` for its boolean options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        booleans = {
            name
            for param in self.params
            if isinstance(param, click.Option) and isinstance(param.type, click.types.BoolParamType)
            for name in param.opts
        }
        rewritten = []
        for arg in args:
            if arg == "--":
                rewritten.extend(args[len(rewritten) :])
                break
            positive = "--" + arg[4:] if arg.startswith("--no") and "=" not in arg else None
            rewritten.append(f"{positive}=false" if positive in booleans and arg not in booleans else arg)
        return super().parse_args(ctx, rewritten)


class SttxGroup(click.Group):
    """A group whose commands are SttxCommands and whose domain errors become one-line click errors."""

    command_class = SttxCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from error
        except SttxError as error:
            raise click.ClickException(str(error)) from error


SttxGroup.group_class = SttxGroup
