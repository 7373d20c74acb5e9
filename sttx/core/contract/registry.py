"""Typed registries handed to the register_* hooks; a name registered twice is an error naming both plugins."""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import attrs

from sttx.core.contract.augmentation import Augmentation
from sttx.core.contract.errors import PluginError, UnknownNameError
from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END, FrontEnd
from sttx.core.contract.grammar import NAME_RE, AugmentationSpec, ParamDecl, parse_augmentation

if TYPE_CHECKING:
    from pathlib import Path

    from sttx.core.contract.samples import FileLayout, SampleRef

T = TypeVar("T")
_LOCALE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@attrs.frozen(kw_only=True)
class Importer:
    """A corpus importer: a typed library function and the thin click command that calls it.

    :param prepare: the library function tests call directly
    :param command: a ``click.Command``; ``sttx import NAME`` runs it
    """

    prepare: Callable[..., Any]
    command: Any
    description: str = ""


@attrs.frozen(kw_only=True)
class ModelArchitecture:
    """An acoustic-model architecture: ``build(config, n_classes)`` returns a Keras model.

    The model reads ``features`` [B, T, front_end.n_features] and returns logits [B, ceil(T / time_reduction),
    n_classes] (blank last).

    :param front_end: the features the input pipeline computes for it (default: DeepSpeech's 26 MFCC)
    :param time_reduction: feature frames per output frame (4 for a model that subsamples 4x); the CTC length
        check and the loss use it
    :param defaults: `sttx train` flag values the model trains with unless the user gives the flag (optimiser,
        learning-rate schedule, batch size, ``augment`` as grammar strings...)
    :param layers: the model's layers in order, input side first, for --drop_source_layers and
        --freeze_source_layers (the last N are dropped; the first is never), or ``layers(config)`` giving them
        for a geometry; a layer owns the variables whose Keras layer is named ``<layer>`` or ``<layer>_...``;
        empty: DeepSpeech's six
    :param settings: the config attributes its geometry depends on (recorded in checkpoints, so a checkpoint
        rebuilds the same model)
    """

    build: Callable[..., Any]
    description: str = ""
    front_end: FrontEnd = DEEPSPEECH_FRONT_END
    time_reduction: int = 1
    defaults: Mapping[str, Any] = attrs.field(factory=dict)
    layers: tuple[str, ...] | Callable[[Any], tuple[str, ...]] = ()
    settings: tuple[str, ...] = ()

    def create(self, config: Any, n_classes: int, name: str = "") -> Any:
        """``build(config, n_classes)`` with the declarations attached to the model for the engines downstream
        (evaluation, inference, export): ``front_end``, ``time_reduction`` and ``sttx_architecture`` (its name)."""
        model = self.build(config, n_classes)
        with contextlib.suppress(AttributeError, TypeError):  # not every build returns an object taking attributes
            model.front_end = self.front_end
            model.time_reduction = self.time_reduction
            model.sttx_architecture = name
        return model

    def layer_order(self, config: Any) -> tuple[str, ...]:
        """The transfer layers for ``config`` (empty: DeepSpeech's)."""
        return tuple(self.layers(config)) if callable(self.layers) else tuple(self.layers)


@attrs.frozen(kw_only=True)
class Exporter:
    """An export format: ``export(model_state, config, export_dir)`` writes the files and returns their paths.

    :param models: the model architectures (``--model`` names) it can export; empty: any
    :param requirement: why it takes only those (the usage error for another model quotes it)
    """

    export: Callable[..., Any]
    description: str = ""
    models: tuple[str, ...] = ()
    requirement: str = ""

    def accepts(self, model: str) -> bool:
        """Whether a model of architecture ``model`` can be exported this way."""
        return not self.models or model in self.models


