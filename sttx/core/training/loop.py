"""The training loop: epochs of compiled steps, dev evaluation, best-dev tracking, plateau and early stop, resume.

Unlike DeepSpeech, everything the loop depends on is in the checkpoint (epoch, position inside it, best dev loss,
early-stop and plateau counters, learning rate, optimizer state) and a restart continues from the *latest*
checkpoint, so N steps in one run and k + (N-k) steps across a restart give the same weights. Batches depend
only on (seed, epoch) and dropout only on (seed, global step), which is the whole of the run's randomness.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import SttxError
from sttx.core.training import checkpoints, run_setup
from sttx.core.training.distributed_input import resume_position, run_steps
from sttx.core.training.lr_schedule import LearningRateSchedule
from sttx.core.training.progress import Bar, Echo, EpochMeter, Summaries, default_echo, epoch_line
from sttx.core.training.run_setup import (
    RunData,
    build_model_and_optimizer,
    describe_run,
    load_data,
    measure_features,
    resolve_alphabet,
)
from sttx.core.training.run_state import LoopState, TrainResult
from sttx.core.training.stopping import StopRequest

log = logging.getLogger(__name__)


class NonFiniteLossError(SttxError):
    """A batch gave a NaN or Inf loss; the message names its files and the checkpoint kept."""


class Trainer:
    """One training process: builds everything from the config, restores, runs the epochs, checkpoints."""

    def __init__(self, config: Any, registries: Any, echo: Echo, stop: StopRequest) -> None:
        from sttx.core.training import devices, distribution
        from sttx.core.training.precision import choose_policy

        devices.prepare(config)
        # first: MultiWorkerMirroredStrategy must be created before any other TensorFlow op
        self.strategy = distribution.make_strategy(config.strategy, cpu_devices=config.cpu_devices,
                                                   collective_timeout=config.collective_timeout)
        self.role = distribution.role_of(self.strategy)
        self.replicas = int(self.strategy.num_replicas_in_sync)
        self.config = attrs.evolve(config, dtype_policy=choose_policy(config.automatic_mixed_precision))
        self.registries, self.echo, self.stop = registries, echo, stop
        self.decoding = test_decoding(self.config, registries)  # an unknown --decoder fails before training
        self.architecture = registries.models.get(self.config.model)
        self.alphabet = resolve_alphabet(self.config)
        self.data: RunData = load_data(self.config, registries, self.alphabet, replicas=self.replicas,
                                       chief=self.role.chief, workers=self.role.workers)
        self.model, self.optimizer, _ = build_model_and_optimizer(self.config, registries, self.alphabet,
                                                                  self.strategy)
        self.variables = checkpoints.tracked_variables(self.model, self.optimizer)
        self.state = LoopState(random_seed=self.config.random_seed)
        # every worker saves (checkpoints keep their decisions in step) but only the chief into --checkpoint_dir
        self.scratch = None if self.role.chief else tempfile.mkdtemp(prefix=f"sttx-worker{self.role.index}-")
        self.save_dir = Path(self.scratch or self.config.save_dir) if self.config.save_dir else None
        self.summaries = Summaries(self.config.summaries if self.data.train and self.role.chief else "")
        self.last_checkpoint: Path | None = None
        self.last_save = time.monotonic()
        self._step: Any = None
        self._eval_step: Any = None
        steps = run_steps(self.data.train, self.config.epochs, self.data.train_batches)
        self.schedule = LearningRateSchedule(self.config.lr_schedule, steps, self.config.warmup_steps,
                                             self.config.lr_final_ratio, self.config.lr_hold_ratio)

    # -- checkpoints -------------------------------------------------------------------------------------------
    def model_config(self) -> dict[str, Any]:
        """The geometry recorded in every checkpoint (what restore_for_inference rebuilds)."""
        c = self.config
        recorded = {"model": c.model, "n_hidden": c.n_hidden, "relu_clip": c.relu_clip, "layer_norm": c.layer_norm,
                    "feature_norm": c.feature_norm, "n_classes": self.alphabet.n_classes,
                    "bytes_output_mode": c.bytes_output_mode}
        recorded.update({name: getattr(c, name) for name in self.architecture.settings})
        return recorded

    def save(self, kind: str = checkpoints.TRAIN) -> Path:
        """Checkpoint the weights, optimizer and loop state into the save dir."""
        if self.save_dir is None:
            raise checkpoints.CheckpointError("no --checkpoint_dir to save into")
        state = {"loop": attrs.asdict(self.state), "model": self.model_config(),
                 "learning_rate": self.learning_rate}
        path = checkpoints.save(self.save_dir, kind, self.state.global_step, self.variables, state,
                                self.config.max_to_keep)
        self.last_save = time.monotonic()
        if kind == checkpoints.TRAIN:
            self.last_checkpoint = path
        return path

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate."""
        return float(self.optimizer.learning_rate.numpy())

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.optimizer.learning_rate = value

    def restore(self) -> None:
        """Resume from the save dir's latest checkpoint, or start from --load_checkpoint_dir (sttx or DeepSpeech)."""
        from sttx.core.training import warm_start

        c = self.config
        loaded = warm_start.initialise(c, self.model, self.variables, self.alphabet,
                                       run_setup.model_layers(c, self.registries))
        if loaded is None:
            if not c.train_files:
                raise checkpoints.CheckpointError(
                    f"nothing to test: no checkpoint in {c.load_dir or '(no --checkpoint_dir given)'}")
            measure_features(self.config, self.model, self.data.train)
            self.state.base_learning_rate = c.learning_rate
            return
        path = loaded.source.path
        if loaded.resumed:
            self.state = LoopState.from_json(loaded.state)
            self.last_checkpoint = path if path.name.startswith(checkpoints.TRAIN) else None
        if not loaded.resumed or c.force_initialize_learning_rate:
            self.learning_rate = c.learning_rate
            self.state.base_learning_rate = c.learning_rate
        elif self.state.base_learning_rate is None:  # a checkpoint of a constant-rate run from before schedules
            self.state.base_learning_rate = self.learning_rate
        moved = resume_position(self.state, self.data, self.replicas, self.config.train_batch_size) if (
            loaded.resumed and self.data.train is not None) else ""
        where = (f"epoch {self.state.epoch + 1}, step {self.state.step_in_epoch}" if loaded.resumed else "a new run")
        self.echo(f"Loaded {path} (global step {self.state.global_step}); continuing at {where}")
        for note in (moved, *loaded.notes) if moved else loaded.notes:
            self.echo(note)

    # -- steps -------------------------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        """Train for the remaining epochs (when there are train files), then test; returns the result."""
        try:
            return self._run()
        finally:
            if self.scratch:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def _run(self) -> TrainResult:
        from sttx.core.training.distribution import describe

        started = time.monotonic()
        self.restore()
        self.echo(describe_run(self.config, self.model, self.data, self.strategy))
        self.echo(describe(self.strategy, self.role, self.config.train_batch_size))
        self.data.rejects.check(self.config.max_rejected, self.config.data_files)
        dev = None
        stopped_early = False
        if self.data.train is not None:
            self.write_run_files()
            with self.stop:
                dev, stopped_early = self.epochs()
        test = None if self.stop else self.test()
        self.summaries.close()
        return TrainResult(
            checkpoint_dir=self.config.save_dir, global_step=self.state.global_step,
            epochs_completed=self.state.epoch, train_loss=self._last_train_loss, best_dev_loss=self.state.best_dev_loss,
            dev=dev, test=test, interrupted=self.stop.name, stopped_early=stopped_early,
            nan_skipped=self.state.nan_skipped, checkpoint=self.last_checkpoint, seconds=time.monotonic() - started,
            model=self.model, alphabet=self.alphabet, relu_clip=self.config.relu_clip, chief=self.role.chief,
        )

    _last_train_loss: float | None = None

    def write_run_files(self) -> None:
        """flags.txt (rewritten at every start, as DeepSpeech) and alphabet.txt beside the checkpoints."""
        if self.save_dir is None:
            raise checkpoints.CheckpointError("training needs --checkpoint_dir (or --save_checkpoint_dir)")
        self.save_dir.mkdir(parents=True, exist_ok=True)
        checkpoints.write_text_atomic(self.save_dir / "flags.txt", self.config.to_flags_text())
        checkpoints.write_text_atomic(self.save_dir / "alphabet.txt", self.alphabet.to_text())

    def epochs(self) -> tuple[Any, bool]:
        """Run epochs from the restored position; returns the last dev evaluation and whether it stopped early."""
        self.state.global_batch = self.config.train_batch_size * self.replicas
        self.state.input_layout = self.data.layout
        dev = None
        if self.state.epoch > 0 and self.state.epoch >= self.config.epochs:
            # DeepSpeech trained --epochs more on every restart; exact resume needs it to count the whole run
            self.echo(f"Nothing to train: {self.save_dir} already holds {self.state.epoch} epochs and --epochs is "
                      f"{self.config.epochs} (it counts the whole run, restarts included: raise it to train on)")
        while self.state.epoch < self.config.epochs:
            if self.stop:  # a signal during the dev evaluation: the epoch-end checkpoint is already written
                return dev, False
            epoch = self.state.epoch
            meter = self.train_epoch(epoch)
            if meter is None:
                return dev, False
            self.data.rejects.check(self.config.max_rejected, self.config.data_files)
            dev = self.evaluate_dev()
            self.echo(epoch_line(epoch + 1, meter, self.learning_rate, dev))
            self.record_epoch(meter, dev)
            stop = self.after_epoch(dev)
            self.save()
            if stop:
                self.echo(f"Early stop triggered as the dev loss did not improve the last {self.config.es_epochs} "
                          "epochs")
                return dev, True
        return dev, False

    def train_epoch(self, epoch: int) -> EpochMeter | None:
        """One epoch from ``state.step_in_epoch``; None when a stop was requested (a checkpoint is saved)."""
        import tensorflow as tf

        from sttx.core.training import distributed_input as inputs

        s = self.state
        meter = EpochMeter(loss_sum=s.epoch_loss_sum, steps=s.epoch_steps)
        sizes = self.data.train.plan(epoch).sizes
        bar = Bar(epoch + 1, len(sizes), s.step_in_epoch, self.config.show_progressbar)
        batches = inputs.epoch_batches(self.data.train, self.strategy, epoch, s.step_in_epoch)
        if self._step is None:
            from sttx.core.training.train_step import make_train_step

            self._step = make_train_step(self.model, self.optimizer, self.strategy, self.config.random_seed,
                                         inputs.step_spec(batches))
        try:
            while True:
                before = time.perf_counter()
                try:
                    batch = next(batches, None)
                except tf.errors.DataLossError as error:  # a corrupt shard record
                    raise inputs.read_failure(self.data.train, error) from None
                fetched = time.perf_counter()
                if batch is None:
                    break
                if self.schedule.varies:
                    self.learning_rate = self.scheduled_rate()
                loss, per_sample, finite, samples = self._step(inputs.step_inputs(batch),
                                                               tf.constant(s.global_step, tf.int64))
                loss, samples = float(loss), int(samples)
                if bool(finite):
                    meter.add(loss, samples, fetched - before, time.perf_counter() - fetched)
                    s.epoch_loss_sum, s.epoch_steps = meter.loss_sum, meter.steps
                    self.summaries.scalars("train", s.global_step, {"loss": loss})
                elif samples:  # an empty global batch (all rejected, with several replicas) is no error
                    self.non_finite(*inputs.local_ids_and_losses(self.strategy, batch, per_sample))
                s.samples_in_epoch += int(sizes[s.step_in_epoch]) if s.step_in_epoch < len(sizes) else 0
                s.global_step += 1
                s.step_in_epoch += 1
                bar.update(s.global_step, meter.loss_sum / max(1, meter.steps), meter.rate)
                stopping = self.stop.after_step(s.global_step)
                if stopping or self.checkpoint_due():
                    self.save()
                if stopping:
                    return None
        finally:
            bar.close()
        self._last_train_loss = meter.loss_sum / meter.steps if meter.steps else None
        return meter

    def scheduled_rate(self) -> float:
        """The learning rate of the next step: the base rate times the schedule's factor at that step."""
        base = self.config.learning_rate if self.state.base_learning_rate is None else self.state.base_learning_rate
        return base * self.schedule.factor(self.state.global_step)

    def checkpoint_due(self) -> bool:
        """True every --checkpoint_secs seconds (0 disables timed checkpoints; epoch ends always save)."""
        secs = self.config.checkpoint_secs
        return bool(secs) and time.monotonic() - self.last_save >= secs

    def non_finite(self, sample_ids: list[str], losses: Any) -> None:
        """Name the batch's files (this worker's share); stop (keeping the last good checkpoint) unless --skip_nan."""
        import numpy as np

        ids = [i for i, bad in zip(sample_ids, ~np.isfinite(losses), strict=True) if bad]
        files = ", ".join(ids) or "(all of the batch)"
        if self.config.skip_nan:
            self.state.nan_skipped += 1
            log.warning("Skipped batch at step %d: the following files caused an infinite (or NaN) loss: %s",
                        self.state.global_step, files)
            return
        kept = self.last_checkpoint or "none yet"
        raise NonFiniteLossError(
            f"the following files caused an infinite (or NaN) loss at global step {self.state.global_step}: "
            f"{files}; stopped without saving, the last good checkpoint is {kept} (--skip_nan skips such batches)")

    # -- after each epoch --------------------------------------------------------------------------------------
    def evaluate_dev(self) -> Any:
        """Dev loss, WER and CER over every dev file (dropout off); None without dev files."""
        if not self.data.dev:
            return None
        return self.evaluate_sets(self.data.dev, progress=self.config.show_progressbar)

    def evaluate_sets(self, sets: dict[str, Any], *, progress: bool, decoding: Any = None) -> Any:
        """Evaluate the model on pipelines by file, reusing one compiled step (``decoding`` None: greedy)."""
        from sttx.core.evaluation import evaluator as evaluation
        from sttx.core.evaluation.decoders import describe

        if self._eval_step is None:
            self._eval_step = evaluation.make_eval_step(self.model)
        decoder = decoding.create(self.alphabet) if decoding is not None else None
        parallel = decoding is not None and decoding.factory.parallel
        files = [evaluation.file_result(name, evaluation.evaluate_dataset(
                     self._eval_step, pipeline.for_epoch(0), self.alphabet, desc=Path(name).name,
                     progress=progress, decoder=decoder, parallel=parallel), bytes_mode=self.alphabet.is_bytes)
                 for name, pipeline in sets.items()]
        return evaluation.EvaluationResult(files=tuple(files), report_count=self.config.report_count,
                                           bytes_mode=self.alphabet.is_bytes,
                                           decoder=describe(decoder, decoding.name) if decoding else "")

    def record_epoch(self, meter: EpochMeter, dev: Any) -> None:
        """TensorBoard scalars of the epoch; the loop state moves to the next epoch's start."""
        step = self.state.global_step
        self.summaries.scalars("train", step, {
            "epoch_loss": meter.loss_sum / max(1, meter.steps), "learning_rate": self.learning_rate,
            "samples_per_second": meter.rate, "input_wait_share": meter.wait_share})
        if dev is not None:
            self.summaries.scalars("dev", step, {"loss": dev.loss, "wer": dev.wer, "cer": dev.cer})
        self.state.epoch += 1
        self.state.step_in_epoch = 0
        self.state.epoch_loss_sum, self.state.epoch_steps = 0.0, 0
        self.state.samples_in_epoch = 0

    def after_epoch(self, dev: Any) -> bool:
        """DeepSpeech's best-dev, early-stop and plateau rules (state kept in the checkpoint); True to stop."""
        if dev is None:
            return False
        c, s = self.config, self.state
        best = float("inf") if s.best_dev_loss is None else s.best_dev_loss
        s.epochs_without_improvement = s.epochs_without_improvement + 1 if dev.loss > best - c.es_min_delta else 0
        if dev.loss < best:
            s.best_dev_loss = dev.loss
            path = self.save(checkpoints.BEST)
            self.echo(f"Saved new best validating model with loss {dev.loss:f} to: {path}")
        if c.early_stop and s.epochs_without_improvement == c.es_epochs:
            return True
        ewi = s.epochs_without_improvement
        if c.reduce_lr_on_plateau and ewi > 0 and ewi % c.plateau_epochs == 0:
            self.reduce_on_plateau()
        return False

    def reduce_on_plateau(self) -> None:
        """Go back to the best dev weights with the learning rate times --plateau_reduction."""
        reduced = (self.state.base_learning_rate or self.learning_rate) * self.config.plateau_reduction
        best = checkpoints.latest(self.save_dir, checkpoints.BEST) if self.save_dir else None
        if best is not None:
            checkpoints.restore(best, self.variables)
        self.state.base_learning_rate = reduced
        self.learning_rate = self.scheduled_rate()
        self.echo(f"Encountered a plateau, reducing learning rate to {reduced:g}")
        if best is not None:
            self.save(checkpoints.BEST)

    def test(self) -> Any:
        """Evaluate the test files with the best dev weights (else the latest), print the report and JSON."""
        if not self.data.test:
            return None
        from sttx.core.evaluation import evaluator as evaluation

        best = checkpoints.latest(self.save_dir, checkpoints.BEST) if self.save_dir else None
        if best is not None and self.data.dev:
            checkpoints.restore(best, self.variables)
            self.echo(f"Testing with the best dev checkpoint {best}")
        result = self.evaluate_sets(self.data.test, progress=self.config.show_progressbar, decoding=self.decoding)
        self.echo(evaluation.format_report(result))
        if self.config.test_output_file:
            evaluation.write_test_output(result, self.config.test_output_file)
        return result


def test_decoding(config: Any, registries: Any) -> Any:
    """The decoder of --test_files (--decoder, else beam with --scorer_path, else greedy); None without tests."""
    if not config.test_files:
        return None
    from sttx.core.contract.decoding import settings_of
    from sttx.core.evaluation.decoders import choose_decoder

    return choose_decoder(registries.decoders, config.decoder or None, settings_of(config))


def train(config: Any, registries: Any, *, echo: Echo | None = None, stop: StopRequest | None = None) -> TrainResult:
    """Run ``sttx train`` as configured: resume or initialise, train, evaluate dev each epoch, test at the end.

    :param config: a :class:`sttx.core.training.config.TrainConfig`
    :param registries: the plugin registries (models, sample formats)
    :param echo: where the run's lines go (default: stdout, safe alongside progress bars)
    :param stop: set it to stop after the current step; as used here it also catches SIGINT and SIGTERM
    """
    from sttx.core.training.distribution import PeerFailureError, peer_failures, tf_config_role

    try:
        trainer = Trainer(config, registries, echo or default_echo, stop if stop is not None else StopRequest())
        return trainer.run()
    except peer_failures() as error:
        if tf_config_role().workers < 2:
            raise
        raise PeerFailureError.from_tf(error) from None
