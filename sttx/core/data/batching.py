"""Planned batches in tf.data: fixed-width padded batches of the filled plan, fillers and rejected rows dropped."""

from __future__ import annotations

from typing import Any


def _lengths(element: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf

    return {
        "features": element["features"],
        "feature_lengths": tf.shape(element["features"])[0],
        "labels": element["labels"],
        "label_lengths": tf.shape(element["labels"])[0],
        "ids": element["id"],
        "keep": element["keep"],
    }


def _finish(batch: dict[str, Any]) -> dict[str, Any]:
    """Drop filler and rejected rows and the padding only they needed: the pipeline's batch contract."""
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


def planned_batches(elements: Any, width: int, *, keep_empty: bool = False) -> Any:
    """Batch ``elements`` of a filled plan (every batch ``width`` rows, fillers with keep False).

    Batches left empty by rejects are dropped, unless ``keep_empty`` (a replica's share must step with the others).
    """
    import tensorflow as tf

    batches = elements.map(_lengths).padded_batch(width)
    finished = batches.map(_finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return finished if keep_empty else finished.filter(lambda batch: tf.size(batch["ids"]) > 0)


def prefetched(dataset: Any) -> Any:
    """``dataset`` prefetching in the background, ready to iterate; tf.data's autotuning thread is off.

    The autotuner's model thread sleeps for a period that doubles up to a minute, and deleting an iterator waits
    for that sleep to end while holding the GIL: an epoch's end could stall for up to a minute (measured: 35-42 s
    in 4 of 15 epochs of a 2000-clip run). Without autotuning, ``AUTOTUNE`` parallelism is the number of cores.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(options)
