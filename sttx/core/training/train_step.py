"""The compiled training step: CTC loss, Adam (with loss scaling for float16), no update on a non-finite loss.

Written against ``tf.distribute``: the step runs per replica through ``strategy.run`` and its loss is reduced
across replicas, so adding a multi-device strategy changes nothing here. Dropout draws are a function of
(--random_seed, global step) only: the step re-seeds every dropout layer before the forward pass, which makes
a resumed run repeat exactly the draws the uninterrupted run would have made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: spreads the layers' seeds apart so no two dropout layers share a stream
_SEED_STRIDE = 1_000_003


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


def make_train_step(model: Any, optimizer: Any, strategy: Any, seed: int) -> Callable[..., Any]:
    """``step(batch, global_step) -> (mean loss, per-sample losses, finite)``, one tf.function for the whole step.

    On a NaN or Inf loss the weights and the optimizer are left untouched and ``finite`` is False.
    """
    import keras
    import tensorflow as tf

    from sttx.core.evaluation.evaluator import output_lengths

    states = seed_states(model)
    scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)

    def replica_step(features: Any, feature_lengths: Any, labels: Any, label_lengths: Any, step: Any) -> Any:
        for index, state in enumerate(states):
            state.assign(tf.stack([tf.constant(seed * 7 + index * _SEED_STRIDE, tf.int64), step]))
        with tf.GradientTape() as tape:
            logits = tf.cast(model(features, training=True), tf.float32)
            per_sample = ctc_loss(labels, label_lengths, logits, output_lengths(model, feature_lengths))
            loss = tf.nn.compute_average_loss(per_sample)
            objective = optimizer.scale_loss(loss) if scaled else loss
        grads = tape.gradient(objective, model.trainable_variables)
        finite = tf.reduce_all(tf.math.is_finite(per_sample))

        def apply() -> Any:
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return tf.constant(True)

        tf.cond(finite, apply, lambda: tf.constant(False))
        return loss, per_sample, finite

    signature = [
        tf.TensorSpec([None, None, int(model.inputs[0].shape[-1])], tf.float32), tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int64),
    ]

    @tf.function(input_signature=signature)
    def step(features: Any, feature_lengths: Any, labels: Any, label_lengths: Any, global_step: Any) -> Any:
        loss, per_sample, finite = strategy.run(
            replica_step, args=(features, feature_lengths, labels, label_lengths, global_step))
        total = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        bad = strategy.reduce(tf.distribute.ReduceOp.SUM, 1 - tf.cast(finite, tf.int32), axis=None)
        all_finite = tf.equal(bad, 0)
        return total, strategy.gather(per_sample, axis=0), all_finite

    return step
