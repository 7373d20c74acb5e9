"""Shared option helpers: DeepSpeech's underscore and the dashed spellings, and flexible booleans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def spellings(name: str) -> list[str]:
    """``--train_files`` -> [``--train_files``, ``--train-files``] (and the reverse); other names unchanged."""
    if not name.startswith("--"):
        return [name]
    body = name[2:]
    other = body.replace("_", "-") if "_" in body else body.replace("-", "_")
    return [name] if other == body else [name, "--" + other]


def option(*names: str, **kwargs: Any) -> Callable[[F], F]:
    """``click.option`` that accepts both ``--a_b`` and ``--a-b`` for every long name given."""
    all_names: list[str] = []
    for name in names:
        all_names.extend(spelling for spelling in spellings(name) if spelling not in all_names)
    kwargs.setdefault("show_default", True)
    return click.option(*all_names, **kwargs)


def bool_option(name: str, *, default: bool | None = False, help: str = "",
                show_default: bool | str = True) -> Callable[[F], F]:
    """A boolean that takes a bare flag or a value: ``--early_stop``, ``--early_stop true``, ``--early_stop=false``.

    absl's ``--noearly_stop`` also works, and a bare flag never takes a next token that is not a boolean word
    (see :func:`sttx.cli.absl_flags.rewrite`).
    """
    return option(name, type=click.BOOL, is_flag=False, flag_value="true", default=default, help=help,
                  show_default=show_default)
