"""The plugin manager factory: entry points of group `sttx` plus the built-in DEFAULT_PLUGINS, checked strictly."""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
from typing import Any

import attrs
import pluggy

from sttx.core.contract import hookspecs
from sttx.core.contract.errors import PluginError
from sttx.core.contract.registry import Registries

log = logging.getLogger("sttx.plugins")

ENTRY_POINT_GROUP = "sttx"
DISABLE_ENV = "STTX_DISABLE_PLUGINS"

#: Built-in plugins, registered exactly as a third party's would be; the list doubles as the feature list.
DEFAULT_PLUGINS: tuple[str, ...] = (
    # one dotted module path per line
    "sttx.plugins.augment.overlay",
    "sttx.plugins.augment.reverb",
    "sttx.plugins.augment.gaps",
    "sttx.plugins.augment.resample",
    "sttx.plugins.augment.codec",
    "sttx.plugins.augment.volume",
    "sttx.plugins.augment.pitch",
    "sttx.plugins.augment.tempo",
    "sttx.plugins.augment.warp",
    "sttx.plugins.augment.frequency_mask",
    "sttx.plugins.augment.time_mask",
    "sttx.plugins.augment.dropout",
    "sttx.plugins.augment.add",
    "sttx.plugins.augment.multiply",
    "sttx.cli.play",
    "sttx.plugins.formats.csv_format",
    "sttx.plugins.formats.sdb",
    "sttx.plugins.formats.jsonl",
    "sttx.plugins.formats.shards",
    "sttx.cli.data",
    "sttx.plugins.exporters.tflite",
    "sttx.plugins.exporters.savedmodel",
    "sttx.plugins.exporters.utterance",
    "sttx.cli.export",
    "sttx.cli.evaluate",
    "sttx.cli.transcribe",
    "sttx.plugins.validators.en",
    "sttx.plugins.importers.common_voice",
    "sttx.plugins.importers.espeak",
    "sttx.plugins.importers.librispeech",
    "sttx.plugins.importers.folder",
    "sttx.plugins.importers.kaldi",
    "sttx.plugins.importers.lhotse_manifests",
    "sttx.plugins.importers.hugging_face",
    "sttx.plugins.importers.ljspeech",
    "sttx.plugins.importers.vctk",
    "sttx.plugins.importers.tedlium",
    "sttx.plugins.importers.mls",
    "sttx.plugins.importers.m_ailabs",
    "sttx.plugins.importers.voxforge",
    "sttx.plugins.importers.fleurs",
    "sttx.cli.import_cmd",
    "sttx.plugins.models.deepspeech",
    "sttx.plugins.decoders.greedy",
    "sttx.plugins.decoders.beam",
    "sttx.plugins.models.conformer",
    "sttx.cli.train",
    "sttx.cli.lm_build",
    "sttx.cli.lm_tune",
)

_already_reported: set[tuple[str, str]] = set()


@attrs.define
class PluginInfo:
    """What ``sttx plugins`` reports about one plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    status: str = "loaded"  # loaded | blocked | failed
    error: str | None = None


class SttxPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers where each plugin came from and builds the registries once."""

    def __init__(self) -> None:
        super().__init__("sttx")
        self.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.commands: dict[str, list[str]] = {}  # plugin -> commands it added (filled by add_commands)
        self._registries: Registries | None = None

    def registries(self) -> Registries:
        """Call every register_* hook once, attributing each registration to its plugin."""
        if self._registries is None:
            registries = Registries()
            for attr, hook_name in Registries.HOOKS.items():
                self._collect(hook_name, getattr(registries, attr))
            self._registries = registries
        return self._registries

    def add_commands(self, cli: Any) -> None:
        """Call every register_commands hook on the root group, noting which commands each plugin added."""
        for impl in self.hook.register_commands.get_hookimpls():
            before = set(cli.commands)
            self._call(impl, "register_commands", cli)
            self.commands[impl.plugin_name] = sorted(set(cli.commands) - before)

    def _collect(self, hook_name: str, registry: Any) -> None:
        for impl in getattr(self.hook, hook_name).get_hookimpls():  # registration order
            registry.current_plugin = impl.plugin_name
            self._call(impl, hook_name, registry)
        registry.current_plugin = "<direct>"

    def _call(self, impl: Any, hook_name: str, argument: Any) -> None:
        """Run one plugin's hook; a third-party plugin that raises is reported and skipped, a built-in fails."""
        try:
            impl.function(**dict.fromkeys(impl.argnames, argument))
        except PluginError:
            raise
        except Exception as error:
            info = self.infos.get(impl.plugin_name)
            if info is None or info.builtin:
                raise
            _report_once(impl.plugin_name, f"failed in {hook_name}: {type(error).__name__}: {error}")
            info.status, info.error = "failed", f"{hook_name}: {type(error).__name__}: {error}"


def _report_once(name: str, message: str) -> None:
    """Log a broken third-party plugin once per process, however many managers are built."""
    if (name, message) not in _already_reported:
        _already_reported.add((name, message))
        log.warning("sttx: plugin %r %s; skipping it", name, message)


