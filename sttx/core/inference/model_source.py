"""What an exporter exports: a model with its alphabet, from memory or from a checkpoint dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import SttxError
from sttx.core.data.alphabet import Alphabet
from sttx.core.inference.reference import Acoustic


class ExportSourceError(SttxError):
    """Nothing exportable was given (names what was received)."""


@attrs.frozen(kw_only=True)
class ExportSource:
    """A DeepSpeech-shaped Keras model (or plain weights) and its alphabet.

    :param dev_files: CSVs whose first clips the parity check runs (default: the shipped sample corpus)
    """

    model: Any = None
    alphabet: Alphabet
    acoustic_weights: Any = None
    relu_clip: float | None = None
    dev_files: tuple[str, ...] = ()

    @property
    def architecture(self) -> str:
        """The ``--model`` name of what is exported (``deepspeech`` for plain weights and unnamed models)."""
        return str(getattr(self.model, "sttx_architecture", "") or "deepspeech") if self.model is not None \
            else "deepspeech"

    def weights(self) -> Any:
        """The model as arrays (LSTM in Keras gate order)."""
        from sttx.core.training.acoustic_weights import weights_from_model

        if self.acoustic_weights is not None:
            return self.acoustic_weights
        return weights_from_model(self.model, self.relu_clip)

    def reference(self) -> Acoustic:
        """The checkpoint's own forward pass that exports are compared with."""
        from sttx.core.inference.runtimes import KerasAcoustic, WeightsAcoustic

        return KerasAcoustic(self.model) if self.model is not None else WeightsAcoustic(self.acoustic_weights)

    @classmethod
    def coerce(cls, value: Any) -> ExportSource:
        """Accept an ExportSource, a checkpoint dir, or any object with ``model`` and ``alphabet`` attributes."""
        if isinstance(value, ExportSource):
            return value
        if isinstance(value, str | Path):
            return cls.from_checkpoint_dir(value)
        if getattr(value, "alphabet", None) is not None and getattr(value, "model", None) is not None:
            dev = getattr(value, "dev_files", None) or ()
            return cls(model=value.model, alphabet=value.alphabet, dev_files=tuple(dev),
                       relu_clip=getattr(value, "relu_clip", None))
        raise ExportSourceError(f"cannot export {type(value).__name__}: expected a model with an alphabet")

    @classmethod
    def from_checkpoint_dir(cls, path: str | Path, **kwargs: Any) -> ExportSource:
        """Restore the newest (best, then last) checkpoint of a sttx or DeepSpeech checkpoint dir."""
        from sttx.core.training.ds_checkpoint import is_deepspeech_checkpoint, restore_deepspeech

        if is_deepspeech_checkpoint(path):
            weights, alphabet, relu_clip = restore_deepspeech(path)
            return cls(acoustic_weights=weights, alphabet=alphabet, relu_clip=relu_clip, **kwargs)
        model, sttx_alphabet, clip = _restore_sttx(Path(path))
        return cls(model=model, alphabet=sttx_alphabet, relu_clip=clip, **kwargs)


def _restore_sttx(path: Path) -> tuple[Any, Alphabet, float | None]:
    """sttx's own checkpoints through the checkpoint module (owned by the training engine)."""
    try:
        from sttx.core.training import checkpoints
    except ImportError:
        raise ExportSourceError(f"cannot read checkpoint dir {path}: sttx.core.training is not available") from None
    restored = checkpoints.restore_for_inference(path)
    return restored.model, restored.alphabet, getattr(restored, "relu_clip", None)
