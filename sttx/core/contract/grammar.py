"""The augmentation grammar: `name[key=value,...]` and value ranges `v`, `v~r`, `start:end`, `start:end~r`.

Pure: no click and no TensorFlow. Semantics follow DeepSpeech 0.9 (reference/deepspeech-facts.md §5) without its
defects: no positional 1-tuples, no unknown keys reaching constructors, and every error is a GrammarError that
carries the text and the position of the bad token.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from sttx.core.contract.errors import GrammarError

NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NEEDS_QUOTES = re.compile(r"[,\[\]=\s'\"]")


class RandomSource(Protocol):
    """Anything with ``uniform(low, high)``: numpy's Generator or Python's random.Random."""

    def uniform(self, low: float, high: float) -> float: ...


def _number_kind(kind: Any) -> type:
    if kind in (int, "int"):
        return int
    if kind in (float, "float"):
        return float
    raise ValueError(f"kind must be int or float, not {kind!r}")


def format_number(value: float) -> str:
    """Canonical text of a number: ints as digits, floats in Python's shortest round-trip form."""
    return str(value) if isinstance(value, int) else repr(float(value))


@attrs.frozen(repr=False)
class ValueRange:
    """A value that moves from ``start`` to ``end`` as the clock runs, drawn within ``r`` of that centre."""

    start: float = attrs.field()
    end: float = attrs.field()
    r: float = attrs.field(default=0)
    kind: type = attrs.field(default=float, converter=_number_kind)

    @classmethod
    def constant(cls, value: float, kind: Any = float) -> ValueRange:
        """A range that always picks ``value``."""
        number_kind = _number_kind(kind)
        return cls(number_kind(value), number_kind(value), number_kind(0), number_kind)

    def centre(self, clock: float) -> float:
        """``start + clock*(end-start)`` with the clock clamped to [0, 1]; exactly ``end`` at clock 1."""
        if math.isnan(clock):
            raise ValueError("clock must be a number in [0, 1], not NaN")
        c = min(1.0, max(0.0, float(clock)))
        if c >= 1.0:
            return float(self.end)
        low, high = sorted((float(self.start), float(self.end)))
        return min(high, max(low, self.start + c * (self.end - self.start)))

    def pick(self, clock: float, rng: RandomSource) -> Any:
        """Draw a value at ``clock``: uniform in [centre-r, centre+r]; int ranges round half-to-even."""
        centre = self.centre(clock)
        value = centre
        if self.r > 0:
            low, high = centre - self.r, centre + self.r
            value = min(high, max(low, float(rng.uniform(low, high))))
        return round(value) if self.kind is int else float(value)

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a pick can return at any clock."""
        return min(self.start, self.end) - self.r, max(self.start, self.end) + self.r

    def __repr__(self) -> str:
        return f"ValueRange({str(self)!r}, {self.kind.__name__})"

    def __str__(self) -> str:
        text = format_number(self.start)
        if self.end != self.start:
            text += ":" + format_number(self.end)
        if self.r:
            text += "~" + format_number(self.r)
        return text


def _parse_number(token: str, kind: type, text: str, position: int) -> Any:
    stripped = token.strip()
    pattern = _INT_RE if kind is int else _FLOAT_RE
    if not pattern.fullmatch(stripped):
        expected = "an integer" if kind is int else "a number"
        raise GrammarError(text, position, f"expected {expected}, got {stripped!r}")
    value = kind(stripped)
    if kind is float and not math.isfinite(value):
        raise GrammarError(text, position, f"number {stripped!r} is out of range")
    return value


def parse_range(text: str, kind: Any = float, *, _source: str | None = None, _offset: int = 0) -> ValueRange:
    """Parse ``v``, ``v~r``, ``start:end`` or ``start:end~r`` into a ValueRange of ``kind`` (int or float).

    :raises GrammarError: naming the bad part and its position (int ranges reject ``1.5``)
    """
    number_kind = _number_kind(kind)
    source = text if _source is None else _source
    for separator in "~:":
        if text.count(separator) > 1:
            second = text.index(separator, text.index(separator) + 1)
            raise GrammarError(source, _offset + second, f"cannot parse value range {text.strip()!r}")
    body, _, radius_text = text.partition("~")
    start_text, colon, end_text = body.partition(":")
    start = _parse_number(start_text, number_kind, source, _offset)
    end = start
    if colon:
        end = _parse_number(end_text, number_kind, source, _offset + len(start_text) + 1)
    radius = number_kind(0)
    if "~" in text:
        radius = _parse_number(radius_text, number_kind, source, _offset + len(body) + 1)
        if radius < 0:
            raise GrammarError(source, _offset + len(body) + 1, f"range radius must be >= 0, got {radius_text!r}")
    return ValueRange(start, end, radius, number_kind)


@attrs.frozen(kw_only=True)
class ParamDecl:
    """How one augmentation parameter is written: its type, default, bounds and accepted aliases.

    ``kind`` is one of bool, int, float, str, choice, int_range, float_range.
    """

    name: str
    kind: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        words = {
            "bool": "true or false",
            "int": "an integer",
            "float": "a number",
            "str": "a string",
            "int_range": "an integer range (v, v~r, start:end or start:end~r)",
            "float_range": "a number range (v, v~r, start:end or start:end~r)",
        }
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        text = words[self.kind]
        if self.low is not None or self.high is not None:
            low = "-inf" if self.low is None else format_number(self.low)
            high = "inf" if self.high is None else format_number(self.high)
            text += f" in [{low}, {high}]"
        return text


@attrs.frozen
class RawValue:
    """A parameter value as written, with its position in the source text."""

    text: str
    position: int
    quoted: bool = False


@attrs.frozen
class AugmentationSpec:
    """A parsed ``--augment`` value: the augmentation's name and its parameters by canonical name."""

    name: str
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)

    def __str__(self) -> str:
        return format_augmentation(self)