@attrs.frozen(kw_only=True)
class DecoderFactory:
    """A CTC decoder: ``create(settings, alphabet)`` returns a :class:`sttx.core.contract.decoding.Decoder`.

    :param create: called once per process with a ``DecodeSettings`` and the model's alphabet; must be picklable
        (a module-level function), since test sets are decoded in worker processes
    :param uses_scorer: whether the decoder reads ``--scorer_path`` (one that does not refuses a scorer)
    :param parallel: decode test sets in worker processes (False for decoders cheaper than moving their input)
    """

    create: Callable[..., Any]
    uses_scorer: bool = False
    parallel: bool = True
    description: str = ""


@attrs.frozen(kw_only=True)
class SampleFormat:
    """A sample-collection format (CSV, SDB, JSONL...), chosen by file extension.

    :param read: ``read(path) -> Iterator[SampleRef]``: lightweight rows whose ``load()`` decodes the audio
    :param write: ``write(samples, path, **options)``, or None for read-only formats
    :param layout: ``layout(path) -> FileLayout`` for formats whose samples live in files read front to back
        (sharded corpora): training can then give each worker its own files (``--shard_input file``)
    """

    extensions: tuple[str, ...]
    read: Callable[[Path], Iterator[SampleRef]]
    write: Callable[..., Any] | None = None
    description: str = ""
    layout: Callable[[Path], FileLayout] | None = None


class Registry(Generic[T]):
    """Names -> contributions, remembering which plugin registered each name."""

    kind: ClassVar[str] = "entry"
    name_pattern: ClassVar[re.Pattern[str]] = NAME_RE

    def __init__(self) -> None:
        self._entries: dict[str, tuple[T, str]] = {}
        self.current_plugin = "<direct>"

    def check(self, name: str, value: T) -> None:
        """Raise PluginError when ``value`` is not a valid contribution (subclasses narrow it)."""

    def add(self, name: str, value: T) -> None:
        """Register ``value`` under ``name``; a name already taken is an error naming both plugins."""
        if not isinstance(name, str) or not self.name_pattern.fullmatch(name):
            raise PluginError(
                f"plugin {self.current_plugin!r} registered {self.kind} name {name!r}, "
                f"which must match {self.name_pattern.pattern}"
            )
        if name in self._entries:
            raise PluginError(
                f"{self.kind} {name!r} is registered by both {self._entries[name][1]!r} "
                f"and {self.current_plugin!r}; uninstall or disable one (STTX_DISABLE_PLUGINS)"
            )
        self.check(name, value)
        self._entries[name] = (value, self.current_plugin)

    def get(self, name: str) -> T:
        """The contribution registered as ``name``; UnknownNameError lists the valid names."""
        if name not in self._entries:
            raise UnknownNameError(self.kind, name, self.names())
        return self._entries[name][0]

    def provider(self, name: str) -> str:
        """The plugin that registered ``name``."""
        self.get(name)
        return self._entries[name][1]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def by_plugin(self, plugin: str) -> list[str]:
        """The names one plugin registered."""
        return sorted(name for name, (_, owner) in self._entries.items() if owner == plugin)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def _require(self, name: str, ok: bool, expected: str) -> None:
        if not ok:
            raise PluginError(f"plugin {self.current_plugin!r} registered {self.kind} {name!r} that is not {expected}")


class AugmentationRegistry(Registry[type[Augmentation]]):
    """Augmentation classes by grammar name, e.g. ``register.add("reverb", Reverb)``."""

    kind = "augmentation"

    def check(self, name: str, value: type[Augmentation]) -> None:
        is_class = inspect.isclass(value) and issubclass(value, Augmentation)
        self._require(name, is_class and not inspect.isabstract(value), "a concrete sttx Augmentation subclass")

    def declarations(self) -> dict[str, dict[str, ParamDecl]]:
        """Each augmentation's declared parameters, for the grammar."""
        return {name: self.get(name).declarations() for name in self.names()}

    def parse(self, text: str) -> Augmentation:
        """Parse ``name[k=v,...]`` against the declarations and build the augmentation."""
        return self.build(parse_augmentation(text, self.declarations()))

    def build(self, spec: AugmentationSpec) -> Augmentation:
        """Instantiate a parsed spec."""
        return self.get(spec.name).from_spec(spec)


