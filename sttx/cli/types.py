"""Click parameter types that check a value where it is parsed: grammar, registered names, file contents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sttx.core.contract.errors import GrammarError, SttxError, UnknownNameError

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
    """``--augment name[key=value,...]``: parsed and checked against the registered declarations.

    :param allow_none: accept ``none`` (converted to None): no augmentation at all, not even a model's default
    """

    name = "augmentation"

    def __init__(self, *, allow_none: bool = False) -> None:
        self.allow_none = allow_none

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Augmentation | None:
        from sttx.core.contract.augmentation import Augmentation

        if isinstance(value, Augmentation) or value is None:
            return value
        if self.allow_none and str(value).strip().lower() == "none":
            return None
        registry = plugin_manager(ctx).registries().augmentations
        try:
            return registry.parse(str(value))
        except GrammarError as error:
            self.fail(f"{error.message}\n{error.caret()}", param, ctx)
        except (UnknownNameError, ValueError, TypeError) as error:
            self.fail(f"{error} in {value!r}", param, ctx)


def without_none(augmentations: tuple[Any, ...], flag: str = "--augment") -> tuple[Any, ...]:
    """The augmentations of a ``--augment`` option that accepts ``none``; ``none`` beside a spec is a usage error."""
    chosen = tuple(a for a in augmentations if a is not None)
    if chosen and len(chosen) < len(augmentations):
        raise click.UsageError(f"{flag} none turns every augmentation off: give it alone, not beside "
                               f"{chosen[0].to_spec()}")
    return chosen


class FileListType(click.ParamType):
    """A comma-separated list of paths, as DeepSpeech's ``--train_files a.csv,b.csv``.

    :param collections: each path must be a sample collection a registered format reads; checked here, before
        any long work (TensorFlow, decoding) starts, so a typo fails in milliseconds and names the file
    """

    name = "files"

    def __init__(self, *, collections: bool = True) -> None:
        self.collections = collections

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        items = [item.strip() for item in str(value).split(",")]
        if any(not item for item in items) and str(value).strip():
            self.fail(f"empty file name in {value!r}", param, ctx)
        items = [item for item in items if item]
        if self.collections and items:
            from sttx.core.data.collections import probe_collection

            formats = plugin_manager(ctx).registries().sample_formats
            for item in items:
                try:
                    self.probe(item, formats, probe_collection)
                except SttxError as error:
                    self.fail(str(error), param, ctx)
        return items

    def probe(self, item: str, formats: Any, probe_collection: Any) -> None:
        """Check one path (a collection; see :class:`CollectionPath` for audio files too)."""
        probe_collection(item, formats)


class CollectionPath(FileListType):
    """A collection argument (``sttx data check FILES``): probed like :class:`FileListType`, returned as given.

    :param audio_ok: an audio file (by extension) is fine too, when its header decodes (``sttx play SOURCE``)
    """

    name = "collection"

    def __init__(self, *, audio_ok: bool = False) -> None:
        super().__init__(collections=True)
        self.audio_ok = audio_ok

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        super().convert(value, param, ctx)
        return value

    def probe(self, item: str, formats: Any, probe_collection: Any) -> None:
        from sttx.core.data.audio import audio_info
        from sttx.core.data.play import AUDIO_SUFFIXES

        if self.audio_ok and Path(item).suffix.lower() in AUDIO_SUFFIXES:
            audio_info(item)
        else:
            probe_collection(item, formats)


class RegisteredName(click.ParamType):
    """A name from one registry (``--model``, ``--export_format``): an unknown one is a usage error listing the rest.

    :param registry: the attribute of :class:`sttx.core.contract.registry.Registries`, e.g. ``"models"``
    """

    name = "name"

    def __init__(self, registry: str) -> None:
        self.registry = registry

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        registry = getattr(plugin_manager(ctx).registries(), self.registry)
        if str(value) not in registry:
            self.fail(str(UnknownNameError(registry.kind, str(value), registry.names())), param, ctx)
        return str(value)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        names = getattr(plugin_manager(ctx).registries(), self.registry).names()
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]


class CheckedPath(click.Path):
    """A click.Path whose content a cheap core check vets at parse time, before any long work (or TensorFlow).

    Subclasses name the check in :meth:`check`; it raises an SttxError naming the file, which becomes a usage error.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("exists", True)
        super().__init__(**kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":  # DeepSpeech's string flags say "not given" with an empty default
            return value
        converted = super().convert(value, param, ctx)
        try:
            self.check(Path(os.fsdecode(converted)))
        except SttxError as error:
            self.fail(str(error), param, ctx)
        return converted

    def check(self, path: Path) -> None:
        """Raise an SttxError when ``path`` cannot be what the parameter needs."""


class ModelPath(CheckedPath):
    """``transcribe MODEL``: a .tflite, an export dir, a SavedModel dir or a checkpoint dir."""

    def check(self, path: Path) -> None:
        from sttx.core.inference.loading import check_model_path

        check_model_path(path)


class AudioPath(CheckedPath):
    """An audio file (its header must decode) or a folder of them."""

    def check(self, path: Path) -> None:
        from sttx.core.data.audio import audio_info

        if path.is_file():
            audio_info(str(path))


class ScorerPath(CheckedPath):
    """A Coqui/DeepSpeech .scorer package (a KenLM binary with a vocabulary trie appended)."""

    def check(self, path: Path) -> None:
        from sttx.core.inference.scorer import read_scorer

        read_scorer(path)  # its headers and trie layout; the alphabet is checked once the model is loaded


class AlphabetPath(CheckedPath):
    """An alphabet file (``--alphabet_config_path``, ``--filter_alphabet``): it must load."""

    def check(self, path: Path) -> None:
        from sttx.core.data.alphabet import load_alphabet

        load_alphabet(path)
