"""Shared fixtures: fresh plugin managers that never see installed third-party plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttx.core.contract.plugins import SttxPluginManager, get_plugin_manager
from tests.plugins import sttx_testplugin

TESTPLUGIN = "tests.plugins.sttx_testplugin"


@pytest.fixture
def pm() -> SttxPluginManager:
    """The built-ins only: no entry points, nothing blocked."""
    return get_plugin_manager(load_entrypoints=False, disabled=set())


@pytest.fixture
def test_pm() -> SttxPluginManager:
    """No built-ins, just the test plugin that implements every hook."""
    manager = get_plugin_manager(load_entrypoints=False, builtins=(), disabled=set())
    manager.register(sttx_testplugin, name=TESTPLUGIN)
    return manager


@pytest.fixture(scope="session")
def kenlm_tools():
    """KenLM's lmplz, build_binary and filter: on PATH, cached, or compiled once per machine (1-2 minutes)."""
    from sttx.core.inference.lm.tools import ensure_tools, find_tools, missing_build_tools

    tools = find_tools()
    if tools is None:
        missing = missing_build_tools()
        if missing:  # scripts/setup.sh installs the compiler, so CI never skips here
            pytest.skip(f"KenLM's tools are not built and {', '.join(missing)} is missing to compile them")
        tools = ensure_tools()
    return tools


@pytest.fixture(autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``$XDG_DATA_HOME`` per test: runs without --checkpoint_dir write there, never into the user's own."""
    path = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    return path