class ImporterRegistry(Registry[Importer]):
    """Corpus importers by name: ``sttx import NAME``."""

    kind = "importer"

    def check(self, name: str, value: Importer) -> None:
        self._require(name, isinstance(value, Importer) and callable(value.prepare), "an sttx Importer")


class ModelRegistry(Registry[ModelArchitecture]):
    """Model architectures by name: ``--model NAME``."""

    kind = "model"

    def check(self, name: str, value: ModelArchitecture) -> None:
        self._require(name, isinstance(value, ModelArchitecture) and callable(value.build), "an sttx ModelArchitecture")


class ExporterRegistry(Registry[Exporter]):
    """Export formats by name (tflite, savedmodel, ...)."""

    kind = "exporter"

    def check(self, name: str, value: Exporter) -> None:
        self._require(name, isinstance(value, Exporter) and callable(value.export), "an sttx Exporter")


class LabelValidatorRegistry(Registry[Callable[[str], "str | None"]]):
    """Label validators by locale: ``validate(label) -> cleaned label, or None to reject it``."""

    kind = "label validator"
    name_pattern = _LOCALE_RE

    def check(self, name: str, value: Callable[[str], str | None]) -> None:
        self._require(name, callable(value), "callable")


class SampleFormatRegistry(Registry[SampleFormat]):
    """Sample-collection formats by name; each claims file extensions, which must not overlap."""

    kind = "sample format"

    def check(self, name: str, value: SampleFormat) -> None:
        self._require(name, isinstance(value, SampleFormat) and callable(value.read), "an sttx SampleFormat")
        for other in self.names():
            shared = set(self.get(other).extensions) & set(value.extensions)
            if shared:
                raise PluginError(
                    f"sample formats {other!r} ({self.provider(other)!r}) and {name!r} "
                    f"({self.current_plugin!r}) both claim {', '.join(sorted(shared))}"
                )

    def for_path(self, path: str) -> tuple[str, SampleFormat]:
        """The format whose extension ``path`` ends with (the longest match wins)."""
        lowered = str(path).lower()
        matches = [
            (len(ext), name) for name in self.names() for ext in self.get(name).extensions if lowered.endswith(ext)
        ]
        if not matches:
            known = sorted(ext for name in self.names() for ext in self.get(name).extensions)
            raise UnknownNameError("sample format for", str(path), known)
        name = max(matches)[1]
        return name, self.get(name)


class DecoderRegistry(Registry[DecoderFactory]):
    """CTC decoders by name: ``--decoder NAME`` (greedy, beam, ...)."""

    kind = "decoder"

    def check(self, name: str, value: DecoderFactory) -> None:
        self._require(name, isinstance(value, DecoderFactory) and callable(value.create), "an sttx DecoderFactory")


@attrs.frozen
class Registries:
    """Every registry, filled by the plugins' register_* hooks."""

    augmentations: AugmentationRegistry = attrs.field(factory=AugmentationRegistry)
    importers: ImporterRegistry = attrs.field(factory=ImporterRegistry)
    models: ModelRegistry = attrs.field(factory=ModelRegistry)
    exporters: ExporterRegistry = attrs.field(factory=ExporterRegistry)
    label_validators: LabelValidatorRegistry = attrs.field(factory=LabelValidatorRegistry)
    sample_formats: SampleFormatRegistry = attrs.field(factory=SampleFormatRegistry)
    decoders: DecoderRegistry = attrs.field(factory=DecoderRegistry)

    #: registry attribute -> the hook that fills it
    HOOKS: ClassVar[dict[str, str]] = {
        "augmentations": "register_augmentations",
        "importers": "register_importers",
        "models": "register_models",
        "exporters": "register_exporters",
        "label_validators": "register_label_validators",
        "sample_formats": "register_sample_formats",
        "decoders": "register_decoders",
    }

    def by_plugin(self, plugin: str) -> dict[str, list[str]]:
        """What one plugin registered, per registry (empty registries left out)."""
        found = {attr: getattr(self, attr).by_plugin(plugin) for attr in self.HOOKS}
        return {attr: names for attr, names in found.items() if names}
