"""The stable import surface for plugin authors: import from here, and internal moves never break a plugin.

Every name below is pinned by ``tests/test_api.py``; removing or renaming one is a breaking change of sttx.
"""

from __future__ import annotations

from sttx import __version__, hookimpl
from sttx.cli.options import bool_option, option
from sttx.cli.types import (
    AlphabetPath,
    AudioPath,
    AugmentationType,
    CollectionPath,
    FileListType,
    ModelPath,
    RegisteredName,
    ScorerPath,
    plugin_manager,
)
from sttx.core.contract.augmentation import DOMAINS, Augmentation, AugmentContext, param, sample_rng
from sttx.core.contract.decoding import Decoder, DecodeSettings, Hypothesis
from sttx.core.contract.errors import DataError, GrammarError, PluginError, SttxError, UsageError
from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END, FrontEnd
from sttx.core.contract.grammar import AugmentationSpec, ValueRange, parse_augmentation, parse_range
from sttx.core.contract.graph_augmentation import GraphContext
from sttx.core.contract.graph_augmentation import derive as graph_seed
from sttx.core.contract.graph_augmentation import pick as graph_pick
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.contract.registry import (
    AugmentationRegistry,
    DecoderFactory,
    DecoderRegistry,
    Exporter,
    ExporterRegistry,
    Importer,
    ImporterRegistry,
    LabelValidatorRegistry,
    ModelArchitecture,
    ModelRegistry,
    Registries,
    SampleFormat,
    SampleFormatRegistry,
)
from sttx.core.contract.samples import AudioInfo, AudioSource, FileLayout, Sample, SampleRef
from sttx.core.data.alphabet import Alphabet, AlphabetError, UTF8Alphabet, load_alphabet
from sttx.core.data.audio import AudioError, read_audio, write_audio
from sttx.core.data.sources import BytesAudio, FileAudio

__all__ = [
    "DEEPSPEECH_FRONT_END",
    "DOMAINS",
    "Alphabet",
    "AlphabetError",
    "AlphabetPath",
    "AudioError",
    "AudioInfo",
    "AudioPath",
    "AudioSource",
    "AugmentContext",
    "Augmentation",
    "AugmentationRegistry",
    "AugmentationSpec",
    "AugmentationType",
    "BytesAudio",
    "CollectionPath",
    "DataError",
    "DecodeSettings",
    "Decoder",
    "DecoderFactory",
    "DecoderRegistry",
    "Exporter",
    "ExporterRegistry",
    "FileAudio",
    "FileLayout",
    "FileListType",
    "FrontEnd",
    "GrammarError",
    "GraphContext",
    "Hypothesis",
    "Importer",
    "ImporterRegistry",
    "LabelValidatorRegistry",
    "ModelArchitecture",
    "ModelPath",
    "ModelRegistry",
    "PluginError",
    "RegisteredName",
    "Registries",
    "Sample",
    "SampleFormat",
    "SampleFormatRegistry",
    "SampleRef",
    "ScorerPath",
    "SttxError",
    "UTF8Alphabet",
    "UsageError",
    "ValueRange",
    "__version__",
    "bool_option",
    "get_plugin_manager",
    "graph_pick",
    "graph_seed",
    "hookimpl",
    "load_alphabet",
    "option",
    "param",
    "parse_augmentation",
    "parse_range",
    "plugin_manager",
    "read_audio",
    "sample_rng",
    "write_audio",
]
