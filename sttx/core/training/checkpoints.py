"""Checkpoints of a training run: atomic ``train-<step>`` / ``best_dev-<step>`` dirs holding weights and loop state.

Layout of a checkpoint dir::

    flags.txt            the full effective configuration (``--name=value`` lines)
    alphabet.txt         the alphabet the output layer was trained for
    train-<step>/        the newest --max_to_keep, one every --checkpoint_secs and one at each epoch end
    best_dev-<step>/     the one with the lowest dev loss
      weights.index, weights.data-*   model and optimizer variables, keyed by name (``layer_1/kernel``...)
      state.json          loop state: epoch, position in it, best dev loss, counters, learning rate, geometry

A checkpoint is written into a hidden temporary dir and renamed into place, so a dir named ``train-<step>`` is
always complete: a crash at any moment leaves at most a stale ``.tmp`` dir, which the next save removes.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import SttxError, UsageError

log = logging.getLogger(__name__)

TRAIN, BEST = "train", "best_dev"
STATE_FILE = "state.json"
WEIGHTS = "weights"
_NAME = re.compile(r"^(train|best_dev)-(\d+)$")


class CheckpointError(SttxError):
    """A checkpoint could not be written or read (names the path)."""


class CheckpointMismatchError(UsageError):
    """A checkpoint of another geometry or alphabet; names the tensors and the flag that explains it."""


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it and rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CheckpointError(f"cannot write {path}: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    if getattr(error, "errno", None) == errno.ENOSPC or "No space left" in str(error):
        return "no space left on device"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def list_checkpoints(directory: str | Path, kind: str = TRAIN) -> list[tuple[int, Path]]:
    """Complete checkpoints of ``kind`` in ``directory`` as (step, path), oldest first."""
    root = Path(directory)
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _NAME.match(path.name)
        if match and match.group(1) == kind and (path / STATE_FILE).is_file():
            found.append((int(match.group(2)), path))
    return sorted(found)


def tracked_variables(model: Any, optimizer: Any | None) -> dict[str, Any]:
    """Every variable a checkpoint holds, by a stable name: the model's weights, then the optimizer's slots."""
    variables = {v.path: v for v in model.weights}
    if optimizer is None:
        return variables
    # Keras numbers optimizer names per process (adam, adam_1...): key them by role instead
    roles = {optimizer.name: "optimizer"}
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:  # float16 loss scaling wraps Adam
        roles[inner.name] = "optimizer/inner"
    for v in optimizer.variables:
        owner, _, rest = v.path.partition("/")
        variables[f"{roles.get(owner, 'optimizer/' + owner)}/{rest}"] = v
    return variables


def save(directory: str | Path, kind: str, step: int, variables: dict[str, Any], state: dict[str, Any],
         max_to_keep: int = 5) -> Path:
    """Write checkpoint ``<kind>-<step>`` atomically and prune old ones; the previous ones survive any failure."""
    import tensorflow as tf

    root = Path(directory)
    final = root / f"{kind}-{step}"
    temporary = root / f".{kind}-{step}.tmp-{os.getpid()}"
    shapes = {name: [int(d) for d in v.shape] for name, v in variables.items()}
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        tf.train.Checkpoint(**variables).write(str(temporary / WEIGHTS))
        _write_json(temporary / STATE_FILE, dict(state, shapes=shapes))
        _fsync_tree(temporary)
        _move_into_place(temporary, final)
    except (OSError, tf.errors.OpError) as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise CheckpointError(
            f"cannot write checkpoint {final}: {_reason(error)}; the previous checkpoints are intact"
        ) from error
    _prune(root, kind, 1 if kind == BEST else max_to_keep, keep=final)
    return final


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_tree(path: Path) -> None:
    for file in path.iterdir():
        with file.open("rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _move_into_place(temporary: Path, final: Path) -> None:
    """Rename ``temporary`` to ``final``; an existing ``final`` (same step saved again) is swapped out first."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    temporary.rename(final)
    _fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


