"""The click CLI, assembled from plugins: ``build_cli(pm)`` and the console-script entry ``main``."""

from __future__ import annotations

import logging
import sys

import click

from sttx import __version__
from sttx.cli.absl_flags import adopt
from sttx.cli.base import SttxGroup
from sttx.cli.plugins import plugins_command
from sttx.core.contract.errors import SttxError
from sttx.core.contract.plugins import SttxPluginManager, get_plugin_manager

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True, "max_content_width": 110}


def build_cli(pm: SttxPluginManager) -> click.Group:
    """The root ``sttx`` group with the core commands plus every plugin's ``register_commands``."""

    @click.group(cls=SttxGroup, context_settings=CONTEXT_SETTINGS)
    @click.version_option(__version__, "--version", prog_name="sttx")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        """Train speech-to-text models (DeepSpeech/Coqui STT lineage) with plugins."""
        ctx.obj = pm

    cli.add_command(plugins_command)
    pm.add_commands(cli)
    return adopt(cli)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    try:
        pm = get_plugin_manager()
        cli = build_cli(pm)
    except SttxError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    cli.main(args=argv, prog_name="sttx")
