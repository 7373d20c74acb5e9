"""Write DeepSpeech-format TF1 checkpoints and run DeepSpeech's forward pass with TF1 ops (BlockLSTM, i-j-f-o)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

LSTM = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"


def ds_variables(n_hidden: int = 24, n_classes: int = 29, seed: int = 7) -> dict[str, np.ndarray]:
    """Random values for DeepSpeech's 12 inference variables (LSTM kernel [n_in + n, 4n], gates i, j, f, o)."""
    rng = np.random.default_rng(seed)
    shapes = {"layer_1": (494, n_hidden), "layer_2": (n_hidden, n_hidden), "layer_3": (n_hidden, n_hidden),
              "layer_5": (n_hidden, n_hidden), "layer_6": (n_hidden, n_classes)}
    values = {}
    for name, shape in shapes.items():
        values[f"{name}/weights"] = (rng.standard_normal(shape) * 0.3).astype(np.float32)
        values[f"{name}/bias"] = (rng.standard_normal(shape[1]) * 0.2).astype(np.float32)
    values[f"{LSTM}/kernel"] = (rng.standard_normal((2 * n_hidden, 4 * n_hidden)) * 0.3).astype(np.float32)
    values[f"{LSTM}/bias"] = (rng.standard_normal(4 * n_hidden) * 0.5).astype(np.float32)
    return values


def write_checkpoint(folder: Path, values: dict[str, np.ndarray], state_file: str = "best_dev_checkpoint") -> Path:
    """A TF1 Saver checkpoint of tf.compat.v1 variables with exactly these names, plus training-only extras."""
    import tensorflow as tf

    v1 = tf.compat.v1
    folder.mkdir(parents=True, exist_ok=True)
    with tf.Graph().as_default(), v1.Session() as session:
        for name, value in values.items():
            v1.Variable(value, name=name)
            v1.Variable(np.zeros_like(value), name=f"{name}/Adam")  # optimizer slots are ignored on import
        v1.Variable(np.int64(1234), name="global_step")
        v1.Variable(np.float32(1e-3), name="learning_rate")
        session.run(v1.global_variables_initializer())
        prefix = "best_dev" if state_file == "best_dev_checkpoint" else "train"
        v1.train.Saver().save(session, str(folder / prefix), global_step=1234, latest_filename=state_file)
    return folder


def tf1_logits(values: dict[str, np.ndarray], windows: np.ndarray, relu_clip: float = 20.0) -> np.ndarray:
    """DeepSpeech's forward pass on flattened windows [T, 494] with TF's fused LSTM block op (forget_bias 0)."""
    import tensorflow as tf

    x = tf.constant(windows, tf.float32)
    for name in ("layer_1", "layer_2", "layer_3"):
        x = tf.minimum(tf.nn.relu(tf.matmul(x, values[f"{name}/weights"]) + values[f"{name}/bias"]), relu_clip)
    n = values["layer_5/weights"].shape[0]
    zeros = tf.zeros([1, n])
    outputs = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.constant(len(windows), tf.int64), x=x[:, None, :], cs_prev=zeros, h_prev=zeros,
        w=values[f"{LSTM}/kernel"], wci=tf.zeros([n]), wcf=tf.zeros([n]), wco=tf.zeros([n]),
        b=values[f"{LSTM}/bias"], forget_bias=0.0, cell_clip=-1.0, use_peephole=False,
    )
    x = outputs.h[:, 0, :]
    x = tf.minimum(tf.nn.relu(tf.matmul(x, values["layer_5/weights"]) + values["layer_5/bias"]), relu_clip)
    return (tf.matmul(x, values["layer_6/weights"]) + values["layer_6/bias"]).numpy()


def cudnn_opaque(values: dict[str, np.ndarray]) -> np.ndarray:
    """The same LSTM as CuDNN canonical params (W then R per gate i, f, c, o; input and recurrent biases)."""
    kernel, bias = values[f"{LSTM}/kernel"], values[f"{LSTM}/bias"]
    n = bias.shape[0] // 4
    i, j, f, o = np.split(kernel, 4, axis=1)
    bi, bj, bf, bo = np.split(bias, 4)
    gates = (i, f, j, o)
    w = [g[:-n].T.ravel() for g in gates]
    r = [g[-n:].T.ravel() for g in gates]
    half = [b / 2 for b in (bi, bf, bj, bo)]  # cuDNN keeps two biases whose sum is the cell's bias
    return np.concatenate([*w, *r, *half, *half]).astype(np.float32)
