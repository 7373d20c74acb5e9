"""Unexpected exceptions: one line naming the plugin whose command raised it, the traceback only on request."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli, internal_errors
from sttx.core.contract.plugins import PluginInfo
from tests.conftest import TESTPLUGIN

TOY_ERROR = "RuntimeError: the toy plugin broke"


@pytest.fixture(autouse=True)
def no_debug_env(monkeypatch):
    monkeypatch.delenv(internal_errors.DEBUG_ENV, raising=False)


def invoke(pm, *args):
    return CliRunner().invoke(build_cli(pm), list(args))


def test_a_plugin_command_that_raises_is_one_line_naming_the_plugin(test_pm):
    result = invoke(test_pm, "boom")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        f"Error: internal error in plugin {TESTPLUGIN}: {TOY_ERROR}",
        f"(a bug in plugin {TESTPLUGIN}, not in your input; {internal_errors.HINT})",
    ]
    assert "Traceback" not in result.output


def test_an_installed_plugin_is_named_with_its_distribution(test_pm):
    test_pm.infos[TESTPLUGIN] = PluginInfo(TESTPLUGIN, "sttx-toys", "1.2")
    result = invoke(test_pm, "boom")
    assert f"internal error in plugin {TESTPLUGIN} (distribution sttx-toys): {TOY_ERROR}" in result.output


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--log_level", "0", "boom"], None), (["--log-level=0", "boom"], None), (["boom"], "1")],
)
def test_log_level_0_or_sttx_debug_print_the_traceback(test_pm, monkeypatch, args, env):
    if env:
        monkeypatch.setenv(internal_errors.DEBUG_ENV, env)
    result = invoke(test_pm, *args)
    assert result.exit_code == 1
    assert "Traceback (most recent call last):" in result.output
    assert 'raise RuntimeError("the toy plugin broke")' in result.output
    assert result.output.rstrip().splitlines()[-1] == f"Error: internal error in plugin {TESTPLUGIN}: {TOY_ERROR}"


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_sttx_debug_off_values_keep_the_traceback_hidden(test_pm, monkeypatch, value):
    monkeypatch.setenv(internal_errors.DEBUG_ENV, value)
    assert "Traceback" not in invoke(test_pm, "boom").output


def test_a_command_level_log_level_0_counts_too():
    assert internal_errors.debug_requested(["train", "--log_level", "0"])
    assert internal_errors.debug_requested(["train", "--log-level=0"])
    assert not internal_errors.debug_requested(["train", "--log_level", "1", "--epochs", "0"])


def test_sttx_own_command_says_internal_error_without_a_plugin(pm, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("registries")

    monkeypatch.setattr("sttx.cli.plugins.describe_plugins", broken)
    result = invoke(pm, "plugins")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "Error: internal error: KeyError: 'registries'"
    assert "(a bug in sttx, not in your input;" in result.output


def test_a_builtin_plugin_command_is_sttx_own(pm, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("sttx.core.data.datacheck.dataset_alphabet", broken)
    collection = tmp_path / "any.csv"
    collection.write_text("wav_filename,wav_filesize,transcript\n", encoding="utf-8")
    result = invoke(pm, "data", "alphabet", str(collection))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "Error: internal error: ZeroDivisionError: division by zero"


def test_an_importer_command_is_owned_by_the_importer_plugin(test_pm):
    build_cli(test_pm)  # notes which plugin added which command
    registries = test_pm.registries()
    toy = registries.importers.get("toy").command
    invoked = [("import", object()), ("toy", toy)]
    assert internal_errors.command_owner(test_pm, invoked) == TESTPLUGIN
    assert internal_errors.command_owner(test_pm, [("hello", object())]) == TESTPLUGIN
    assert internal_errors.command_owner(test_pm, [("unknown", object())]) is None


def test_click_exits_and_domain_errors_are_not_internal(test_pm):
    assert invoke(test_pm, "hello", "--times", "0").exit_code == 2
    assert "internal error" not in invoke(test_pm, "nope").output


def test_the_console_script_reports_it_the_same_way():
    code = (
        "import sys\n"
        "from sttx.cli import build_cli\n"
        "from sttx.core.contract.plugins import get_plugin_manager\n"
        "from tests.plugins import sttx_testplugin\n"
        "pm = get_plugin_manager(load_entrypoints=False, builtins=(), disabled=set())\n"
        f"pm.register(sttx_testplugin, name={TESTPLUGIN!r})\n"
        "build_cli(pm).main(['boom'], prog_name='sttx')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"Error: internal error in plugin {TESTPLUGIN}: {TOY_ERROR}"
    assert "Traceback" not in result.stderr
