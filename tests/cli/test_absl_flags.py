"""DeepSpeech's absl habits on every sttx command: --helpfull, --flagfile, --noflag, booleans taking only booleans."""

from __future__ import annotations

from typing import Any

import click
import numpy as np
import pytest
from click.testing import CliRunner, Result

from sttx.cli import build_cli
from sttx.cli.options import bool_option, option
from sttx.core.data.audio import write_audio
from sttx.core.training.config import TrainConfig


def sttx(cli: click.Group, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="sttx")


def command_paths(cli: click.Group) -> list[tuple[str, ...]]:
    """Every command as a user types it (`train`, `data check`, `import cv`...), lazily listed groups included."""
    paths: list[tuple[str, ...]] = []

    def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, click.Context(command, parent=ctx, info_name=name), (*prefix, name))

    with click.Context(cli, info_name="sttx") as ctx:
        walk(cli, ctx, ())
    return paths


def boolean_options(cli: click.Group, path: tuple[str, ...]) -> list[str]:
    """The first long name of every boolean option of the command at ``path`` (hidden ones too)."""
    with click.Context(cli, info_name="sttx") as ctx:
        command: Any = cli
        for name in path:
            command = command.get_command(ctx, name)
    return [param.opts[0] for param in command.params
            if isinstance(param, click.Option) and isinstance(param.type, click.types.BoolParamType)
            and param.opts[0] not in ("--helpfull", "--version")]


def test_helpfull_shows_the_hidden_deepspeech_flags_of_train(pm) -> None:
    cli = build_cli(pm)
    full, short = sttx(cli, "train", "--helpfull"), sttx(cli, "train", "--help")
    assert full.exit_code == short.exit_code == 0
    for hidden in ("--augmentation_freq_and_time_masking", "--export_beam_width", "--n_steps", "--export_file_name"):
        assert hidden in full.output and hidden not in short.output
    assert "--helpfull" in short.output and "--flagfile FILE" in short.output
    assert "--export_beam_width" not in sttx(cli, "train", "--help").output  # hidden again afterwards


def test_every_command_takes_helpfull_and_every_boolean_takes_noflag(pm) -> None:
    """A generic sweep: each command (plugin groups listed lazily too) prints its full help, and each of its boolean
    options, negated absl-style in front of --helpfull, is accepted by the parser."""
    cli = build_cli(pm)
    paths = command_paths(cli)
    assert {("train",), ("data", "check"), ("import", "cv"), ("play",), ("transcribe",)} <= set(paths)
    negated = 0
    for path in paths:
        result = sttx(cli, *path, "--helpfull")
        assert result.exit_code == 0, (path, result.output)
        assert f"Usage: sttx {' '.join(path)}" in result.output
        for flag in boolean_options(cli, path):
            result = sttx(cli, *path, "--no" + flag[2:], "--helpfull")
            assert result.exit_code == 0, (path, flag, result.output)
            negated += 1
    assert negated > 60
    assert sttx(cli, "--helpfull").exit_code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--noearly_stop"], {"early_stop": False}),
        (["--early_stop", "--noearly_stop"], {"early_stop": False}),
        (["--noearly_stop", "--early_stop"], {"early_stop": True}),
        (["--noshow_progressbar", "--no-layer-norm"], {"show_progressbar": False, "layer_norm": False}),
        (["--early_stop", "FALSE", "--layer_norm", "Yes"], {"early_stop": False, "layer_norm": True}),
        (["--early_stop", "t", "--reduce_lr_on_plateau", "0"], {"early_stop": True, "reduce_lr_on_plateau": False}),
    ],
)
def test_train_booleans_negate_and_take_boolean_words(pm, captured, tmp_path, args, expected) -> None:
    result = sttx(build_cli(pm), "train", "--train_files", "a.csv", "--checkpoint_dir", str(tmp_path), *args)
    assert result.exit_code == 0, result.output
    for name, value in expected.items():
        assert getattr(captured[0], name) is value


def test_a_boolean_never_swallows_a_file_name(pm, tmp_path) -> None:
    """`sttx play --augment volume --random test.sdb` (DeepSpeech's play.py line): test.sdb is the source."""
    from sttx.core.contract.plugins import SttxPluginManager
    from sttx.core.data.convert import convert

    rows = ["wav_filename,wav_filesize,transcript"]
    for index in range(3):
        path = tmp_path / f"clip{index}.wav"
        write_audio(path, 0.3 * np.sin(np.arange(8000 + index * 800) / 5.0), 16000)
        rows.append(f"{path},{path.stat().st_size},tone {index}")
    (tmp_path / "test.csv").write_text("\n".join(rows) + "\n")
    assert isinstance(pm, SttxPluginManager)
    convert([str(tmp_path / "test.csv")], str(tmp_path / "test.sdb"), pm.registries().sample_formats)
    cli = build_cli(pm)
    result = sttx(cli, "play", "--augment", "volume", "--random", str(tmp_path / "test.sdb"), "--output",
                  str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("*.wav"))) == 3 and "volume[dbfs=" in result.output
    shuffled = sttx(cli, "play", "--random", "yes", "--quiet", "--number", "1", str(tmp_path / "test.csv"),
                    "--output", str(tmp_path / "one"))
    assert shuffled.exit_code == 0, shuffled.output
    assert len(list((tmp_path / "one").glob("*.wav"))) == 1


