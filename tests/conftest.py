"""Shared fixtures: fresh plugin managers that never see installed third-party plugins."""

from __future__ import annotations

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
