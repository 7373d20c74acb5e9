"""Where a run's first weights come from: its own latest checkpoint, another sttx run, or a DeepSpeech checkpoint.

* **resume**: the save dir has a checkpoint: weights, optimizer and loop state continue exactly;
* **sttx**: ``--load_checkpoint_dir`` is another sttx run: its weights and Adam slots start a new run (epoch 0,
  ``--learning_rate``), except the ``--drop_source_layers`` layers, which keep fresh weights and fresh slots;
* **deepspeech**: ``--load_checkpoint_dir`` holds a DeepSpeech / Coqui TF1 checkpoint (LSTMBlockFused or CuDNN
  trained): its weights are imported with the gates mapped (``sttx.core.training.ds_checkpoint``), the optimizer starts
  fresh, and dropped layers keep their initial weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import UsageError
from sttx.core.training import checkpoints
from sttx.core.training.checkpoints import CheckpointMismatchError
from sttx.core.training.transfer import LAYERS, dropped_layers, frozen_layers

RESUME, STTX, DEEPSPEECH = "resume", "sttx", "deepspeech"
#: DeepSpeech's TF1 state files by --load_train (auto: best dev first, as DeepSpeech loaded)
_DS_STATE_FILES = {"auto": ("best_dev_checkpoint", "checkpoint"), "best": ("best_dev_checkpoint",),
                   "last": ("checkpoint",)}


@attrs.frozen
class Source:
    """A checkpoint to start from: ``kind`` is resume, sttx or deepspeech; ``path`` a dir or a TF1 prefix."""

    kind: str
    path: Path


@attrs.frozen
class Loaded:
    """What was loaded: the source, its saved loop state (sttx checkpoints) and lines for the run's log."""

    source: Source
    state: dict[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def resumed(self) -> bool:
        """True when the run continues its own checkpoint (loop state and learning rate taken over)."""
        return self.source.kind == RESUME


def find_source(config: Any) -> Source | None:
    """The checkpoint a run starts from: the save dir's latest (auto/last), else the load dir's per --load_train."""
    c = config
    if c.save_dir and c.load_train in ("auto", "last"):
        own = checkpoints.latest(c.save_dir, checkpoints.TRAIN)
        if own is not None:
            return Source(RESUME, own)
    if c.load_dir and c.load_train != "init":
        prefix = deepspeech_prefix(c.load_dir, c.load_train)
        if prefix is not None:
            return Source(DEEPSPEECH, prefix)
    path = checkpoints.choose(c.load_dir, c.load_train)
    if path is None:
        return None
    same = bool(c.save_dir) and path.parent.resolve() == Path(c.save_dir).resolve()
    return Source(RESUME if same else STTX, path)


def deepspeech_prefix(directory: str | Path, load_train: str) -> Path | None:
    """The TF1 checkpoint prefix --load_train picks in a DeepSpeech/Coqui dir (or a prefix given as is); else None."""
    from sttx.core.training import ds_checkpoint

    if not ds_checkpoint.is_deepspeech_checkpoint(directory):
        return None
    root = Path(directory)
    if not root.is_dir():
        return root
    import tensorflow as tf

    for state_file in _DS_STATE_FILES[load_train]:
        state = tf.train.get_checkpoint_state(str(root), latest_filename=state_file)
        if state and state.model_checkpoint_path:
            found = Path(state.model_checkpoint_path)
            return found if found.is_absolute() else root / found
    raise checkpoints.CheckpointError(
        f"--load_train {load_train}: no {' or '.join(_DS_STATE_FILES[load_train])} state file in {root}")


def initialise(config: Any, model: Any, variables: dict[str, Any], alphabet: Any,
               layers: tuple[str, ...] = LAYERS) -> Loaded | None:
    """Load the run's source into ``model`` / ``variables``; None when the run starts from fresh weights.

    :param layers: the model's transfer layers in order (its architecture's ``layer_order``; DeepSpeech's)
    """
    from sttx.core.training.run_setup import check_alphabet

    c = config
    source = find_source(c)
    if source is None:
        if c.freeze_source_layers:
            raise UsageError(f"--freeze_source_layers {c.freeze_source_layers} keeps loaded layers fixed, but "
                             f"nothing was loaded: give --load_checkpoint_dir (no checkpoint in {c.load_dir or '-'})")
        return None
    skip = () if source.kind == RESUME else dropped_layers(c.drop_source_layers, layers)
    check_alphabet(source.path.parent, alphabet, layers[-1] in skip)
    if source.kind == DEEPSPEECH:
        check_deepspeech_geometry(model, source.path, skip)
        from sttx.core.training.ds_checkpoint import import_into_model

        import_into_model(model, source.path, skip=skip)
        state: dict[str, Any] = {}
    else:
        state = checkpoints.restore(source.path, variables, skip=skip)
    frozen = frozen_layers(c.freeze_source_layers, c.drop_source_layers, layers)
    return Loaded(source, state, _notes(source, skip, frozen))


def _notes(source: Source, skip: tuple[str, ...], frozen: tuple[str, ...]) -> tuple[str, ...]:
    notes = []
    if source.kind == DEEPSPEECH:
        notes.append(f"Imported the DeepSpeech checkpoint {source.path}; the optimizer starts fresh")
    if skip:
        notes.append(f"--drop_source_layers: re-initialised {', '.join(skip)} (weights and optimizer slots)")
    if frozen:
        notes.append(f"--freeze_source_layers: {', '.join(frozen)} fixed (no updates)")
    return tuple(notes)


def check_deepspeech_geometry(model: Any, prefix: Path, skip: tuple[str, ...]) -> None:
    """Refuse a DeepSpeech checkpoint of another n_hidden, alphabet or --layer_norm, naming the tensor and flag."""
    import tensorflow as tf

    from sttx.core.training.ds_checkpoint import DENSE

    shapes = dict(tf.train.list_variables(str(prefix)))
    names = {layer.name for layer in model.layers}
    for name in (n for n in DENSE if n not in skip and n in names):
        there, here = shapes.get(f"{name}/weights"), list(model.get_layer(name).kernel.shape)
        if there is not None and list(there) != here:
            raise CheckpointMismatchError(
                f"DeepSpeech checkpoint {prefix}: {name}/weights is {list(there)} there, {here} here; "
                + _hint(name, shapes))
    has_norm = "layer_1/LayerNorm/gamma" in shapes
    if has_norm != ("layer_1_norm" in names):
        raise CheckpointMismatchError(
            f"DeepSpeech checkpoint {prefix} was trained {'with' if has_norm else 'without'} LayerNorm "
            f"(layer_1/LayerNorm/gamma): set --layer_norm {str(has_norm).lower()}")


def _hint(name: str, shapes: dict[str, Any]) -> str:
    if name == "layer_6":
        return ("the alphabet differs (--alphabet_config_path); --drop_source_layers 1 re-initialises the output "
                "layer for a new alphabet")
    width = shapes.get("layer_1/weights", [0, "?"])[1]
    return f"set --n_hidden {width} as the checkpoint was trained"
