"""Export settings with DeepSpeech/Coqui flag names, read from any config object or mapping."""

from __future__ import annotations

from typing import Any

import attrs

from sttx.core.contract.errors import UsageError

#: DeepSpeech spelled some flags differently; both are accepted.
ALIASES = {"export_min_stt_version": "export_min_ds_version", "export_max_stt_version": "export_max_ds_version"}


@attrs.frozen(kw_only=True)
class ExportOptions:
    """What the exporters read; defaults are Coqui STT 1.4's."""

    n_steps: int = 16
    export_beam_width: int = 500
    export_float16: bool = False
    #: Coqui STT 1.4 quantizes by default (DeepSpeech always did); float16 weights, when asked for, replace it
    export_quantize: bool = attrs.field(default=attrs.Factory(lambda self: not self.export_float16, takes_self=True))
    export_file_name: str = "output_graph"
    audio_sample_rate: int = 16000
    feature_win_len: int = 32
    feature_win_step: int = 20
    relu_clip: float = 20.0
    export_author_id: str = "author"
    export_model_name: str = "model"
    export_model_version: str = "0.0.1"
    export_contact_info: str = "<public contact information of the author>"
    export_license: str = "<SPDX identifier of the license>"
    export_language: str = "<language code>"
    export_description: str = "<description of the model>"
    export_min_stt_version: str = "1.0.0"
    export_max_stt_version: str = "1.9.9"
    parity_clips: int = 4
    parity_tolerance: float = 1e-3

    def __attrs_post_init__(self) -> None:
        if self.n_steps < 1:
            raise UsageError(f"--n_steps must be at least 1, not {self.n_steps}")
        if self.export_beam_width < 1:
            raise UsageError(f"--export_beam_width must be at least 1, not {self.export_beam_width}")
        if self.export_quantize and self.export_float16:
            raise UsageError("--export_quantize and --export_float16 exclude each other")
        for name in ("audio_sample_rate", "feature_win_len", "feature_win_step"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name} must be positive, not {getattr(self, name)}")

    @property
    def window_samples(self) -> int:
        """Samples per feature window (512 at 16 kHz and 32 ms)."""
        return self.audio_sample_rate * self.feature_win_len // 1000

    @property
    def step_samples(self) -> int:
        """Samples between windows (320 at 16 kHz and 20 ms)."""
        return self.audio_sample_rate * self.feature_win_step // 1000

    @classmethod
    def from_config(cls, config: Any = None, **overrides: Any) -> ExportOptions:
        """Pick the known fields from a config object or mapping (either flag spelling), then ``overrides``."""
        values: dict[str, Any] = {}
        for field in attrs.fields(cls):
            for key in (field.name, ALIASES.get(field.name)):
                value = _lookup(config, key) if key else None
                if value is not None and value != "":
                    values[field.name] = value
                    break
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def _lookup(config: Any, key: str) -> Any:
    if config is None:
        return None
    if isinstance(config, dict):
        return config.get(key)
    return getattr(config, key, None)
