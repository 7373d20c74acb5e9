"""The click CLI, assembled from plugins: ``build_cli(pm)`` and the console-script entry ``main``."""

from __future__ import annotations

import logging
import sys

import click

from sttx import __version__
from sttx.cli import internal_errors
from sttx.cli.absl_flags import adopt
from sttx.cli.base import SttxGroup
from sttx.cli.options import option
from sttx.cli.plugins import plugins_command
from sttx.core.contract.errors import SttxError
from sttx.core.contract.plugins import SttxPluginManager, get_plugin_manager

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True, "max_content_width": 110}


def build_cli(pm: SttxPluginManager) -> click.Group:
    """The root ``sttx`` group with the core commands plus every plugin's ``register_commands``."""

    @click.group(cls=SttxGroup, context_settings=CONTEXT_SETTINGS)
    @click.version_option(__version__, "--version", prog_name="sttx")
    @option("--log_level", type=click.IntRange(0, 3), default=None,
            help="0 DEBUG (and tracebacks of internal errors), 1 INFO, 2 WARN, 3 ERROR [default: WARN].")
    @click.pass_context
    def cli(ctx: click.Context, log_level: int | None) -> None:
        """Train speech-to-text models (DeepSpeech/Coqui STT lineage) with plugins."""
        ctx.obj = pm
        if log_level is not None:  # DeepSpeech's scale: 0 DEBUG ... 3 ERROR
            logging.getLogger("sttx").setLevel(logging.DEBUG + 10 * log_level)

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
    except Exception as error:  # a built-in plugin broke while loading: still one line, traceback on request
        args = sys.argv[1:] if argv is None else argv
        internal_errors.render(error, None, debug=internal_errors.debug_requested(args)).show()
        sys.exit(1)
    cli.main(args=argv, prog_name="sttx")