def _prune(root: Path, kind: str, keep_count: int, keep: Path) -> None:
    """Delete all but the newest ``keep_count`` complete checkpoints of ``kind``, and stale temporary dirs."""
    existing = [path for _, path in list_checkpoints(root, kind)]
    for path in existing[: max(0, len(existing) - keep_count)]:
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)
    for stale in root.glob(f".{kind}-*.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def read_state(path: str | Path) -> dict[str, Any]:
    """The state.json of one checkpoint."""
    try:
        return dict(json.loads((Path(path) / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {Path(path) / STATE_FILE}: {_reason(error)}") from error


#: what every checkpoint records of its model (``Trainer.model_config``), whichever the architecture
_CORE_RECORD = frozenset({"model", "n_hidden", "relu_clip", "layer_norm", "feature_norm", "n_classes",
                          "bytes_output_mode"})


def check_geometry(path: Path, saved: dict[str, list[int]], variables: dict[str, Any],
                   skip: frozenset[str] = frozenset(), trained_with: dict[str, Any] | None = None) -> None:
    """Refuse a checkpoint whose model tensors differ from the model's, naming them and the flag to look at."""
    trained = trained_with or {}
    wanted = {name: [int(d) for d in v.shape] for name, v in variables.items() if not name.startswith("optimizer/")}
    # a model tensor the checkpoint has and this model lacks (a LayerNorm, the feature normalisation) is a
    # mismatch too: dropping it would silently change what the other layers compute
    names = set(wanted) | {name for name in saved if not name.startswith("optimizer/")}
    bad = sorted(name for name in names if not _skipped(name, skip) and saved.get(name) != wanted.get(name))
    if not bad:
        return
    details = "; ".join(f"{name} is {saved.get(name, 'missing')} there, {wanted.get(name, 'missing')} here"
                        for name in bad[:6])
    if all(name.startswith("feature_norm/") for name in bad):
        used = "with" if any(name in saved for name in bad) else "without"
        hint = f"the checkpoint was trained {used} --feature_norm: set it the same way"
    elif all(name.startswith("layer_6/") for name in bad):
        hint = ("the alphabet differs (--alphabet_config_path, --bytes_output_mode); --drop_source_layers 1 "
                "re-initialises the output layer to fine-tune on a new alphabet")
    elif all(name.startswith("output_intermediate/") for name in bad):
        used = "with" if any(name in saved for name in bad) else "without"
        hint = (f"the checkpoint was trained {used} an intermediate CTC head: set --inter_ctc_weight as it was "
                f"({trained.get('inter_ctc_weight', 0.0)})")
    elif trained.get("model", "deepspeech") != "deepspeech":
        # a model plugin's own geometry: whatever it recorded beyond what every checkpoint records
        flags = " ".join(f"--{key} {value}" for key, value in trained.items() if key not in _CORE_RECORD and value)
        hint = f"the geometry differs: set the model's flags as the checkpoint was trained ({flags or 'its defaults'})"
    else:
        as_trained = f" (it was trained with --n_hidden {trained['n_hidden']})" if "n_hidden" in trained else ""
        hint = f"the geometry differs: set --n_hidden (and --layer_norm) as the checkpoint was trained{as_trained}"
    raise CheckpointMismatchError(f"checkpoint {path} does not fit this model: {details}; {hint}")


def _skipped(name: str, skip: frozenset[str]) -> bool:
    from sttx.core.training.transfer import LAYERS, layer_of

    return bool(skip) and layer_of(name, (*LAYERS, *sorted(skip))) in skip


def restore(path: str | Path, variables: dict[str, Any], *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Load a checkpoint into ``variables`` (checked first) and return its loop state.

    Layers in ``skip`` (``transfer.dropped_layers(N)`` for --drop_source_layers) keep their fresh values, and so
    do their optimizer slots; the other layers' slots and the optimizer's step count are loaded.
    """
    import tensorflow as tf

    path, skip = Path(path), frozenset(skip)
    state = read_state(path)
    check_geometry(path, state.get("shapes", {}), variables, skip, state.get("model"))
    wanted = {name: v for name, v in variables.items() if not _skipped(name, skip)}
    try:
        tf.train.Checkpoint(**wanted).read(str(path / WEIGHTS)).expect_partial()
    except (tf.errors.OpError, ValueError) as error:
        raise CheckpointError(f"cannot read checkpoint {path}: {_reason(error)}") from error
    return state


def latest(directory: str | Path, kind: str = TRAIN) -> Path | None:
    """The newest complete checkpoint of ``kind`` in ``directory``, or None."""
    found = list_checkpoints(directory, kind)
    return found[-1][1] if found else None


def choose(directory: str | Path, load_train: str) -> Path | None:
    """The checkpoint --load_train picks: auto and last take the latest train checkpoint (then best), best the best.

    DeepSpeech's auto preferred best_dev, which threw away the epochs after it; sttx resumes where it stopped.
    """
    if load_train == "init" or not directory:
        return None
    order = {"auto": (TRAIN, BEST), "last": (TRAIN,), "best": (BEST,)}[load_train]
    for kind in order:
        found = latest(directory, kind)
        if found is not None:
            return found
    if load_train != "auto":
        raise CheckpointError(f"--load_train {load_train}: no {' or '.join(order)} checkpoint in {directory}")
    return None


@attrs.frozen
class Restored:
    """A model rebuilt from an sttx checkpoint dir, with its alphabet and the checkpoint it came from."""

    model: Any
    alphabet: Any
    relu_clip: float
    path: Path
    state: dict[str, Any]


def restore_for_inference(directory: str | Path, *, prefer: tuple[str, ...] = (BEST, TRAIN),
                          registries: Any = None) -> Restored:
    """Rebuild the model of ``directory``'s best dev checkpoint (else the latest) for evaluation or export."""
    from sttx.core.data.alphabet import load_alphabet

    root = Path(directory)
    path = next((found for kind in prefer if (found := latest(root, kind)) is not None), None)
    if path is None:
        raise CheckpointError(f"no sttx checkpoint (train-<step> or best_dev-<step>) in {root}")
    state = read_state(path)
    geometry = state.get("model", {})
    if registries is None:
        from sttx.core.contract.plugins import get_plugin_manager

        registries = get_plugin_manager().registries()
    alphabet_file = root / "alphabet.txt"
    bytes_mode = bool(geometry.get("bytes_output_mode"))
    alphabet = load_alphabet(None if bytes_mode or not alphabet_file.is_file() else alphabet_file, bytes_mode)
    settings = _Geometry(**{key: geometry[key] for key in ("n_hidden", "relu_clip", "layer_norm", "feature_norm")
                           if key in geometry})
    name = geometry.get("model", "deepspeech")
    architecture = registries.models.get(name)
    # a model plugin's own geometry settings (model_size...) ride along with DeepSpeech's
    extra = {name: geometry[name] for name in architecture.settings if name in geometry}
    built_with = types.SimpleNamespace(**attrs.asdict(settings), **extra) if extra else settings
    model = architecture.create(built_with, alphabet.n_classes, name)
    restore(path, tracked_variables(model, None))
    return Restored(model, alphabet, float(settings.relu_clip), path, state)


@attrs.frozen
class _Geometry:
    """The model settings a checkpoint records; dropout is irrelevant for inference."""

    n_hidden: int = 2048
    relu_clip: float = 20.0
    layer_norm: bool = False
    feature_norm: bool = False
    dropout_rate: float = 0.0
    dropout_rate2: float = 0.0
    dropout_rate3: float = 0.0
    dropout_rate6: float = 0.0
