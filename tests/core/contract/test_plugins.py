"""The plugin core: every hook reaches its registry, duplicates fail loudly, broken plugins never break sttx."""

from __future__ import annotations

import importlib.metadata
import logging
import types

import click
import numpy as np
import pytest
from click.testing import CliRunner

import sttx
from sttx.cli import build_cli
from sttx.core.contract import hookspecs
from sttx.core.contract.errors import PluginError, UnknownNameError
from sttx.core.contract.plugins import DEFAULT_PLUGINS, describe_plugins, get_plugin_manager
from sttx.core.contract.registry import Importer, SampleFormat
from tests.conftest import TESTPLUGIN
from tests.plugins import sttx_testplugin

HOOK_NAMES = sorted(name for name in dir(hookspecs) if name.startswith("register_"))


class FakeEntryPoint:
    group = "sttx"

    def __init__(self, name, load):
        self.name, self.value, self._load = name, f"{name}_module", load

    def load(self):
        return self._load()


class FakeDistribution:
    def __init__(self, name, version, *entry_points):
        self.metadata, self.version, self.entry_points = {"Name": name}, version, entry_points


def fake_distributions(monkeypatch, *dists):
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: list(dists))


def plugin_module(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, sttx.hookimpl(function))
    return module


def test_testplugin_implements_every_hook():
    assert sorted(sttx_testplugin.IMPLEMENTED) == HOOK_NAMES


def test_hook_register_augmentations(test_pm):
    registry = test_pm.registries().augmentations
    assert registry.names() == ["reverse"]
    assert registry.provider("reverse") == TESTPLUGIN
    assert registry.parse("reverse[times=2,m=half]") == sttx_testplugin.Reverse(times=2, mode="half")


def test_hook_register_importers(test_pm):
    importer = test_pm.registries().importers.get("toy")
    assert isinstance(importer, Importer)
    assert importer.prepare(None) == ["hello world", "good bye"]


def test_hook_register_models(test_pm):
    assert test_pm.registries().models.get("toy_model").build({}, 29) == ("toy", 29)


def test_hook_register_exporters(test_pm):
    assert test_pm.registries().exporters.get("toy_export").export() == []


def test_hook_register_label_validators(test_pm):
    assert test_pm.registries().label_validators.get("toy")("Hello") == "hello"


def test_hook_register_sample_formats(test_pm, tmp_path):
    path = tmp_path / "set.TOY"
    path.write_text("one\ntwo\n")
    name, sample_format = test_pm.registries().sample_formats.for_path(str(path))
    assert name == "toy"
    assert [sample.transcript for sample in sample_format.read(path)] == ["one", "two"]


def test_hook_register_decoders(test_pm):
    from sttx.core.contract.decoding import DecodeSettings
    from sttx.core.data.alphabet import load_alphabet

    alphabet = load_alphabet()
    factory = test_pm.registries().decoders.get("loudest")
    decoder = factory.create(DecodeSettings(), alphabet)
    log_probs = np.full((4, alphabet.n_classes), -5.0, np.float32)
    log_probs[:, alphabet.encode("q")[0]] = -0.1
    assert decoder.decode(log_probs)[0].text == "q"
    assert not factory.uses_scorer and test_pm.registries().decoders.provider("loudest") == TESTPLUGIN


def test_hook_register_commands(test_pm):
    result = CliRunner().invoke(build_cli(test_pm), ["hello", "sttx"])
    assert result.exit_code == 0
    assert result.output == "hello sttx\n"
    (row,) = describe_plugins(test_pm)
    assert row["registered"]["commands"] == ["boom", "hello"]


def test_plugin_whose_command_hook_raises_leaves_the_cli_working(monkeypatch):
    def explode(cli):
        raise RuntimeError("bad command")

    module = plugin_module("badcmd", register_commands=explode)
    fake_distributions(monkeypatch, FakeDistribution("sttx-badcmd", "0.1", FakeEntryPoint("badcmd", lambda: module)))
    pm = get_plugin_manager(builtins=(), disabled=set())
    result = CliRunner().invoke(build_cli(pm), ["plugins", "--all", "--json"])
    assert result.exit_code == 0
    assert pm.infos["badcmd"].status == "failed"
    assert "register_commands: RuntimeError: bad command" in pm.infos["badcmd"].error


def test_unknown_name_lists_the_valid_ones(test_pm):
    with pytest.raises(UnknownNameError, match="unknown model 'nope'; known: toy_model"):
        test_pm.registries().models.get("nope")


def test_duplicate_name_names_both_plugins(test_pm):
    test_pm.register(
        plugin_module(
            "other", register_augmentations=lambda register: register.add("reverse", sttx_testplugin.Reverse)
        ),
        name="other",
    )
    with pytest.raises(PluginError, match=rf"'reverse' is registered by both '{TESTPLUGIN}' and 'other'"):
        test_pm.registries()


