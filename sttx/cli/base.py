"""The CLI's group class: DeepSpeech's absl flag habits on every subcommand and one-line errors at the edge.

Domain errors (SttxError) become click errors; anything else reaching the root is reported by
:mod:`sttx.cli.internal_errors` as one line naming the plugin whose command raised it.
"""

from __future__ import annotations

from typing import Any

import click

from sttx.cli import absl_flags, internal_errors
from sttx.core.contract.errors import SttxError, UsageError


class SttxGroup(click.Group):
    """A group whose subcommands take --flagfile, --helpfull and --noflag (:mod:`sttx.cli.absl_flags`) and whose
    domain errors become one-line click errors."""

    prepares_arguments = True

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        internal_errors.note_invocation(ctx, args, name, command)
        return name, command, absl_flags.prepare(ctx, name, command, rest)

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
