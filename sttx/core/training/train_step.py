"""The compiled training step: CTC loss, Adam (with loss scaling for float16), no update on a non-finite loss.

Written against ``tf.distribute``: the step runs per replica through ``strategy.run``, each replica on its share
of the global batch, and the gradients are summed across replicas. Dropout draws are a function of
(--random_seed, replica, global step) only: the step re-seeds every dropout layer before the forward pass, which
makes a resumed run repeat exactly the draws the uninterrupted run would have made (replica 0 draws as a
single-device run does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: spreads the layers' seeds apart so no two dropout layers share a stream
_SEED_STRIDE = 1_000_003
#: and the replicas' seeds apart from the layers'
_REPLICA_STRIDE = 7_919_000_017


def ctc_loss(labels: Any, label_lengths: Any, logits: Any, logit_lengths: Any) -> Any:
    """Per-sample CTC loss of batch-major float32 logits; the blank is the last class (DeepSpeech's layout).

    Labels go in sparse, which selects TensorFlow's native CTC kernel on CPU.
    """
    import tensorflow as tf

    sparse = tf.RaggedTensor.from_tensor(labels, lengths=label_lengths).to_sparse()
    return tf.nn.ctc_loss(
        labels=tf.cast(sparse, tf.int32), logits=logits, label_length=None,
        logit_length=tf.minimum(logit_lengths, tf.shape(logits)[1]), logits_time_major=False, blank_index=-1,
    )


def make_optimizer(config: Any, policy: str) -> Any:
    """Adam with DeepSpeech's betas and epsilon; float16 runs wrap it in a dynamic loss-scale optimizer."""
    import keras

    from sttx.core.training.precision import needs_loss_scaling

    optimizer = keras.optimizers.Adam(
        learning_rate=config.learning_rate, beta_1=config.beta1, beta_2=config.beta2, epsilon=config.epsilon
    )
    return keras.optimizers.LossScaleOptimizer(optimizer) if needs_loss_scaling(policy) else optimizer


def seed_states(model: Any) -> list[Any]:
    """The dropout layers' random-seed state variables."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def intermediate_ctc(model: Any) -> tuple[Any, float]:
    """(forward, w): the model, or its ``intermediate_ctc`` (a Keras model of the same input whose outputs are the
    logits, then intermediate logits over the same frames) with ``intermediate_ctc_weight`` w, the share of the
    loss the intermediate outputs take together (Lee & Watanabe 2021). The reported loss stays the final CTC."""
    intermediate = getattr(model, "intermediate_ctc", None)
    share = float(getattr(model, "intermediate_ctc_weight", 0.0)) if intermediate is not None else 0.0
    return (intermediate, share) if share > 0 else (model, 0.0)


#: the batch keys a training step takes (``ids`` stay on the host, for naming the files of a NaN loss)
STEP_KEYS = ("features", "feature_lengths", "labels", "label_lengths")


def batch_signature(width: int = 26) -> dict[str, Any]:
    """The ``tf.TensorSpec`` of each ``STEP_KEYS`` entry of a single-replica batch of ``width`` features a frame."""
    import tensorflow as tf

    return {"features": tf.TensorSpec([None, None, width], tf.float32),
            "feature_lengths": tf.TensorSpec([None], tf.int32),
            "labels": tf.TensorSpec([None, None], tf.int32), "label_lengths": tf.TensorSpec([None], tf.int32)}


def _per_sample_loss(labels: Any, label_lengths: Any, logits: Any, feature_lengths: Any) -> Any:
    """CTC loss per sample; an empty share (a replica's slice of a short batch) has none (the kernel refuses it)."""
    import tensorflow as tf

    return tf.cond(tf.shape(label_lengths)[0] > 0, lambda: ctc_loss(labels, label_lengths, logits, feature_lengths),
                   lambda: tf.zeros([0], tf.float32))


def make_train_step(model: Any, optimizer: Any, strategy: Any, seed: int,
                    spec: dict[str, Any] | None = None) -> Callable[..., Any]:
    """``step(batch, global_step) -> (loss, per-sample losses, finite, samples)``, one tf.function for the whole step.

    ``batch`` holds ``STEP_KEYS`` (per-replica values under a multi-replica strategy, whose ``spec`` is the
    distributed dataset's element_spec). The loss of every replica is divided by the *global* batch size, so the
    summed gradients equal one device's over the whole global batch. ``per_sample`` comes back per replica. On a
    NaN or Inf loss in any replica (or an empty global batch) the weights and the optimizer are left untouched
    and ``finite`` is False; the decision is taken outside the replicas, as a synchronisation point (the gradient
    all-reduce) may not sit inside control flow there.
    """
    import keras
    import tensorflow as tf

    from sttx.core.evaluation.evaluator import output_lengths

    states = seed_states(model)
    scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    variables = model.trainable_variables  # with an intermediate head's (a tracked attribute of the model)
    forward, share = intermediate_ctc(model)
    several = strategy.num_replicas_in_sync > 1

    def replica_step(batch: dict[str, Any], step: Any) -> Any:
        context = tf.distribute.get_replica_context()
        replica = tf.cast(context.replica_id_in_sync_group, tf.int64) * _REPLICA_STRIDE
        for index, state in enumerate(states):
            state.assign(tf.stack([tf.constant(seed * 7 + index * _SEED_STRIDE, tf.int64) + replica, step]))
        samples = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.shape(batch["label_lengths"])[0])
        lengths = output_lengths(model, batch["feature_lengths"])
        with tf.GradientTape() as tape:
            outputs = forward(batch["features"], training=True)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            losses = [_per_sample_loss(batch["labels"], batch["label_lengths"], tf.cast(logits, tf.float32), lengths)
                      for logits in outputs]
            per_sample = losses[0]
            loss = tf.nn.compute_average_loss(per_sample, global_batch_size=samples)
            objective = loss
            if len(losses) > 1:  # (1 - w) x the final CTC + w x the mean of the intermediate ones
                extra = tf.add_n([tf.nn.compute_average_loss(x, global_batch_size=samples) for x in losses[1:]])
                objective = (1 - share) * loss + share / (len(losses) - 1) * extra
            objective = optimizer.scale_loss(objective) if scaled else objective
        grads = tape.gradient(objective, variables)
        grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables, strict=True)]
        bad = 1 - tf.cast(tf.reduce_all([tf.reduce_all(tf.math.is_finite(x)) for x in losses]), tf.int32)
        return loss, per_sample, bad, samples, grads

    def reduced(grads: Any) -> Any:
        if not several:
            return grads
        pairs = [(g, v.value if isinstance(v, keras.Variable) else v) for g, v in zip(grads, variables, strict=True)]
        return strategy.extended.batch_reduce_to(tf.distribute.ReduceOp.SUM, pairs)

    @tf.function(input_signature=[spec or batch_signature(int(model.inputs[0].shape[-1])), tf.TensorSpec([], tf.int64)])
    def step(batch: dict[str, Any], global_step: Any) -> Any:
        loss, per_sample, bad, samples, grads = strategy.run(replica_step, args=(batch, global_step))
        total = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        all_finite = tf.equal(strategy.reduce(tf.distribute.ReduceOp.SUM, bad, axis=None), 0)
        samples = strategy.experimental_local_results(samples)[0]  # the same on every replica
        summed = reduced(grads)

        def apply() -> Any:
            optimizer.apply_gradients(zip(summed, variables, strict=True))
            return tf.constant(True)

        tf.cond(tf.logical_and(all_finite, samples > 0), apply, lambda: tf.constant(False))
        return total, per_sample, all_finite, samples

    return step
