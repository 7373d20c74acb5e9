"""`sttx plugins`: each plugin with its distribution, version and what it registered."""

from __future__ import annotations

import json

import click

from sttx.cli.options import option
from sttx.cli.types import plugin_manager
from sttx.core.contract.plugins import describe_plugins


def _format_row(row: dict) -> list[str]:
    origin = f"built-in, sttx {row['version']}" if row["builtin"] else f"{row['distribution']} {row['version']}"
    status = "" if row["status"] == "loaded" else f" [{row['status']}]"
    lines = [f"{row['name']} ({origin}){status}"]
    in_graph = set(row.get("graph_augmentations", ()))  # marked: they also run on tf.data service workers
    for kind, names in row["registered"].items():
        shown = [f"{name} (graph)" if kind == "augmentations" and name in in_graph else name for name in names]
        lines.append(f"  {kind.replace('_', ' ')}: {', '.join(shown)}")
    for model, detail in row.get("models", {}).items():
        defaults = ", ".join(f"--{key} {_value(value)}" for key, value in detail["defaults"].items())
        lines.append(f"  model {model}: features {detail['features']}; output every {detail['time_reduction']} "
                     f"frame(s); defaults: {defaults or 'DeepSpeech flag defaults'}")
    if row["error"]:
        lines.append(f"  error: {row['error']}")
    return lines


def _value(value: object) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


@click.command("plugins")
@option("--json", "as_json", is_flag=True, help="Print JSON.")
@option("--all", "include_all", is_flag=True, help="Also list blocked plugins and plugins that failed to load.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool, include_all: bool) -> None:
    """List plugins, their versions and what each registered."""
    rows = describe_plugins(plugin_manager(ctx), include_all=include_all)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo("\n".join(_format_row(row)))
