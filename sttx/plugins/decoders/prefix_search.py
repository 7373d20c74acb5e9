"""CTC prefix beam search without a language model, with the semantics of Coqui STT's decoder (libstt 1.4).

Same rules as Coqui's ``DecoderState::next``: blank last; leading frames whose blank probability is at least
0.999 are skipped; a label repeated without a blank in between extends the same prefix; every prefix keeps
separate blank / non-blank log-probabilities; the ``beam_width`` best prefixes survive each frame. Emissions are
pruned as Coqui prunes them (``cutoff_prob`` < 1 keeps the most likely labels up to that cumulative probability,
at most ``cutoff_top_n``; with ``cutoff_prob`` 1.0 nothing is pruned, as in Coqui). All prefixes of a frame are
extended at once with numpy, which is what makes a pure-Python search fast: a prefix is identified by a 64-bit
rolling hash of its labels.
"""

from __future__ import annotations

import numpy as np

NEG_INF = -np.inf
FLT_MIN = float(np.finfo(np.float32).tiny)
_MIX_1, _MIX_2, _STEP = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _child_hash(parent: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """splitmix64 of (parent hash, label): a prefix's identity without storing its labels."""
    value = parent * _STEP + (labels.astype(np.uint64) + np.uint64(1))
    value = (value ^ (value >> np.uint64(30))) * _MIX_1
    value = (value ^ (value >> np.uint64(27))) * _MIX_2
    return value ^ (value >> np.uint64(31))


def pruned_log_probs(probs: np.ndarray, cutoff_prob: float, cutoff_top_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, log-probabilities) that one frame may emit, as Coqui's ``get_pruned_log_probs`` chooses them."""
    labels = np.arange(len(probs))
    if cutoff_prob < 1.0:  # Coqui applies cutoff_top_n only together with a cutoff_prob below 1
        order = np.argsort(-probs, kind="stable")
        cumulative = np.cumsum(probs[order])
        reached = int(np.searchsorted(cumulative, cutoff_prob)) + 1
        labels = order[: min(reached, cutoff_top_n, len(order))]
    return labels, np.log(probs[labels] + FLT_MIN)


class _Nodes:
    """The prefix tree as parallel arrays: each node's parent, label and first frame (root is node 0)."""

    def __init__(self) -> None:
        self.parent, self.label, self.frame = [-1], [-1], [-1]

    def add(self, parents: np.ndarray, labels: np.ndarray, frame: int) -> np.ndarray:
        first = len(self.parent)
        self.parent.extend(parents.tolist())
        self.label.extend(labels.tolist())
        self.frame.extend([frame] * len(parents))
        return np.arange(first, len(self.parent))

    def path(self, node: int) -> tuple[list[int], list[int]]:
        labels, frames = [], []
        while node > 0:
            labels.append(self.label[node])
            frames.append(self.frame[node])
            node = self.parent[node]
        return labels[::-1], frames[::-1]


class _Beam:
    """The surviving prefixes: node, hash, last label, blank / non-blank log-probabilities and their sum."""

    def __init__(self) -> None:
        self.node = np.zeros(1, np.int64)
        self.hash = np.zeros(1, np.uint64)
        self.last = np.full(1, -1, np.int64)
        self.b = np.zeros(1)
        self.nb = np.full(1, NEG_INF)
        self.score = np.zeros(1)


def _step(beam: _Beam, nodes: _Nodes, labels: np.ndarray, log_probs: np.ndarray, blank: int, width: int,
          frame: int, n_classes: int) -> _Beam:
    """Extend every prefix by one frame and keep the ``width`` best."""
    b_cur = np.full(len(beam.node), NEG_INF)
    nb_cur = np.full(len(beam.node), NEG_INF)
    is_blank = labels == blank
    if is_blank.any():
        b_cur = log_probs[is_blank][0] + beam.score
    chars, char_lp = labels[~is_blank], log_probs[~is_blank]
    lookup = np.full(n_classes + 1, NEG_INF)
    lookup[chars] = char_lp
    repeat_lp = lookup[beam.last]  # last == -1 (the root) reads the spare slot, -inf
    nb_cur = np.logaddexp(nb_cur, repeat_lp + beam.nb)
    # every (prefix, label) extension; a repeat only extends after a blank
    same = chars[None, :] == beam.last[:, None]
    source = np.where(same, beam.b[:, None], beam.score[:, None])
    values = (char_lp[None, :] + source).ravel()
    parent = np.repeat(np.arange(len(beam.node)), len(chars))
    child_labels = np.tile(chars, len(beam.node))
    hashes = _child_hash(beam.hash[parent], child_labels)
    # an extension may be a prefix already in the beam: its probability joins that prefix's
    order = np.argsort(beam.hash)
    at = np.minimum(np.searchsorted(beam.hash, hashes, sorter=order), len(order) - 1)
    known = beam.hash[order[at]] == hashes
    np.logaddexp.at(nb_cur, order[at[known]], values[known])
    fresh = ~known & (values > NEG_INF)
    scores = np.concatenate([np.logaddexp(b_cur, nb_cur), values[fresh]])
    keep = np.flatnonzero(scores > NEG_INF)
    if len(keep) > width:
        keep = np.sort(keep[np.argpartition(-scores[keep], width - 1)[:width]])
    old, new = keep[keep < len(beam.node)], keep[keep >= len(beam.node)] - len(beam.node)
    new_parent, new_labels = parent[fresh][new], child_labels[fresh][new]
    result = _Beam()
    result.node = np.concatenate([beam.node[old], nodes.add(beam.node[new_parent], new_labels, frame)])
    result.hash = np.concatenate([beam.hash[old], hashes[fresh][new]])
    result.last = np.concatenate([beam.last[old], new_labels])
    result.b = np.concatenate([b_cur[old], np.full(len(new), NEG_INF)])
    result.nb = np.concatenate([nb_cur[old], values[fresh][new]])
    result.score = scores[keep]
    return result


def prefix_beam_search(
    probs: np.ndarray, blank: int, beam_width: int, *, cutoff_prob: float = 1.0, cutoff_top_n: int = 300,
    num_results: int = 1,
) -> list[tuple[list[int], list[int], float]]:
    """(labels, start frames, log-probability) of the best prefixes, best first (ties: lower last label first).

    :param probs: softmax outputs [T, C] (not logarithms), blank at ``blank``
    """
    nodes, beam, started = _Nodes(), _Beam(), False
    for frame, row in enumerate(np.asarray(probs, np.float64)):
        if not started and row[blank] >= 0.999:
            continue  # Coqui starts expanding at the first frame that is not (almost) surely blank
        started = True
        labels, log_probs = pruned_log_probs(row, cutoff_prob, cutoff_top_n)
        beam = _step(beam, nodes, labels, log_probs, blank, beam_width, frame, len(row))
    ranked = np.lexsort((beam.last, -beam.score))[:num_results]
    results = []
    for index in ranked:
        labels, frames = nodes.path(int(beam.node[index]))
        results.append((labels, frames, float(beam.score[index])))
    return results
