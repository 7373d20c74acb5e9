"""Click parameter types that turn sttx's grammar errors into usage errors quoting the bad token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from sttx.core.contract.errors import GrammarError, UnknownNameError

if TYPE_CHECKING:
    from sttx.core.contract.augmentation import Augmentation
    from sttx.core.contract.plugins import SttxPluginManager


def plugin_manager(ctx: click.Context | None) -> SttxPluginManager:
    """The manager the root command was built with (a fresh one outside the sttx CLI)."""
    from sttx.core.contract.plugins import SttxPluginManager, get_plugin_manager

    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, SttxPluginManager):
        return root.obj
    return get_plugin_manager()


class AugmentationType(click.ParamType):
    """``--augment name[key=value,...]``: parsed and checked against the registered declarations."""

    name = "augmentation"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Augmentation:
        from sttx.core.contract.augmentation import Augmentation

        if isinstance(value, Augmentation):
            return value
        registry = plugin_manager(ctx).registries().augmentations
        try:
            return registry.parse(str(value))
        except GrammarError as error:
            self.fail(f"{error.message}\n{error.caret()}", param, ctx)
        except (UnknownNameError, ValueError, TypeError) as error:
            self.fail(f"{error} in {value!r}", param, ctx)


class FileListType(click.ParamType):
    """A comma-separated list of paths, as DeepSpeech's ``--train_files a.csv,b.csv``."""

    name = "files"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        items = [item.strip() for item in str(value).split(",")]
        if any(not item for item in items) and str(value).strip():
            self.fail(f"empty file name in {value!r}", param, ctx)
        return [item for item in items if item]
