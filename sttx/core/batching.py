"""Planned batches in tf.data: consecutive elements of one planned batch, padded, with rejected rows dropped."""

from __future__ import annotations

from typing import Any

import numpy as np


def _lengths(element: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf

    return {
        "features": element["features"],
        "feature_lengths": tf.shape(element["features"])[0],
        "labels": element["labels"],
        "label_lengths": tf.shape(element["labels"])[0],
        "ids": element["id"],
        "keep": element["keep"],
        "batch": element["batch"],
    }


def _finish(batch: dict[str, Any]) -> dict[str, Any]:
    """Drop rejected rows and the padding only they needed: the pipeline's batch contract."""
    import tensorflow as tf

    keep = batch["keep"]
    feature_lengths = tf.boolean_mask(batch["feature_lengths"], keep)
    label_lengths = tf.boolean_mask(batch["label_lengths"], keep)
    frames = tf.reduce_max(tf.concat([feature_lengths, [0]], 0))
    labels = tf.reduce_max(tf.concat([label_lengths, [0]], 0))
    return {
        "features": tf.boolean_mask(batch["features"], keep)[:, :frames],
        "feature_lengths": feature_lengths,
        "labels": tf.boolean_mask(batch["labels"], keep)[:, :labels],
        "label_lengths": label_lengths,
        "ids": tf.boolean_mask(batch["ids"], keep),
    }


def planned_batches(elements: Any, sizes: np.ndarray) -> Any:
    """Batch ``elements`` (carrying a ``batch`` number, in order) into batches of the planned ``sizes``."""
    import tensorflow as tf

    table = tf.constant(np.asarray(sizes if len(sizes) else [1], dtype=np.int64))
    widest = int(np.max(sizes)) if len(sizes) else 1
    grouped = elements.map(_lengths).group_by_window(
        key_func=lambda element: element["batch"],
        reduce_func=lambda _key, window: window.padded_batch(widest),
        window_size_func=lambda key: table[key],
    )
    finished = grouped.map(_finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return finished.filter(lambda batch: tf.size(batch["ids"]) > 0)
