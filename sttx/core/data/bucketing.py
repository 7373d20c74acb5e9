"""Length-bucketed batch plans: sort by length, cut into batches, shuffle whole batches with a seed per epoch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

#: Salts the per-epoch batch-order generator so it never coincides with an augmentation generator.
_ORDER_SALT = 0x0BA7C4


@attrs.frozen(eq=False)
class Plan:
    """One epoch's elements in the order they flow: ``index`` into the refs, ``copy`` (0..N-1 for
    --augmentations_per_epoch N), ``batch`` number, ``position`` in the whole epoch (for the clock, kept when
    batches are skipped), and ``sizes`` of each batch (``batch_size`` except the last batch of each copy)."""

    index: np.ndarray
    copy: np.ndarray
    batch: np.ndarray
    position: np.ndarray
    sizes: np.ndarray
    #: Elements in the whole epoch (the clock's denominator), however many batches were skipped.
    count: int = 0

    def __len__(self) -> int:
        return len(self.index)

    def skip(self, batches: int) -> Plan:
        """The plan without its first ``batches`` batches (renumbered), for an exact mid-epoch resume."""
        start = int(self.sizes[:batches].sum())
        return Plan(
            self.index[start:],
            self.copy[start:],
            self.batch[start:] - batches,
            self.position[start:],
            self.sizes[batches:],
            self.count,
        )

    def share(self, part: int, parts: int) -> Plan:
        """Replica ``part`` of ``parts``: a contiguous slice of every batch (the first slices one row longer when
        a batch does not divide evenly; some may be empty). The slices of all parts together are the plan."""
        if parts == 1:
            return self
        starts = np.cumsum(self.sizes) - self.sizes
        lows = starts + (self.sizes * part) // parts
        highs = starts + (self.sizes * (part + 1)) // parts
        rows = np.concatenate([np.arange(lo, hi) for lo, hi in zip(lows, highs, strict=True)] or
                              [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        sizes = (highs - lows).astype(np.int64)
        return Plan(self.index[rows], self.copy[rows], np.repeat(np.arange(len(sizes)), sizes).astype(np.int64),
                    self.position[rows], sizes, self.count)

    def filled(self) -> dict[str, np.ndarray]:
        """The elements with filler rows (``index`` -1) closing every short batch, so that a plain
        ``padded_batch(max(sizes))`` cuts exactly the planned batches; the pipeline drops the fillers."""
        width = max(1, int(self.sizes.max())) if len(self.sizes) else 1
        rows = np.arange(len(self.index)) - np.repeat(np.cumsum(self.sizes) - self.sizes, self.sizes)
        slots = self.batch * width + rows
        out = {name: np.full(len(self.sizes) * width, -1 if name == "index" else 0, dtype=np.int64)
               for name in ("index", "copy", "position")}
        for name, values in (("index", self.index), ("copy", self.copy), ("position", self.position)):
            out[name][slots] = values
        return out


def length_keys(refs: Sequence[Any]) -> np.ndarray:
    """A sort key per ref proportional to its length: durations when all refs know theirs, else file sizes
    (DeepSpeech's wav_filesize), else transcript lengths as a last resort."""
    durations = [getattr(ref, "duration", None) for ref in refs]
    if all(d is not None and d > 0 for d in durations):
        return np.asarray(durations, dtype=np.float64)
    sizes = [getattr(ref, "size", 0) or 0 for ref in refs]
    if all(s > 0 for s in sizes):
        return np.asarray(sizes, dtype=np.float64)
    return np.asarray([len(getattr(ref, "transcript", "") or "") for ref in refs], dtype=np.float64)


def sorted_indices(candidates: np.ndarray, keys: np.ndarray, *, reverse: bool = False, limit: int = 0) -> np.ndarray:
    """``candidates`` sorted by ``keys`` (ascending, stable; descending with ``reverse``), cut to ``limit``."""
    order = np.argsort(keys[candidates], kind="stable")
    if reverse:
        order = order[::-1]
    chosen = candidates[order]
    return chosen[:limit] if limit > 0 else chosen


def plan_epoch(
    ordered: np.ndarray, batch_size: int, *, copies: int = 1, shuffle: bool = False, seed: int = 0, epoch: int = 0
) -> Plan:
    """Cut ``ordered`` (already sorted) into batches, once per copy, and shuffle the batches when asked.

    Batch composition depends only on the order and ``batch_size``; with ``shuffle`` the batch order is a
    permutation drawn from (seed, epoch), so any epoch's plan is reproducible without running the previous ones.
    """
    batches = [
        (ordered[start : start + batch_size], copy)
        for copy in range(copies)
        for start in range(0, len(ordered), batch_size)
    ]
    if shuffle and batches:
        rng = np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, _ORDER_SALT]))
        batches = [batches[i] for i in rng.permutation(len(batches))]
    sizes = np.asarray([len(members) for members, _ in batches], dtype=np.int64)
    if not batches:
        empty = np.zeros(0, dtype=np.int64)
        return Plan(empty, empty, empty, empty, empty, 0)
    index = np.concatenate([members for members, _ in batches]).astype(np.int64)
    copy = np.repeat([c for _, c in batches], sizes).astype(np.int64)
    batch = np.repeat(np.arange(len(batches)), sizes).astype(np.int64)
    return Plan(index, copy, batch, np.arange(len(index), dtype=np.int64), sizes, len(index))


def padding_ratio(batch_lengths: Iterable[Sequence[int]]) -> float:
    """Share of padded frames over all batches: ``1 - sum(lengths) / sum(batch size * longest)``."""
    real = padded = 0
    for lengths in batch_lengths:
        real += int(np.sum(lengths))
        padded += len(lengths) * int(np.max(lengths)) if len(lengths) else 0
    return 1.0 - real / padded if padded else 0.0
