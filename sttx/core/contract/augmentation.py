"""The augmentation contract: attrs classes that declare their parameters, sample them, then apply them."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import attrs
import numpy as np

from sttx.core.contract.grammar import AugmentationSpec, ParamDecl, ValueRange, parse_range

#: Where an augmentation runs: on the waveform before features (sample), or inside the feature graph.
DOMAINS = ("sample", "signal", "spectrogram", "features")
_DECL_KEY = "sttx_param"
_RANGE_KINDS = {"int_range": int, "float_range": float}


def _coerce(kind: str) -> Any:
    """A converter that accepts Python values or grammar text for a parameter of ``kind``."""

    def convert(value: Any) -> Any:
        if kind in _RANGE_KINDS:
            number_kind = _RANGE_KINDS[kind]
            if isinstance(value, ValueRange):
                return attrs.evolve(value, kind=number_kind) if value.kind is not number_kind else value
            if isinstance(value, str):
                return parse_range(value, number_kind)
            if isinstance(value, tuple) and len(value) in (2, 3):
                start, end, *radius = (number_kind(item) for item in value)
                return ValueRange(start, end, radius[0] if radius else number_kind(0), number_kind)
            return ValueRange.constant(value, number_kind)
        if kind == "float" and isinstance(value, int | str) and not isinstance(value, bool):
            return float(value)
        if kind == "int" and isinstance(value, str):
            return int(value)
        return value

    return convert


def _check(decl: ParamDecl) -> Any:
    """A validator that raises ValueError in the keras wording when a value breaks its declaration."""

    def validate(_instance: Any, attribute: Any, value: Any) -> None:
        named = attrs.evolve(decl, name=attribute.name)
        numbers = [value.start, value.end] if isinstance(value, ValueRange) else [value]
        if decl.kind == "choice" and value not in decl.choices:
            raise ValueError(f"Invalid value for `{named.name}`: expected {named.describe()}. Received: {value!r}")
        if decl.kind not in ("int", "float", "int_range", "float_range"):
            return
        for number in numbers:
            if (decl.low is not None and number < decl.low) or (decl.high is not None and number > decl.high):
                raise ValueError(
                    f"Invalid value for `{named.name}`: expected {named.describe()}. Received: {named.name}={value}"
                )

    return validate


def param(
    default: Any,
    kind: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    help: str = "",
) -> Any:
    """Declare an augmentation parameter: an attrs field the grammar can read, convert and check."""
    decl = ParamDecl(
        name="", kind=kind, default=default, low=low, high=high, choices=choices, aliases=aliases, help=help
    )
    converter = _coerce(kind)
    return attrs.field(
        default=converter(default),
        converter=converter,
        validator=_check(decl),
        metadata={_DECL_KEY: decl},
    )


@attrs.frozen
class AugmentContext:
    """What an augmentation may know about the sample it transforms."""

    sample_rate: int
    rng: np.random.Generator
    clock: float = 0.5
    label_length: int = 0
    #: ms between spectrogram / feature frames (20: DeepSpeech's MFCC; 10: a log-mel front end)
    frame_ms: float = 20.0
    #: feature frames the model needs for the transcript (CTC's repeats and its time reduction counted): an
    #: augmentation that shortens the time axis keeps at least this many
    min_frames: int = 0


def sample_rng(seed: int, epoch: int, index: int, augmentation: int) -> np.random.Generator:
    """A generator seeded from (seed, epoch, sample, augmentation): reproducible and independent per worker."""
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, index, augmentation]))


@attrs.frozen(kw_only=True)
class Augmentation(abc.ABC):
    """Base of every augmentation. Subclasses are ``@attrs.frozen(kw_only=True)`` and declare fields with ``param``.

    ``sample_params`` draws this sample's values from the declared ranges at the clock; ``apply`` is pure given
    them. ``__call__`` gates on ``p`` with its own draw, so ``p=0`` returns the input object untouched.
    """

    name: ClassVar[str] = ""
    domain: ClassVar[str] = "sample"

    p: float = param(1.0, "float", low=0.0, high=1.0, help="probability of applying to a sample")

    @classmethod
    def declarations(cls) -> dict[str, ParamDecl]:
        """The declared parameters by name, for the grammar and for docs."""
        declared: dict[str, ParamDecl] = {}
        for field in attrs.fields(cls):
            decl = field.metadata.get(_DECL_KEY)
            if decl is not None:
                declared[field.name] = attrs.evolve(decl, name=field.name)
        return declared

    @classmethod
    def from_spec(cls, spec: AugmentationSpec) -> Self:
        """Build from a parsed spec whose parameters were converted against ``declarations()``."""
        return cls(**spec.params)

    def to_spec(self) -> AugmentationSpec:
        """The spec of this instance, with every declared parameter (round-trips through the grammar)."""
        return AugmentationSpec(self.name, {key: getattr(self, key) for key in self.declarations()})

    @property
    def active_domain(self) -> str:
        """The domain this instance runs in (multi-domain augmentations declare a ``domain`` parameter)."""
        return str(getattr(self, "domain", "sample"))

    def sample_params(self, rng: np.random.Generator, clock: float) -> dict[str, Any]:
        """Draw this sample's parameter values: ranges are picked at ``clock``, other values pass through."""
        drawn: dict[str, Any] = {}
        for key in self.declarations():
            if key == "p":
                continue
            value = getattr(self, key)
            drawn[key] = value.pick(clock, rng) if isinstance(value, ValueRange) else value
        return drawn

    @abc.abstractmethod
    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Transform ``data`` with drawn ``params``."""

    # The optional graph pair (sttx.core.contract.graph_augmentation): implement ``graph_apply`` (and
    # ``graph_params`` when the default draws are not enough) and the augmentation runs on tf.data service workers.

    @classmethod
    def graph_capable(cls) -> bool:
        """Whether this augmentation runs inside a TensorFlow graph (it overrides ``graph_apply``)."""
        return cls.graph_apply is not Augmentation.graph_apply

    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]:
        """Draw this sample's values in graph from a ``[2]`` int64 seed with stateless ops: ranges picked at
        ``clock`` as ``sample_params`` does (float32 / int32 tensors), other values pass through."""
        from sttx.core.contract.graph_augmentation import pick_declared

        return pick_declared(self, seed, clock)

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        """Transform the float32 tensor ``data`` ([N] waveform, [T, F] otherwise) with graph-drawn ``params``;
        ``context`` is a GraphContext. Pure given ``params``: same params, same output as ``apply``."""
        raise NotImplementedError(f"{self.name} has no graph implementation")

    def __call__(self, data: np.ndarray, context: AugmentContext) -> tuple[np.ndarray, dict[str, Any] | None]:
        """Apply with probability ``p``; return the data and the drawn parameters (None when it did not fire)."""
        if not context.rng.random() < self.p:
            return data, None
        params = self.sample_params(context.rng, context.clock)
        return self.apply(data, params, context), params


@attrs.frozen
class Fired:
    """One augmentation that fired on a sample, with the values it drew (for `sttx play` and logs)."""

    position: int
    name: str
    params: dict[str, Any]


def apply_chain(
    chain: list[tuple[int, Augmentation]],
    data: np.ndarray,
    *,
    sample_rate: int,
    clock: float,
    seed: int,
    epoch: int,
    index: int,
    label_length: int = 0,
    frame_ms: float = 20.0,
    min_frames: int = 0,
) -> tuple[np.ndarray, list[Fired]]:
    """Apply ``(position, augmentation)`` pairs in order, each with its own generator.

    The generator of each step is seeded from (seed, epoch, sample index, position in ``--augment``), so a
    sample's draws never depend on worker count, scheduling or the other augmentations' draws.
    """
    fired: list[Fired] = []
    for position, augmentation in chain:
        rng = sample_rng(seed, epoch, index, position)
        context = AugmentContext(sample_rate=sample_rate, rng=rng, clock=clock, label_length=label_length,
                                 frame_ms=frame_ms, min_frames=min_frames)
        data, params = augmentation(data, context)
        if params is not None:
            fired.append(Fired(position, augmentation.name, params))
    return data, fired
