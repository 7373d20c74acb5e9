"""The `sttx lm` group: each language-model command (build, tune, ...) adds itself to it from its own module."""

from __future__ import annotations

import click

from sttx.cli.base import SttxGroup

GROUP_NAME = "lm"


def lm_group(cli: click.Group) -> click.Group:
    """The ``sttx lm`` group of this CLI, created on first use, so subcommand plugins may register in any order.

    A module adding a subcommand calls ``lm_group(cli).add_command(command)`` from its ``register_commands``.
    """
    existing = cli.commands.get(GROUP_NAME)
    if isinstance(existing, click.Group):
        return existing

    @click.group(GROUP_NAME, cls=SttxGroup)
    def group() -> None:
        """Language models for beam-search decoding: build Coqui-format scorers (and tune their weights)."""

    cli.add_command(group)
    return group