def test_overlapping_sample_format_extensions_fail(test_pm):
    fmt = SampleFormat(extensions=(".toy",), read=sttx_testplugin.read_toy)
    test_pm.register(
        plugin_module("other", register_sample_formats=lambda register: register.add("toy2", fmt)), name="other"
    )
    with pytest.raises(PluginError, match=r"both claim \.toy"):
        test_pm.registries()


def test_wrong_contribution_type_is_refused(test_pm):
    test_pm.register(
        plugin_module("bad", register_augmentations=lambda register: register.add("nota", int)), name="bad"
    )
    with pytest.raises(
        PluginError, match="'bad' registered augmentation 'nota' that is not a concrete sttx Augmentation"
    ):
        test_pm.registries()


def test_entry_points_are_loaded_with_their_distribution(monkeypatch):
    module = plugin_module("good", register_label_validators=lambda register: register.add("zz", str.upper))
    fake_distributions(monkeypatch, FakeDistribution("sttx-good", "1.2.3", FakeEntryPoint("good", lambda: module)))
    pm = get_plugin_manager(builtins=(), disabled=set())
    assert pm.registries().label_validators.get("zz")("a") == "A"
    (row,) = describe_plugins(pm)
    assert row | {"hooks": None} == {
        "name": "good",
        "distribution": "sttx-good",
        "version": "1.2.3",
        "builtin": False,
        "status": "loaded",
        "error": None,
        "hooks": None,
        "registered": {"label_validators": ["zz"]},
    }
    assert row["hooks"] == ["register_label_validators"]


def failing_import():
    raise ImportError("No module named 'missing_dependency'")


def test_broken_plugin_is_reported_once_and_commands_keep_working(monkeypatch, caplog):
    fake_distributions(
        monkeypatch, FakeDistribution("sttx-broken", "0.1", FakeEntryPoint("broken_once", failing_import))
    )
    with caplog.at_level(logging.WARNING, logger="sttx.plugins"):
        pm = get_plugin_manager(builtins=(), disabled=set())
        get_plugin_manager(builtins=(), disabled=set())
    reports = [record.getMessage() for record in caplog.records]
    assert reports == [
        "sttx: plugin 'broken_once' from sttx-broken failed to load: ImportError: No module named "
        "'missing_dependency'; skipping it"
    ]
    result = CliRunner().invoke(build_cli(pm), ["plugins", "--all", "--json"])
    assert result.exit_code == 0
    assert '"status": "failed"' in result.output
    assert CliRunner().invoke(build_cli(pm), ["plugins"]).output == ""


def test_plugin_whose_hook_raises_is_skipped(monkeypatch):
    def explode(register):
        raise RuntimeError("boom")

    fake_distributions(
        monkeypatch,
        FakeDistribution(
            "sttx-boom", "0.1", FakeEntryPoint("boom", lambda: plugin_module("boom", register_models=explode))
        ),
    )
    pm = get_plugin_manager(builtins=(), disabled=set())
    assert pm.registries().models.names() == []
    assert pm.infos["boom"].status == "failed"
    assert "register_models: RuntimeError: boom" in pm.infos["boom"].error


def test_plugin_with_an_unknown_hook_is_dropped(monkeypatch):
    module = plugin_module("typo", register_augmentation=lambda register: None)
    fake_distributions(monkeypatch, FakeDistribution("sttx-typo", "0.1", FakeEntryPoint("typo", lambda: module)))
    pm = get_plugin_manager(builtins=(), disabled=set())
    assert pm.get_plugin("typo") is None
    assert pm.infos["typo"].status == "failed"


def test_disable_env_blocks_third_party_and_builtins(monkeypatch):
    module = plugin_module("good", register_label_validators=lambda register: register.add("zz", str.upper))
    fake_distributions(monkeypatch, FakeDistribution("sttx-good", "1.0", FakeEntryPoint("good", lambda: module)))
    monkeypatch.setenv("STTX_DISABLE_PLUGINS", f"good, {TESTPLUGIN}")
    pm = get_plugin_manager(builtins=(TESTPLUGIN,))
    assert pm.registries().label_validators.names() == []
    assert {pm.infos["good"].status, pm.infos[TESTPLUGIN].status} == {"blocked"}
    assert [row["name"] for row in describe_plugins(pm, include_all=True)] == ["good", TESTPLUGIN]


def test_builtins_register_and_follow_the_contract(pm):
    assert set(pm.infos) == set(DEFAULT_PLUGINS)
    for name in DEFAULT_PLUGINS:
        assert pm.infos[name].builtin
        assert pm.get_hookcallers(pm.get_plugin(name)), f"{name} implements no hook"


def test_command_plugins_see_the_root_group(test_pm):
    cli = build_cli(test_pm)
    assert isinstance(cli, click.Group)
    assert {"plugins", "hello"} <= set(cli.commands)
