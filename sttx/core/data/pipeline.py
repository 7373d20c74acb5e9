"""The tf.data input pipeline: refs -> checks -> decode + augment -> MFCC -> length-bucketed batches, per epoch.

Batch contract (every element of ``EpochDatasets.for_epoch``): a dict with
``features`` float32 [B, T, F] (zero-padded features of the model's front end: DeepSpeech's 26 MFCC, *not*
windowed, as the model applies the context windows; or e.g. 80 log-mel),
``feature_lengths`` int32 [B], ``labels`` int32 [B, L] (zero-padded), ``label_lengths`` int32 [B] and
``ids`` string [B].
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from sttx.core.contract.augmentation import Augmentation
from sttx.core.contract.clock import check_mode
from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END, FrontEnd, min_feature_frames
from sttx.core.data import bucketing
from sttx.core.data.batching import planned_batches, prefetched
from sttx.core.data.feature_cache import FeatureCache, fingerprint
from sttx.core.data.features import features_from_spectrogram, front_end_spectrogram
from sttx.core.data.rejects import EMPTY_TRANSCRIPT, RejectLog, ctc_min_frames
from sttx.core.data.stages import Stages, split_chains

log = logging.getLogger(__name__)


def encode_all(refs: Sequence[Any], alphabet: Any, rejects: RejectLog) -> list[np.ndarray | None]:
    """Encode every transcript; empty or unencodable ones are recorded in ``rejects`` and give None."""
    labels: list[np.ndarray | None] = []
    for ref in refs:
        text = ref.transcript or ""
        if not text.strip():
            rejects.add(str(ref.id), EMPTY_TRANSCRIPT, "")
            labels.append(None)
        elif not alphabet.can_encode(text):
            rejects.add_unencodable(str(ref.id), set(alphabet.missing(text)), alphabet.source)
            labels.append(None)
        else:
            labels.append(np.asarray(alphabet.encode(text), dtype=np.int32))
    return labels


class EpochDatasets:
    """The input pipeline of one sample set; ``for_epoch(epoch)`` gives that epoch's ``tf.data.Dataset``.

    Build it with ``make_dataset``. Batches are cut from the samples sorted by length (DeepSpeech's
    wav_filesize order; descending with ``reverse``), one pass per --augmentations_per_epoch copy, and for
    training their order is shuffled with a generator seeded from (seed, epoch). Batch composition and order
    therefore depend only on (seed, epoch), and ``for_epoch(epoch, skip_batches=k)`` drops the first k batches
    *before* decoding, giving exactly the tail of the full epoch (clock positions included).

    With a feature cache, the cached stream is the unshuffled one (the cache must replay one fixed order), the
    batch order is shuffled with a ``shuffle_buffer`` of batches after it, and skipping happens after the cache.
    """

    def __init__(self, refs: Sequence[Any], alphabet: Any, settings: dict[str, Any]) -> None:
        self.refs = refs
        self.settings = settings
        self.train = bool(settings["train"])
        self.rejects: RejectLog = settings["rejects"] if settings["rejects"] is not None else RejectLog()
        self.rejects.total += len(refs)
        self.labels = encode_all(refs, alphabet, self.rejects)
        self.front_end: FrontEnd = settings["front_end"]
        reduction = int(settings["time_reduction"])
        self.min_frames = np.asarray([min_feature_frames(ctc_min_frames(lab.tolist()), reduction)
                                      if lab is not None else 0 for lab in self.labels])
        candidates = np.asarray([i for i, lab in enumerate(self.labels) if lab is not None], dtype=np.int64)
        keys = bucketing.length_keys(refs)
        self.ordered = bucketing.sorted_indices(candidates, keys, reverse=settings["reverse"], limit=settings["limit"])
        self.chains = split_chains(settings["augmentations"] if self.train else ())
        self.cache = self._make_cache()
        if self.train and settings["data_service"]:  # refuse before anything is built, not at the first epoch
            from sttx.core.data.graph_stages import check_graph_capable

            check_graph_capable(settings["augmentations"])
        self._run_token = uuid.uuid4().hex[:12]  # service job names are unique per run

    @property
    def copies(self) -> int:
        """Appearances of each sample per epoch (--augmentations_per_epoch; 1 outside training)."""
        return max(1, int(self.settings["augmentations_per_epoch"])) if self.train else 1

    def _make_cache(self) -> FeatureCache | None:
        path = self.settings["feature_cache"]
        if not (self.train and path):
            return None
        cache = FeatureCache(path, self.settings["cache_for_epochs"])
        frozen = [a.name for domain in ("sample", "signal", "spectrogram") for _, a in self.chains[domain]]
        if frozen:
            log.warning(
                "--feature_cache is set: %s (before the MFCC) will only apply while the cache is filled, and "
                "their draws then repeat until it is rebuilt (--cache_for_epochs %d); feature-domain "
                "augmentations still apply every epoch", ", ".join(frozen), self.settings["cache_for_epochs"]
            )
        return cache

    @property
    def shuffles(self) -> bool:
        """Whether batch order is shuffled each epoch (``shuffle_batches``, by default in training only)."""
        shuffle = self.settings["shuffle_batches"]
        return self.train if shuffle is None else bool(shuffle)

    def plan(self, epoch: int) -> bucketing.Plan:
        """The batches of ``epoch`` in the order they are produced (without a cache)."""
        return bucketing.plan_epoch(
            self.ordered, self.settings["batch_size"], copies=self.copies, shuffle=self.shuffles,
            seed=self.settings["seed"], epoch=epoch,
        )

    def batches_per_epoch(self) -> int:
        """Batches in one epoch as planned (fewer only when a whole batch was rejected)."""
        return len(self.plan(0).sizes)

    def samples_per_epoch(self) -> int:
        """Elements in one epoch as planned: kept samples (after ``limit``) times their copies."""
        return len(self.ordered) * self.copies

    def for_epoch(self, epoch: int, skip_batches: int = 0, share: tuple[int, int] = (0, 1)) -> Any:
        """The ``tf.data.Dataset`` of ``epoch`` (0-based), without its first ``skip_batches`` batches.

        ``share=(r, R)`` gives replica r's slice of every planned batch (see ``Plan.share``): one element per
        planned batch, empty ones included, so that R replicas always step together.
        """
        part, parts = share
        service = self.settings["data_service"] if self.train else ""
        if service:
            from sttx.core.data.service import service_batches

            if self.cache is not None:
                from sttx.core.contract.errors import UsageError

                raise UsageError("--feature_cache and --data_service exclude each other")
            plan = self.plan(epoch).skip(skip_batches).share(part, parts)
            job = f"sttx-{self._run_token}-epoch{epoch}-skip{skip_batches}-share{part}of{parts}"
            return prefetched(service_batches(self, plan, address=service, job=job, keep_empty=parts > 1,
                                              epoch=epoch))
        if self.cache is None:
            plan = self.plan(epoch).skip(skip_batches).share(part, parts)
            elements = self._elements(plan, epoch)
        else:  # one cache per replica share, each replaying its own slice of the same unshuffled plan
            cache = self.cache if parts == 1 else FeatureCache(f"{self.cache.path}-replica{part}of{parts}",
                                                               self.cache.cache_for_epochs)
            plan = bucketing.plan_epoch(self.ordered, self.settings["batch_size"], copies=self.copies)
            plan = plan.share(part, parts)
            elements = self._elements(plan, epoch).cache(cache.prepare(epoch, self._fingerprint(plan)))
        width = max(1, int(plan.sizes.max())) if len(plan.sizes) else 1
        dataset = planned_batches(self.augment_features(elements, epoch, plan.count), width, keep_empty=parts > 1)
        if self.cache is not None:
            buffer = int(self.settings["shuffle_buffer"])
            if self.shuffles and buffer > 1:
                dataset = dataset.shuffle(buffer, seed=self._shuffle_seed(epoch))
            dataset = dataset.skip(skip_batches)
        return prefetched(dataset)

    def _shuffle_seed(self, epoch: int) -> int:
        return int(np.random.SeedSequence([self.settings["seed"] & 0xFFFFFFFF, epoch]).generate_state(1)[0])

    def _fingerprint(self, plan: bucketing.Plan) -> str:
        """What the cached features depend on: ids, labels, order, copies, augmentations, rate and seed."""
        specs = [str(a.to_spec()) for domain in ("sample", "signal", "spectrogram") for _, a in self.chains[domain]]
        ids = [str(self.refs[i].id) for i in self.ordered]
        labels = [self.labels[i] for i in self.ordered]
        extra = [self.settings["seed"], self.settings["sample_rate"], self.copies, len(plan), *specs]
        if self.front_end != DEEPSPEECH_FRONT_END:  # DeepSpeech's caches keep their fingerprints
            extra.append(str(self.front_end.as_dict()))
        return fingerprint(ids, labels, extra)

    def _stages(self) -> Stages:
        post = [d for d in ("sample", "spectrogram", "features") if d == "sample" or self.chains[d]]
        s = self.settings
        return Stages(
            self.refs, self.labels, self.min_frames, self.chains, self.rejects,
            s["sample_rate"], s["seed"], s["epochs"], s["clock"], check_in=post[-1], front_end=self.front_end,
        )

    def _elements(self, plan: bucketing.Plan, epoch: int) -> Any:
        """One element per planned sample: decode, augment and MFCC in a parallel, order-keeping map."""
        import tensorflow as tf

        return self.featurize(tf.data.Dataset.from_tensor_slices(plan.filled()), epoch, plan.count)

    def featurize(self, source: Any, epoch: int, count: int, *, encoded: bool = False) -> Any:
        """Decode, augment (sample, signal and spectrogram domains) and compute the features of every element of
        ``source`` (dicts of ``index``, ``copy``, ``position``; with ``encoded``, also ``audio``: the encoded file
        read from a shard, decoded instead of the ref's source) in a parallel, order-keeping map. ``count`` is the
        epoch's element count (the augmentation clock's denominator)."""
        import tensorflow as tf

        stages = self._stages()
        rate = int(self.settings["sample_rate"])
        front_end, width = self.front_end, self.front_end.n_features
        outputs = [tf.float32, tf.int32, tf.string, tf.bool]

        def features(element: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
            element = dict(element)
            encoded_audio = element.pop("audio", None)
            where = [element["index"], element["copy"], element["position"], count, epoch]
            if encoded:
                decoded = tf.numpy_function(stages.decode_bytes, [encoded_audio, *where], outputs, name="decode")
            else:
                decoded = tf.numpy_function(stages.decode, where, outputs, name="decode")
            audio, labels, sample_id, keep = decoded
            spec = front_end_spectrogram(tf.ensure_shape(audio, [None]), front_end, rate)
            if stages.chains["spectrogram"]:
                spec, keep = _numpy_stage(stages, "spectrogram", spec, where, keep)
            out = dict(element, labels=tf.ensure_shape(labels, [None]), id=tf.ensure_shape(sample_id, []))
            out["features"] = tf.ensure_shape(features_from_spectrogram(spec, front_end, rate), [None, width])
            out["keep"] = tf.ensure_shape(keep, [])
            return out

        calls = self.settings["num_parallel_calls"] or tf.data.AUTOTUNE
        return source.map(features, num_parallel_calls=calls, deterministic=True)

    def augment_features(self, dataset: Any, epoch: int, count: int) -> Any:
        """Feature-domain augmentations (after the cache, so they stay fresh every epoch)."""
        import tensorflow as tf

        stages = self._stages()
        if not stages.chains["features"]:
            return dataset

        def augment(element: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
            where = [element["index"], element["copy"], element["position"], count, epoch]
            feats, keep = _numpy_stage(stages, "features", element["features"], where, element["keep"])
            return dict(element, features=tf.ensure_shape(feats, [None, self.front_end.n_features]), keep=keep)

        calls = self.settings["num_parallel_calls"] or tf.data.AUTOTUNE
        return dataset.map(augment, num_parallel_calls=calls, deterministic=True)


def _numpy_stage(stages: Stages, domain: str, data: Any, where: list[Any], keep: Any) -> tuple[Any, Any]:
    """Run ``stages.augment`` for ``domain`` through tf.numpy_function."""
    import tensorflow as tf

    def run(data: Any, *rest: Any) -> tuple[Any, Any]:
        return stages.augment(domain, data, *rest)

    out, kept = tf.numpy_function(run, [data, *where, keep], [tf.float32, tf.bool], name=f"augment_{domain}")
    return out, tf.ensure_shape(kept, [])


def make_dataset(
    refs: Sequence[Any],
    alphabet: Any,
    *,
    batch_size: int,
    train: bool,
    augmentations: Sequence[Augmentation] = (),
    seed: int = 4568,
    epochs: int = 1,
    clock: str = "run",
    feature_cache: str | None = None,
    cache_for_epochs: int = 0,
    augmentations_per_epoch: int = 1,
    sample_rate: int = 16000,
    rejects: RejectLog | None = None,
    limit: int = 0,
    reverse: bool = False,
    shuffle_batches: bool | None = None,
    shuffle_buffer: int = 64,
    num_parallel_calls: int | None = None,
    front_end: FrontEnd = DEEPSPEECH_FRONT_END,
    time_reduction: int = 1,
    data_service: str = "",
) -> EpochDatasets:
    """Build the input pipeline of ``refs`` (SampleRefs) labelled with ``alphabet``.

    Empty and unencodable transcripts are rejected here, over the whole set; unreadable audio and clips too
    short for CTC are rejected as they are decoded. All go to ``rejects`` (its ``total`` grows by ``len(refs)``);
    call ``rejects.check(max_rejected)`` to fail a run with too many. ``augmentations`` apply to training only,
    each in its domain; ``clock`` is ``run`` (progress through all ``epochs``) or ``epoch``. ``limit`` keeps the
    first samples in sorted order (the shortest, or the longest with ``reverse``). ``shuffle_batches`` defaults
    to ``train``. ``feature_cache`` (training only) caches the MFCC with tf.data, rebuilt every
    ``cache_for_epochs`` epochs (0: never). ``num_parallel_calls`` None means AUTOTUNE. ``front_end`` is the
    model's (DeepSpeech's MFCC by default) and ``time_reduction`` its feature frames per output frame, which the
    CTC length check counts with. ``data_service`` (grpc://HOST:PORT) makes the training batches on tf.data
    service workers (sttx.core.data.service).
    """
    if batch_size < 1:
        from sttx.core.contract.errors import UsageError

        raise UsageError(f"batch size must be at least 1, not {batch_size}")
    settings = dict(locals())
    del settings["refs"], settings["alphabet"]
    settings["clock"] = check_mode(clock)
    return EpochDatasets(refs, alphabet, settings)
