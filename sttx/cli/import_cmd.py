"""`sttx import NAME ...`: one subcommand per registered importer, looked up only when the group is used."""

from __future__ import annotations

import click

from sttx import hookimpl
from sttx.cli.base import SttxGroup
from sttx.cli.types import plugin_manager


class ImportGroup(SttxGroup):
    """Subcommands come from ``registries().importers``, so building the CLI stays cheap."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return plugin_manager(ctx).registries().importers.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        importers = plugin_manager(ctx).registries().importers
        return importers.get(cmd_name).command if cmd_name in importers else None


@click.group("import", cls=ImportGroup)
def import_group() -> None:
    """Import a corpus into DeepSpeech CSVs: sttx import NAME [OPTIONS] (cv, librispeech, folder, espeak, ...)."""


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(import_group)
