"""The training input under a strategy: every replica its share of each planned global batch (or, read by file,
every worker its own shard files), and resume positions.

The pipeline plans *global* batches (per-replica batch x replicas, length-bucketed over the whole set) and each
replica takes a contiguous slice of every one (``EpochDatasets.for_epoch(share=...)``). With several workers each
worker builds only its own replicas' slices, so no sample is decoded twice, and the union of one step's slices is
exactly the batch a single device would train on with the same global batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sttx.core.training.train_step import STEP_KEYS


def epoch_batches(pipeline: Any, strategy: Any, epoch: int, skip: int) -> Any:
    """An iterator over ``epoch``'s batches from batch ``skip`` on: plain batches with one replica, else
    per-replica values (``strategy.experimental_local_results`` opens them)."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    by_file = getattr(pipeline, "by_file", False)
    if replicas == 1:
        return iter(pipeline.for_worker(epoch, skip) if by_file else pipeline.for_epoch(epoch, skip_batches=skip))

    def per_worker(context: Any) -> Any:
        if by_file:  # this worker's own shard files, its replicas taking consecutive batches
            if context.num_input_pipelines != pipeline.workers:
                from sttx.core.contract.errors import UsageError

                raise UsageError(f"--shard_input file: the input was dealt to {pipeline.workers} workers, the strategy "
                                 f"has {context.num_input_pipelines} input pipelines")
            return pipeline.for_worker(epoch, skip, context.input_pipeline_id)
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local
        shares = [pipeline.for_epoch(epoch, skip_batches=skip, share=(first + i, replicas)) for i in range(local)]
        if local == 1:
            return shares[0]
        # the local replicas take consecutive elements: replica 0's share of batch b, replica 1's, ...
        return tf.data.Dataset.choose_from_datasets(shares, tf.data.Dataset.range(local).repeat(),
                                                    stop_on_empty_dataset=True)

    quiet_device_datasets()
    # sample ids are strings, which cannot be copied to a GPU: the inputs stay on the host until the step
    options = tf.distribute.InputOptions(experimental_fetch_to_device=False)
    return iter(strategy.distribute_datasets_from_function(per_worker, options))


def quiet_device_datasets() -> bool:
    """Build the per-device datasets of tf.distribute's iterator with tf.data's autotuning off, as sttx's own
    pipeline is (``batching.prefetched``); returns whether they are.

    tf.distribute wraps every worker's input in a ``MultiDeviceIterator`` whose per-device datasets carry default
    options, so each runs an autotuning thread whose sleep doubles up to a minute, and deleting the iterator at an
    epoch's end waits for it: about 10 s after a 10 s epoch on one worker, while the others wait for it in their
    next all-reduce (the 2-worker figures of bench/scale.py swung from 0.41x to 0.89x with it). TensorFlow offers
    no option for those datasets, so this wraps the private function that builds them; when a TensorFlow version
    no longer has it, nothing changes but the stall.
    """
    import tensorflow as tf

    try:
        from tensorflow.python.data.ops import multi_device_iterator_ops as built
    except ImportError:  # pragma: no cover - a TensorFlow without the module
        return False
    create = getattr(built, "_create_device_dataset", None)
    if create is None:
        return False
    if getattr(create, "sttx_quiet", False):
        return True

    def quiet(*args: Any, **kwargs: Any) -> Any:
        options = tf.data.Options()
        options.autotune.enabled = False
        return create(*args, **kwargs).with_options(options)

    quiet.sttx_quiet = True  # type: ignore[attr-defined]
    built._create_device_dataset = quiet
    return True


def step_spec(batches: Any) -> dict[str, Any] | None:
    """The training step's input signature for a distributed iterator (None: the single-replica default)."""
    spec = getattr(batches, "element_spec", None)
    if spec is None or not isinstance(spec, dict):
        return None
    return {key: spec[key] for key in STEP_KEYS}


def step_inputs(batch: dict[str, Any]) -> dict[str, Any]:
    """The part of a batch the step takes."""
    return {key: batch[key] for key in STEP_KEYS}


