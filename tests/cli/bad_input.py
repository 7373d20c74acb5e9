"""Bad-input cases derived from the declared click types of every command, for the CLI's error-contract matrix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click

from sttx.cli.types import AugmentationType, FileListType, RegisteredName

#: placeholders in a case's argv, replaced by files that :func:`write_bad_files` makes
MISSING_FILE, MISSING_DIR = "{tmp}/no-such-file.csv", "{tmp}/no-such-dir"
A_DIR, A_FILE = "{tmp}/a-folder.csv", "{tmp}/a-file.txt"
CONTENTS: dict[str, bytes] = {
    "empty.csv": b"",
    "garbage.csv": bytes(range(256)) * 4,
    "wrong-header.csv": b"speaker,words\nclip.wav,hello\n",
    "garbage.jsonl": b"\x00\xff\xfe not json\n",
    "garbage.sdb": b"\x89PNG\r\n\x1a\n" + bytes(range(200)),
}
#: augmentation specs each of which must be rejected with the token named (the second item)
BAD_AUGMENTATIONS = (
    ("reverb[delay=fast]", "fast"),
    ("nope", "nope"),
    ("reverb[delay=1", "reverb[delay=1"),
    ("reverb]", "reverb]"),
    ("reverb[delay=1,,decay=2]", "reverb[delay=1,,decay=2]"),
    ("reverb[nope=1]", "nope"),
)


@attrs.frozen
class Case:
    """One bad invocation: the words before the bad value, the bad argv, and the words the error must contain."""

    command: tuple[str, ...]
    param: str
    label: str
    bad: tuple[str, ...]
    culprits: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{' '.join(self.command) or 'sttx'}:{self.param}:{self.label}"


def write_bad_files(tmp: Path) -> None:
    """The files and folders the placeholders name."""
    (tmp / "a-folder.csv").mkdir()
    (tmp / "fillers").mkdir()
    (tmp / "fillers" / "train-1.index").write_bytes(b"")  # passes for a checkpoint dir where a MODEL is needed
    (tmp / "a-file.txt").write_text("not a folder\n")
    for name, data in CONTENTS.items():
        (tmp / name).write_bytes(data)


def fill(text: str, tmp: Path) -> str:
    """Replace the ``{tmp}`` placeholder."""
    return text.replace("{tmp}", str(tmp))


def walk(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, command) below ``group``, groups included, as ``sttx --help`` would list them."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, click.Context(command, parent=ctx, info_name=name), (*path, name))


def _names(param: click.Parameter) -> tuple[str, ...]:
    """What a message may call the parameter: any spelling of the flag, or the argument's metavar."""
    if isinstance(param, click.Argument):
        return (param.name or "", (param.name or "").upper())
    return tuple(param.opts)


def _argv(param: click.Parameter, value: str) -> tuple[str, ...]:
    if isinstance(param, click.Argument):
        return (value,)
    if isinstance(param.type, click.types.BoolParamType):  # absl: a boolean takes a next token only if it is one
        return (f"{param.opts[0]}={value}",)
    return (param.opts[0], value)


def path_values(kind: click.Path) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(label, value, words the error must contain) for a click.Path."""
    if kind.exists:
        yield "missing", MISSING_DIR if not kind.file_okay else MISSING_FILE, ("no-such-",)
    if not kind.dir_okay:
        yield "a-folder", A_DIR, ("a-folder.csv",)
    if not kind.file_okay:
        yield "a-file", A_FILE, ("a-file.txt",)
    if kind.exists and kind.file_okay:
        yield from content_values(headers=False)


def content_values(*, headers: bool = True) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Files that exist but hold nothing usable (a wrong CSV header only where a collection is expected: a
    header-like line is a fine alphabet or sentence file)."""
    for name in CONTENTS:
        if headers or name != "wrong-header.csv":
            yield name, "{tmp}/" + name, (name,)


def collection_values() -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Sample collections that cannot be read."""
    yield "missing", MISSING_FILE, ("no-such-file.csv",)
    yield "a-folder", A_DIR, ("a-folder.csv",)
    yield "unknown-type", A_FILE, ("a-file.txt",)
    yield "empty-name", f"{MISSING_FILE},,x.csv", ("empty file name",)
    yield from content_values()


def number_values(kind: click.ParamType) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Garbage, and one step past each declared bound."""
    yield "garbage", "12abc", ()
    low, high = getattr(kind, "min", None), getattr(kind, "max", None)
    step = 1 if isinstance(kind, click.IntRange) else 0.5
    if low is not None:
        yield "below-min", str(low if getattr(kind, "min_open", False) else low - step), ()
    if high is not None:
        yield "above-max", str(high if getattr(kind, "max_open", False) else high + step), ()


def values_for(param: click.Parameter) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """The bad values a parameter's declared type calls for."""
    kind = param.type
    if isinstance(kind, click.Path):
        yield from path_values(kind)
    elif isinstance(kind, FileListType) and kind.collections:
        yield from collection_values()
    elif isinstance(kind, click.IntRange | click.FloatRange) or kind in (click.INT, click.FLOAT):
        yield from number_values(kind)
    elif isinstance(kind, click.Choice):
        yield "unknown-choice", "nope", ("nope",)
    elif isinstance(kind, RegisteredName):
        yield "unknown-name", "nope", ("nope",)
    elif isinstance(kind, AugmentationType):
        for spec, token in BAD_AUGMENTATIONS:
            yield f"augment-{spec}", spec, (token,)
    elif isinstance(kind, click.types.BoolParamType) and not getattr(param, "is_flag", False):
        yield "not-a-bool", "maybe", ("maybe",)


def cases_for(path: tuple[str, ...], command: click.Command) -> Iterator[Case]:
    """Every bad case of one command: each parameter's bad values, and an unknown name below a group."""
    if isinstance(command, click.Group):
        yield Case(path, "COMMAND", "unknown-command", ("nope",), ("nope",))
    for param in command.params:
        for label, value, words in values_for(param):
            # a value that only breaks a range names the flag; the rest must name the value too
            culprits = words or _names(param)
            yield Case(path, param.name or "?", label, _argv(param, value), culprits)


def all_cases(cli: click.Group, pm: Any) -> list[Case]:
    """The whole matrix: the root's unknown command, then every command's cases."""
    ctx = click.Context(cli, obj=pm, info_name="sttx")
    cases = list(cases_for((), cli))
    for path, command in walk(cli, ctx):
        cases.extend(cases_for(path, command))
    return cases


def argv_for(case: Case, command: click.Command | None) -> list[str]:
    """The full command line: the bad option first (click converts in command-line order), then plausible values
    for the other required parameters, arguments in their declared order, so the error is about the bad value."""
    if command is None or case.param == "COMMAND":
        return [*case.command, *case.bad]
    bad_param = next(param for param in command.params if param.name == case.param)
    options = [] if isinstance(bad_param, click.Argument) else list(case.bad)
    arguments: list[str] = []
    for param in command.params:
        if param is bad_param:
            arguments += list(case.bad) if isinstance(param, click.Argument) else []
        elif param.required and isinstance(param, click.Argument):
            arguments.append(_filler(param))
        elif param.required:
            options += [param.opts[0], _filler(param)]
    return [*case.command, *options, *arguments]


def _filler(param: click.Parameter) -> str:
    kind = param.type
    if isinstance(kind, click.Path):
        return "{tmp}/fillers" if kind.exists else "{tmp}/new-output"
    if isinstance(kind, FileListType):
        from sttx.core.training.sample_job import SAMPLE_CSV

        return str(SAMPLE_CSV)
    return "{tmp}/fillers/x.csv"