def disabled_names(environ: dict[str, str] | None = None) -> set[str]:
    """Plugin names listed in STTX_DISABLE_PLUGINS (comma-separated)."""
    value = (os.environ if environ is None else environ).get(DISABLE_ENV, "")
    return {name.strip() for name in value.split(",") if name.strip()}


def _distribution_name(dist: Any) -> str | None:
    try:
        return str(dist.metadata["Name"])
    except (AttributeError, KeyError, TypeError):
        return getattr(dist, "name", None)


def _load_entrypoints(pm: SttxPluginManager) -> None:
    """Register every installed ``sttx`` entry point; one that fails to import is reported and skipped."""
    for dist in importlib.metadata.distributions():
        for entry_point in getattr(dist, "entry_points", ()):
            if entry_point.group != ENTRY_POINT_GROUP or entry_point.name in pm.infos:
                continue
            info = PluginInfo(entry_point.name, _distribution_name(dist), getattr(dist, "version", None))
            pm.infos[entry_point.name] = info
            if pm.is_blocked(entry_point.name):
                info.status = "blocked"
                continue
            try:
                plugin = entry_point.load()
                pm.register(plugin, name=entry_point.name)
            except Exception as error:  # a broken third-party plugin must never take the CLI down
                info.status, info.error = "failed", f"{type(error).__name__}: {error}"
                _report_once(entry_point.name, f"from {info.distribution} failed to load: {info.error}")


def _register_builtins(pm: SttxPluginManager, modules: tuple[str, ...]) -> None:
    from sttx import __version__

    for module_name in modules:
        info = PluginInfo(module_name, "sttx", __version__, builtin=True)
        pm.infos[module_name] = info
        if pm.is_blocked(module_name):
            info.status = "blocked"
            continue
        pm.register(importlib.import_module(module_name), name=module_name)


def _check_pending(pm: SttxPluginManager) -> None:
    """Reject hook implementations that match no spec; a third-party offender is dropped and reported."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as error:
            name = pm.get_name(error.plugin) or repr(error.plugin)
            info = pm.infos.get(name)
            if info is None or info.builtin:
                raise PluginError(f"built-in plugin {name!r} breaks the hook contract: {error}") from error
            pm.unregister(error.plugin)
            info.status, info.error = "failed", str(error)
            _report_once(name, f"implements an unknown hook: {error}")


def get_plugin_manager(
    *, load_entrypoints: bool = True, builtins: tuple[str, ...] | None = None, disabled: set[str] | None = None
) -> SttxPluginManager:
    """A fresh plugin manager: blocked names, entry points of group ``sttx``, then the built-ins, then checks.

    :param load_entrypoints: False in tests, so installed third-party plugins never leak in
    :param builtins: the built-in module paths (default: DEFAULT_PLUGINS)
    :param disabled: names to block (default: from STTX_DISABLE_PLUGINS)
    """
    pm = SttxPluginManager()
    for name in disabled_names() if disabled is None else disabled:
        pm.set_blocked(name)
    if load_entrypoints:
        _load_entrypoints(pm)
    _register_builtins(pm, DEFAULT_PLUGINS if builtins is None else builtins)
    _check_pending(pm)
    return pm


def describe_model(architecture: Any) -> dict[str, Any]:
    """What ``sttx plugins`` shows of a model: its front end, time reduction and training defaults."""
    defaults = {name: list(value) if isinstance(value, tuple) else value
                for name, value in architecture.defaults.items()}
    return {"front_end": architecture.front_end.as_dict(), "features": architecture.front_end.describe(),
            "time_reduction": architecture.time_reduction, "defaults": defaults}


def describe_plugins(pm: SttxPluginManager, *, include_all: bool = False) -> list[dict[str, Any]]:
    """One record per plugin: distribution, version, status, hooks and what it registered in each registry.

    :param include_all: also list blocked plugins and plugins that failed to load
    """
    registries = pm.registries()
    rows = []
    # plugins registered directly by a host program have no entry-point record: list them too
    direct = {name: PluginInfo(name) for name, _ in pm.list_name_plugin() if name not in pm.infos}
    for name, info in (pm.infos | direct).items():
        if info.status != "loaded" and not include_all:
            continue
        plugin = pm.get_plugin(name)
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()) if plugin else []
        rows.append(
            {
                "name": name,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "status": info.status,
                "error": info.error,
                "hooks": hooks,
                "registered": registries.by_plugin(name) | (
                    {"commands": pm.commands[name]} if pm.commands.get(name) else {}
                ),
            }
        )
        augmentations = registries.augmentations
        in_graph = [a for a in augmentations.by_plugin(name) if augmentations.get(a).graph_capable()]
        if in_graph:  # augmentations that also run inside a TensorFlow graph (on tf.data service workers)
            rows[-1]["graph_augmentations"] = in_graph
        models = registries.models.by_plugin(name)
        if models:  # a model plugin: its front end and defaults
            rows[-1]["models"] = {model: describe_model(registries.models.get(model)) for model in models}
    return sorted(rows, key=lambda row: (row["builtin"], row["name"]))
