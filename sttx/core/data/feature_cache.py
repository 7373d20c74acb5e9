"""The --feature_cache files: tf.data cache of MFCC, rebuilt every --cache_for_epochs or when its inputs change."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def fingerprint(ids: Sequence[str], labels: Sequence[np.ndarray | None], extra: Sequence[Any]) -> str:
    """A digest of what cached features depend on, so a cache made from other data or settings is not reused."""
    digest = hashlib.sha256()
    for sample_id, label in zip(ids, labels, strict=True):
        digest.update(sample_id.encode("utf-8") + b"\0")
        digest.update(np.asarray(label if label is not None else (), dtype=np.int32).tobytes() + b"\1")
    digest.update(json.dumps([str(item) for item in extra]).encode("utf-8"))
    return digest.hexdigest()


class FeatureCache:
    """TensorFlow's ``<path>.index`` / ``<path>.data-*`` cache files plus a ``<path>.sttx.json`` note of the
    generation (``epoch // cache_for_epochs``) and fingerprint they were made for.

    :param path: --feature_cache
    :param cache_for_epochs: rebuild at every epoch that is a multiple of it (0: keep while inputs match)
    """

    def __init__(self, path: str | Path, cache_for_epochs: int = 0) -> None:
        self.path = Path(path)
        self.cache_for_epochs = max(0, int(cache_for_epochs))
        if self.cache_for_epochs == 1:
            log.warning("--cache_for_epochs 1 rebuilds the feature cache every epoch: it is written but never read")

    @property
    def note(self) -> Path:
        return self.path.with_name(self.path.name + ".sttx.json")

    def files(self) -> list[Path]:
        """The cache files TensorFlow wrote (index, data shards, lock files)."""
        return sorted(self.path.parent.glob(self.path.name + ".*")) + sorted(
            self.path.parent.glob(self.path.name + "_*.lockfile")
        )

    def is_complete(self) -> bool:
        """True when TensorFlow finished writing the cache (its index file exists)."""
        return self.path.with_name(self.path.name + ".index").exists()

    def prepare(self, epoch: int, digest: str) -> str:
        """The filename for ``tf.data.Dataset.cache`` in ``epoch``; deletes a cache of another generation or input."""
        generation = epoch // self.cache_for_epochs if self.cache_for_epochs else 0
        wanted = {"generation": generation, "fingerprint": digest}
        try:
            current = json.loads(self.note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current != wanted:
            for stale in self.files():
                if stale != self.note:
                    stale.unlink(missing_ok=True)
            if current is not None:
                log.info("rebuilding the feature cache %s (generation %d)", self.path, generation)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.note.write_text(json.dumps(wanted), encoding="utf-8")
        return str(self.path)