def test_flagfile_in_absl_format_and_later_flags_win(pm, captured, tmp_path) -> None:
    nested = tmp_path / "data.flags"
    nested.write_text("--train_files=train.csv\n--dev_files=dev.csv\n")
    flags = tmp_path / "run.flags"
    flags.write_text(
        "# DeepSpeech flags, one per line\n"
        "// a C++-style comment\n"
        "\n"
        f"--flagfile={nested.name}\n"  # nested, found beside the including file
        "--epochs=3\n"
        "--n_hidden 64\n"  # `--name value` is read as absl users mean it
        "--early_stop\n"
        "--noshow_progressbar\n"
        "--augment=volume[p=0.5,dbfs=-20:-10]\n"
        f"--checkpoint_dir={tmp_path / 'ck'}\n"
    )
    result = sttx(build_cli(pm), "train", "--epochs", "9", "--flagfile", str(flags), "--n_hidden", "32")
    assert result.exit_code == 0, result.output
    c = captured[0]
    assert (c.train_files, c.dev_files, c.epochs, c.n_hidden) == (("train.csv",), ("dev.csv",), 3, 32)
    assert (c.early_stop, c.show_progressbar, c.checkpoint_dir) == (True, False, str(tmp_path / "ck"))
    assert [augmentation.name for augmentation in c.augment] == ["volume"]


def test_a_runs_flags_txt_is_its_flagfile(pm, captured, tmp_path) -> None:
    """flags.txt (DeepSpeech's --name=value lines) reproduces the run's configuration through --flagfile."""
    original = TrainConfig(train_files="a.csv,b.sdb", dev_files="dev.csv", checkpoint_dir=str(tmp_path), epochs=7,
                           n_hidden=100, early_stop=True, dropout_rate=0.2, lr_schedule="cosine")
    flags = tmp_path / "flags.txt"
    flags.write_text(original.to_flags_text())
    result = sttx(build_cli(pm), "train", f"--flagfile={flags}")
    assert result.exit_code == 0, result.output
    assert captured[0].to_flags_text() == original.to_flags_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flagfile", "missing.flags"], "Error: --flagfile missing.flags: no such file"),
        (["--flagfile"], "Error: --flagfile needs a FILE"),
        (["--flagfile=unknown.flags"], "Error: No such option '--nosuch_flag'."),
        (["--flagfile=value.flags"], "Error: Invalid value for '--epochs': 'many' is not a valid integer range."),
    ],
)
def test_flagfile_mistakes_are_one_line_usage_errors(pm, captured, tmp_path, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "unknown.flags").write_text("--epochs=3\n--nosuch_flag=1\n")
    (tmp_path / "value.flags").write_text("--epochs=many\n")
    result = sttx(build_cli(pm), "train", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output.splitlines()
    assert "Traceback" not in result.output and "Usage: sttx train" in result.output
    assert not captured


def test_a_flagfile_that_includes_itself_is_skipped_with_a_warning(pm, captured, tmp_path) -> None:
    flags = tmp_path / "loop.flags"
    flags.write_text(f"--epochs=4\n--flagfile={flags}\n--flagfile {flags}\n--checkpoint_dir={tmp_path}\n"
                     "--train_files=a.csv\n")
    result = CliRunner().invoke(build_cli(pm), ["train", "--flagfile", str(flags)], prog_name="sttx")
    assert result.exit_code == 0, result.output
    assert "includes itself; skipped" in result.output and captured[0].epochs == 4


def plain_plugin_group() -> click.Group:
    """What a third-party plugin may register: a plain click group (not sttx's) with a hidden boolean."""

    @click.group("thirdparty")
    def group() -> None:
        """A plugin's group."""

    @group.command("run")
    @bool_option("--fast", default=True, help="Go fast.")
    @option("--secret_level", type=int, default=1, hidden=True, help="A hidden option.")
    @option("--json", "as_json", is_flag=True, help="A bare flag.")
    @click.argument("source", required=False)
    def run(fast: bool, secret_level: int, as_json: bool, source: str | None) -> None:
        click.echo(f"fast={fast} level={secret_level} json={as_json} source={source}")

    return group


def test_a_plugins_plain_group_gets_the_same_habits(test_pm, tmp_path) -> None:
    cli = build_cli(test_pm)
    cli.add_command(plain_plugin_group())
    flags = tmp_path / "plugin.flags"
    flags.write_text("--secret_level=7\n--json\n")
    assert sttx(cli, "thirdparty", "run", "--nofast", "--flagfile", str(flags), "--nojson", "x.csv").output == (
        "fast=False level=7 json=False source=x.csv\n")
    assert sttx(cli, "thirdparty", "run", "--fast", "x.csv").output == "fast=True level=1 json=False source=x.csv\n"
    full = sttx(cli, "thirdparty", "run", "--helpfull")
    assert full.exit_code == 0 and "--secret_level" in full.output
    assert "--secret_level" not in sttx(cli, "thirdparty", "run", "--help").output
    assert "hello" in sttx(cli, "hello", "--helpfull").output  # the test plugin's own command
