"""Which tf.distribute strategy a run trains under, this process's role in it, and the line that describes it.

sttx scales on TensorFlow's own engine: OneDeviceStrategy, MirroredStrategy (the devices of one machine) and
MultiWorkerMirroredStrategy (several machines, described by TF_CONFIG). --train_batch_size stays per replica, as
in DeepSpeech: a step consumes ``per_replica x replicas`` samples, the *global* batch.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

import attrs

from sttx.core.contract.errors import SttxError, UsageError

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "one", "mirrored", "multi_worker")


class PeerFailureError(SttxError):
    """A collective operation failed or timed out: another worker died or cannot be reached."""

    @classmethod
    def from_tf(cls, error: Exception) -> PeerFailureError:
        """One line from TensorFlow's (multi-line) error."""
        message = re.sub(r"\{\{[^}]*\}\}", "", getattr(error, "message", str(error))).strip().splitlines()
        first = next((line.strip() for line in message if line.strip()), type(error).__name__)
        return cls(f"training stopped: a worker of the cluster failed or is unreachable ({type(error).__name__}: "
                   f"{first[:240]}); restart all workers to resume from the last checkpoint")


def peer_failures() -> tuple[type[Exception], ...]:
    """The TensorFlow errors a collective raises when a peer is gone (health check, timeout, abort)."""
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.CancelledError,
            tf.errors.AbortedError)


@attrs.frozen
class Role:
    """This process in the cluster: worker ``index`` of ``workers``; the chief writes what the run leaves behind."""

    index: int = 0
    workers: int = 1
    chief: bool = True

    @property
    def name(self) -> str:
        """``chief`` or ``worker 2``."""
        return "chief" if self.chief else f"worker {self.index} (not the chief)"


def split_cpu(count: int) -> None:
    """Show the CPU as ``count`` logical devices (before TensorFlow initialises), so MirroredStrategy has replicas
    on a machine without GPUs: for tests, benchmarks and checking a distributed setup on a laptop."""
    import tensorflow as tf

    if count < 2:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as error:  # TensorFlow already initialised its devices
        existing = len(tf.config.list_logical_devices("CPU"))
        if existing != count:
            raise UsageError(f"--cpu_devices {count}: TensorFlow already runs with {existing} CPU device(s) "
                             f"({error})") from None


def share_cores(tf: Any, replicas: int) -> None:
    """Give each of ``replicas`` CPU replicas its share of the cores for one operation, unless
    --intra_op_parallelism_threads chose: replicas that all split every op over all the cores hand work back and
    forth between threads, where a share each lets them run side by side."""
    if replicas < 2 or tf.config.threading.get_intra_op_parallelism_threads():
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores // replicas))
    except RuntimeError as error:  # the runtime already started (a second run in one process)
        log.debug("intra-op threads unchanged: %s", error)


def tf_config_role() -> Role:
    """The role TF_CONFIG gives this process (a single worker without it)."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw:
        return Role()
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        kind, index = str(task["type"]), int(task["index"])
        if not isinstance(cluster, dict) or not all(isinstance(hosts, list) for hosts in cluster.values()):
            raise TypeError(f"'cluster' must map job names to lists of host:port, not {json.dumps(cluster)}")
    except (ValueError, KeyError, TypeError) as error:
        reason = f"it has no {error} key" if isinstance(error, KeyError) else str(error)
        raise UsageError(f"TF_CONFIG is not valid JSON with 'cluster' and 'task' {{type, index}}: {reason}") from None
    workers = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    has_chief = bool(cluster.get("chief"))
    chief = kind == "chief" or (not has_chief and kind == "worker" and index == 0)
    position = index + (1 if has_chief and kind == "worker" else 0)
    return Role(index=position, workers=max(1, workers), chief=chief)


def pick(name: str, gpus: int) -> str:
    """The strategy ``auto`` stands for: mirrored with several GPUs, multi_worker under a TF_CONFIG cluster."""
    if name != "auto":
        return name
    if tf_config_role().workers > 1:
        return "multi_worker"
    return "mirrored" if gpus > 1 else "one"


def make_strategy(name: str, *, cpu_devices: int = 0, collective_timeout: float = 0.0) -> Any:
    """Create the strategy of --strategy (first thing in a run: MultiWorkerMirroredStrategy must precede other ops)."""
    import tensorflow as tf

    if name not in STRATEGIES:
        raise UsageError(f"--strategy {name}: choose one of {', '.join(STRATEGIES)}")
    # physical devices only until the strategy exists: listing logical ones initialises the runtime, after
    # which MultiWorkerMirroredStrategy can no longer configure its collectives
    physical_gpus = len(tf.config.list_physical_devices("GPU"))
    chosen = pick(name, physical_gpus)
    if chosen == "multi_worker":
        return _multi_worker(collective_timeout)
    if chosen == "mirrored" and not physical_gpus:
        share_cores(tf, cpu_devices)
    split_cpu(cpu_devices)
    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    if chosen == "one":
        return tf.distribute.OneDeviceStrategy(gpus[0] if gpus else "/cpu:0")
    devices = gpus or [device.name for device in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices, cross_device_ops=None if gpus else
                                          tf.distribute.ReductionToOneDevice())


def _multi_worker(collective_timeout: float) -> Any:
    import tensorflow as tf

    if not os.environ.get("TF_CONFIG"):
        raise UsageError("--strategy multi_worker needs TF_CONFIG describing the cluster (docs/cluster.md)")
    tf_config_role()  # a malformed TF_CONFIG is the user's to fix: one line, not TensorFlow's TypeError
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=collective_timeout or None)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def role_of(strategy: Any) -> Role:
    """This process's role under ``strategy`` (the chief unless it is a multi-worker strategy)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return Role()
    return tf_config_role()


def devices_of(strategy: Any) -> list[str]:
    """The devices this process's replicas run on."""
    return [str(device) for device in strategy.extended.worker_devices]


def describe(strategy: Any, role: Role, per_replica: int) -> str:
    """The run's distribution line: strategy, replicas, per-replica and global batch, devices, role."""
    replicas = strategy.num_replicas_in_sync
    where = ", ".join(short_device(d) for d in devices_of(strategy))
    workers = f" over {role.workers} workers (this process is the {role.name})" if role.workers > 1 else ""
    kind = "MultiWorkerMirroredStrategy" if role.workers > 1 else type(strategy).__name__
    return (f"Distribution: {kind}, {replicas} replica{'s' if replicas > 1 else ''}{workers} "
            f"on {where}; batch {per_replica} per replica, {per_replica * replicas} global{op_threads(strategy)}")


def op_threads(strategy: Any) -> str:
    """``; each op on N threads`` when several replicas share this process's CPU (empty otherwise)."""
    import tensorflow as tf

    local = devices_of(strategy)
    threads = tf.config.threading.get_intra_op_parallelism_threads()
    if len(local) < 2 or not threads or not all(short_device(d).startswith("CPU") for d in local):
        return ""
    return f"; each op on {threads} thread{'s' if threads > 1 else ''} (--intra_op_parallelism_threads)"


def short_device(name: str) -> str:
    """``/job:worker/replica:0/task:0/device:CPU:1`` -> ``CPU:1`` (the task is in the role already)."""
    return name.rsplit("/device:", 1)[-1] if "/device:" in name else name