def local_ids_and_losses(strategy: Any, batch: dict[str, Any], per_sample: Any) -> tuple[list[str], np.ndarray]:
    """This worker's sample ids and their losses, replica after replica (to name the files of a NaN loss)."""
    ids = [value.numpy() for value in strategy.experimental_local_results(batch["ids"])]
    losses = [value.numpy() for value in strategy.experimental_local_results(per_sample)]
    names = [item.decode("utf-8", "replace") for part in ids for item in part]
    return names, np.concatenate(losses) if losses else np.zeros(0)


def reposition(sizes: np.ndarray, samples_done: int) -> tuple[int, int]:
    """Where to continue an epoch planned with other batch sizes: ``(batches to skip, samples they hold)``,
    the last batch boundary at or before ``samples_done``."""
    ends = np.cumsum(sizes)
    skip = int(np.searchsorted(ends, samples_done, side="right"))
    return skip, int(ends[skip - 1]) if skip else 0


def continue_epoch(state: Any, pipeline: Any, replicas: int, per_replica: int) -> str:
    """Move ``state`` (a LoopState) saved at another global batch to this run's batches: the epoch continues from
    the same sample position (rounded down to a batch boundary). Returns the line that says so ("" if unchanged)."""
    global_batch = replicas * per_replica
    if not state.global_batch or state.global_batch == global_batch:
        return ""
    sizes = pipeline.plan(state.epoch).sizes
    skip, samples = reposition(sizes, state.samples_in_epoch)
    note = (f"The checkpoint was trained with a global batch of {state.global_batch}, this run's is {global_batch} "
            f"({replicas} replica{'s' if replicas > 1 else ''} x {per_replica}): continuing epoch {state.epoch + 1} "
            f"from sample {samples} of {int(sizes.sum())} (batch {skip} of {len(sizes)}, was step "
            f"{state.step_in_epoch}); the batches differ from an uninterrupted run's from here on")
    state.step_in_epoch, state.samples_in_epoch, state.global_batch = skip, samples, global_batch
    return note


def resume_position(state: Any, data: Any, replicas: int, per_replica: int) -> str:
    """Where a resumed run continues its epoch (``data`` a RunData): a by-file stream saved with another layout
    starts its epoch over, planned batches saved at another global batch continue from the same sample."""
    return (restart_by_file(state, data.layout, replicas * per_replica) or
            continue_epoch(state, data.train, replicas, per_replica))


def restart_by_file(state: Any, layout: str, global_batch: int) -> str:
    """A checkpoint saved mid-epoch with another by-file stream (another worker count or global batch, or a switch
    between --shard_input file and sample): the epoch starts over from its first step, as a stream read by file
    cannot be positioned in another stream. Returns the line that says so ("" when the epoch just continues)."""
    saved = state.input_layout or "sample"
    if not state.step_in_epoch or "file" not in saved + layout:
        return ""
    if saved == layout and state.global_batch in (0, global_batch):
        return ""
    note = (f"The checkpoint stopped at step {state.step_in_epoch} of epoch {state.epoch + 1} reading "
            f"{_layout_text(saved)} at a global batch of {state.global_batch}; this run reads {_layout_text(layout)} "
            f"at {global_batch}: epoch {state.epoch + 1} starts over from its first step")
    state.step_in_epoch, state.samples_in_epoch, state.epoch_loss_sum, state.epoch_steps = 0, 0, 0.0, 0
    state.global_batch, state.input_layout = global_batch, layout
    return note


def _layout_text(layout: str) -> str:
    """``file/2`` -> ``shard files on 2 workers``."""
    if layout.startswith("file/"):
        workers = int(layout.split("/", 1)[1])
        return f"shard files on {workers} worker{'s' if workers > 1 else ''}"
    return "planned batches (--shard_input sample)"


def run_steps(pipeline: Any, epochs: int, batches: int) -> int:
    """Training steps of the whole run (by file, the step count changes a little from epoch to epoch)."""
    return pipeline.run_batches(epochs) if getattr(pipeline, "by_file", False) else epochs * batches


def read_failure(pipeline: Any, error: Exception) -> Exception:
    """The one-line error of a failed read of the training input (a corrupt shard: its file)."""
    explain = getattr(pipeline, "read_error", None)
    if explain is not None:
        return explain(error)
    from sttx.core.contract.errors import DataError

    return DataError(f"reading the training input failed: {str(error).strip().splitlines()[0][:200]}")