def format_value(value: Any) -> str:
    """Canonical text of one parameter value; strings are quoted when they would read as something else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, ValueRange):
        return str(value)
    if isinstance(value, int | float):
        return format_number(value)
    text = str(value)
    if text and not _NEEDS_QUOTES.search(text) and isinstance(infer_value(RawValue(text, 0)), str):
        return text
    quote = "'" if '"' in text else '"'
    return f"{quote}{text}{quote}"


def format_augmentation(spec: AugmentationSpec) -> str:
    """The canonical text of a spec: ``name`` or ``name[k=v,...]``; ``parse_augmentation`` reads it back."""
    if not spec.params:
        return spec.name
    inner = ",".join(f"{key}={format_value(value)}" for key, value in spec.params.items())
    return f"{spec.name}[{inner}]"


def infer_value(raw: RawValue) -> Any:
    """Type an undeclared value: bool, int, float, a value range, else the string itself."""
    if raw.quoted:
        return raw.text
    text = raw.text
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    if ":" in text or "~" in text:
        for kind in (int, float):
            try:
                return parse_range(text, kind)
            except GrammarError:
                continue
    return text


def _scan_name(text: str) -> tuple[str, int]:
    """Read the augmentation name; return it and the index just after it."""
    start = len(text) - len(text.lstrip())
    match = _IDENT_RE.match(text, start)
    if not match:
        raise GrammarError(text, start, "expected an augmentation name such as reverb or volume[p=0.5]")
    name = match.group(0)
    if not NAME_RE.fullmatch(name):
        raise GrammarError(text, start, f"augmentation names are lower case: write {name.lower()!r}")
    return name, match.end()


def _scan_value(text: str, i: int) -> tuple[RawValue, int]:
    """Read one value starting at ``i`` (after '='); return it and the index after it."""
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and text[i] in "\"'":
        end = text.find(text[i], i + 1)
        if end < 0:
            raise GrammarError(text, i, f"unterminated quote {text[i]}")
        return RawValue(text[i + 1 : end], i, quoted=True), end + 1
    start = i
    while i < len(text) and text[i] not in ",]":
        if text[i] in "[=":
            raise GrammarError(text, i, f"unexpected {text[i]!r} in a value (quote values that contain it)")
        i += 1
    value = text[start:i].rstrip()
    if not value:
        raise GrammarError(text, start, "missing value")
    return RawValue(value, start), i


def _scan_params(text: str, i: int) -> tuple[list[tuple[str, int, RawValue]], int]:
    """Read ``key=value,...]`` starting after '['; return the items and the index after ']'."""
    items: list[tuple[str, int, RawValue]] = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i < len(text) and text[i] == "]" and not items:
            return items, i + 1
        match = _IDENT_RE.match(text, i)
        if not match:
            what = "missing ']'" if i >= len(text) else "expected a parameter name (key=value)"
            raise GrammarError(text, i, what)
        key, i = match.group(0), match.end()
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != "=":
            bare = re.split(r"[,\]]", text[match.start() :], maxsplit=1)[0].strip()
            raise GrammarError(text, match.start(), f"expected key=value, got {bare!r} (every value needs its key)")
        raw, i = _scan_value(text, i + 1)
        items.append((key, match.start(), raw))
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            raise GrammarError(text, i, "missing ']'")
        if text[i] == "]":
            return items, i + 1
        i += 1  # the comma


def _convert(decl: ParamDecl, raw: RawValue, source: str) -> Any:
    """Turn a raw value into the declared type and check its bounds."""
    try:
        value = _convert_kind(decl, raw, source)
    except GrammarError as error:
        raise GrammarError(
            source, raw.position, f"invalid value {raw.text!r} for {decl.name}: expected {decl.describe()}"
        ) from error
    numbers = [value.start, value.end] if isinstance(value, ValueRange) else [value]
    if decl.kind in ("int", "float", "int_range", "float_range"):
        for number in numbers:
            if (decl.low is not None and number < decl.low) or (decl.high is not None and number > decl.high):
                raise GrammarError(
                    source,
                    raw.position,
                    f"value {raw.text!r} for {decl.name} is out of range: expected {decl.describe()}",
                )
    return value


def _convert_kind(decl: ParamDecl, raw: RawValue, source: str) -> Any:
    text = raw.text.strip()
    if decl.kind == "str":
        return raw.text
    if decl.kind == "bool":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise GrammarError(source, raw.position, "expected a bool")
    if decl.kind == "choice":
        if text in decl.choices:
            return text
        raise GrammarError(source, raw.position, "expected a choice")
    if decl.kind in ("int", "float"):
        return _parse_number(text, int if decl.kind == "int" else float, source, raw.position)
    if decl.kind in ("int_range", "float_range"):
        return parse_range(text, int if decl.kind == "int_range" else float, _source=source, _offset=raw.position)
    raise ValueError(f"unknown parameter kind {decl.kind!r} in declaration of {decl.name}")


def _resolve_key(key: str, declared: Mapping[str, ParamDecl]) -> str | None:
    if key in declared:
        return key
    for decl in declared.values():
        if key in decl.aliases:
            return decl.name
    return None


def parse_augmentation(
    text: str, declarations: Mapping[str, Mapping[str, ParamDecl]] | None = None
) -> AugmentationSpec:
    """Parse ``name[key=value,...]`` (brackets optional without parameters).

    :param text: the specification, e.g. ``reverb[p=0.1,delay=50.0~30.0]``
    :param declarations: augmentation name -> its parameter declarations; when given, the name must be one of
        them and every value is converted to its declared type and checked against its bounds. Without it,
        values are typed by inference (bool, int, float, range, else string).
    :raises GrammarError: with the text, the position of the bad token and the valid names
    """
    name, i = _scan_name(text)
    items: list[tuple[str, int, RawValue]] = []
    rest = text[i:].lstrip()
    if rest.startswith("["):
        items, i = _scan_params(text, text.index("[", i) + 1)
        rest = text[i:]
    if rest.strip():
        position = len(text) - len(text[i:].lstrip())
        raise GrammarError(text, position, f"unexpected {rest.strip()[0]!r} after the augmentation")
    declared: Mapping[str, ParamDecl] | None = None
    if declarations is not None:
        if name not in declarations:
            valid = ", ".join(sorted(declarations)) or "(none registered)"
            raise GrammarError(text, len(text) - len(text.lstrip()), f"unknown augmentation {name!r}; known: {valid}")
        declared = declarations[name]
    params: dict[str, Any] = {}
    for key, position, raw in items:
        canonical = key if declared is None else _resolve_key(key, declared)
        if canonical is None:
            valid = ", ".join(declared or {}) or "(no parameters)"
            raise GrammarError(text, position, f"unknown parameter {key!r} for {name}; valid: {valid}")
        if canonical in params:
            raise GrammarError(text, position, f"parameter {canonical!r} given twice")
        params[canonical] = infer_value(raw) if declared is None else _convert(declared[canonical], raw, text)
    return AugmentationSpec(name, params)
