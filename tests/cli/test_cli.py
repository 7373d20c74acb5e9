"""The click CLI: version, TF-free start, both option spellings, flexible booleans and usage errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from sttx import __version__
from sttx.cli import build_cli
from sttx.cli.options import bool_option, option
from sttx.cli.types import AugmentationType, FileListType
from sttx.core.contract.errors import SttxError, UsageError
from tests.plugins import sttx_testplugin


def run(pm, *args):
    return CliRunner().invoke(build_cli(pm), list(args))


def test_version(test_pm):
    result = run(test_pm, "--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["plugins", "--json"]])
def test_help_and_plugins_do_not_import_tensorflow(args):
    code = (
        "import sys\n"
        f"sys.argv = ['sttx', *{args!r}]\n"
        "from sttx.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('TF-LOADED' if 'tensorflow' in sys.modules else 'TF-FREE')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "TF-FREE"


def probe_command(pm):
    @click.command("probe")
    @option("--train_files", type=FileListType(collections=False), default="")
    @option("--n-hidden", type=int, default=2048)
    @bool_option("--early_stop")
    @option("--augment", type=AugmentationType(), multiple=True)
    def probe(train_files, n_hidden, early_stop, augment):
        click.echo(f"{train_files}|{n_hidden}|{early_stop}|{[str(a.to_spec()) for a in augment]}")

    cli = build_cli(pm)
    cli.add_command(probe)
    return cli


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "[]|2048|False|[]"),
        (["--train_files", "a.csv,b.csv"], "['a.csv', 'b.csv']|2048|False|[]"),
        (["--train-files=a.csv", "--n_hidden", "64"], "['a.csv']|64|False|[]"),
        (["--early_stop"], "[]|2048|True|[]"),
        (["--early_stop", "--n-hidden", "8"], "[]|8|True|[]"),
        (["--early_stop", "false"], "[]|2048|False|[]"),
        (["--early-stop=true"], "[]|2048|True|[]"),
        (["--early_stop=1", "--noearly_stop"], "[]|2048|False|[]"),
        (
            ["--augment", "reverse[times=2]", "--augment", "reverse"],
            "[]|2048|False|['reverse[p=1.0,times=2,mode=full]', 'reverse[p=1.0,times=1,mode=full]']",
        ),
    ],
)
def test_option_spellings(test_pm, args, expected):
    result = CliRunner().invoke(probe_command(test_pm), ["probe", *args])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_bad_augmentation_is_a_usage_error_with_a_caret(test_pm):
    result = CliRunner().invoke(probe_command(test_pm), ["probe", "--augment", "reverse[times=fast]"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert "Invalid value for '--augment': invalid value 'fast' for times: expected an integer range" in result.output
    caret_line = lines[lines.index("  reverse[times=fast]") + 1]
    assert caret_line == "  " + " " * len("reverse[times=") + "^"


def test_unknown_augmentation_lists_the_valid_names(test_pm):
    result = CliRunner().invoke(probe_command(test_pm), ["probe", "--augment", "reverb[p=1]"])
    assert result.exit_code == 2
    assert "unknown augmentation 'reverb'; known: reverse" in result.output


def test_bad_boolean_is_a_usage_error(test_pm):
    result = CliRunner().invoke(probe_command(test_pm), ["probe", "--early_stop=maybe"])
    assert result.exit_code == 2
    assert "'maybe' is not a valid boolean" in result.output


@pytest.mark.parametrize(
    ("error", "code"), [(UsageError("bad --n_hidden: -1"), 2), (SttxError("clip.wav is truncated"), 1)]
)
def test_domain_errors_become_one_line(test_pm, error, code):
    cli = build_cli(test_pm)

    @cli.command("fail")
    def fail():
        raise error

    result = CliRunner().invoke(cli, ["fail"])
    assert result.exit_code == code
    assert str(error) in result.output
    assert "Traceback" not in result.output


def test_augmentation_type_passes_instances_through(test_pm):
    instance = sttx_testplugin.Reverse(times=3)
    assert AugmentationType().convert(instance, None, None) is instance
