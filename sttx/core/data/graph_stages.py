"""The per-sample steps of the input pipeline as one TensorFlow graph: augment by domain around the front end.

What tf.data service workers run (sttx.core.data.service): the sample and signal chains on the decoded waveform,
the model's spectrogram, the spectrogram chain, the model's features, the features chain, each augmentation drawn
in graph from a stateless seed of (seed, epoch, sample index, position in --augment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from sttx.core.contract.augmentation import Augmentation
from sttx.core.contract.errors import UsageError
from sttx.core.contract.frontend import FrontEnd
from sttx.core.contract.graph_augmentation import GraphContext, apply_graph_chain, without_graph
from sttx.core.data.features import features_from_spectrogram, front_end_spectrogram

Chain = list[tuple[int, Augmentation]]


def check_graph_capable(augmentations: Sequence[Augmentation], flag: str = "--data_service") -> None:
    """Raise a one-line UsageError naming the augmentations that cannot run in a graph."""
    names = without_graph(augmentations)
    if not names:
        return
    if len(names) == 1:
        raise UsageError(f"{flag}: {names[0]} has no graph implementation (it runs in Python); run it without "
                         f"{flag}")
    raise UsageError(f"{flag}: {', '.join(names)} have no graph implementation (they run in Python); run them "
                     f"without {flag}")


@attrs.frozen
class GraphStages:
    """Waveform -> the model's features, augmented, for one epoch of a run seeded ``seed``."""

    chains: dict[str, Chain]
    front_end: FrontEnd
    sample_rate: int
    seed: int
    epoch: int

    def features(self, wave: Any, index: Any, clock: Any, label_length: Any, min_frames: Any = 0) -> Any:
        """float32 waveform [N] of sample ``index`` (with its copy offset) at ``clock`` -> features [T, F]."""
        context = GraphContext(sample_rate=self.sample_rate, clock=clock, label_length=label_length,
                               frame_ms=self.front_end.hop_ms, min_frames=min_frames)
        wave = self._chain(self.chains["sample"] + self.chains["signal"], wave, index, context)
        spec = self._chain(self.chains["spectrogram"], front_end_spectrogram(wave, self.front_end, self.sample_rate),
                           index, context)
        feats = features_from_spectrogram(spec, self.front_end, self.sample_rate)
        return self._chain(self.chains["features"], feats, index, context)

    def _chain(self, chain: Chain, data: Any, index: Any, context: GraphContext) -> Any:
        if not chain:
            return data
        return apply_graph_chain(chain, data, seed=self.seed, epoch=self.epoch, index=index, context=context)
