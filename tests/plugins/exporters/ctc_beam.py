"""A small CTC prefix beam search with the no-scorer semantics of Coqui's decoder, to compare with libstt."""

from __future__ import annotations

import numpy as np

NEG_INF = -np.inf


def _logsumexp(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    high = max(a, b)
    return high + float(np.log(np.exp(a - high) + np.exp(b - high)))


class _Prefix:
    __slots__ = ("b_cur", "b_prev", "nb_cur", "nb_prev", "score")

    def __init__(self) -> None:
        self.b_prev = self.nb_prev = self.b_cur = self.nb_cur = self.score = NEG_INF


def prefix_beam_search(
    probs: np.ndarray, beam: int, blank: int, top_n: int = 40
) -> list[tuple[tuple[int, ...], float]]:
    """(labels, log-probability) of the best prefixes, best first; leading frames with blank >= 0.999 skipped."""
    root = _Prefix()
    root.b_prev, root.score = 0.0, 0.0
    prefixes: dict[tuple[int, ...], _Prefix] = {(): root}
    started = False
    for frame in np.asarray(probs, np.float64):
        if not started and frame[blank] >= 0.999:
            continue
        started = True
        order = np.argsort(-frame, kind="stable")[:top_n]
        alive = list(prefixes.items())
        for label in (int(c) for c in order):
            log_c = float(np.log(frame[label]))
            for labels, prefix in alive:
                if label == blank:
                    prefix.b_cur = _logsumexp(prefix.b_cur, log_c + prefix.score)
                    continue
                last = labels[-1] if labels else -1
                if label == last:
                    prefix.nb_cur = _logsumexp(prefix.nb_cur, log_c + prefix.nb_prev)
                child = prefixes.setdefault((*labels, label), _Prefix())
                if label == last:
                    log_p = log_c + prefix.b_prev if prefix.b_prev > NEG_INF else NEG_INF
                else:
                    log_p = log_c + prefix.score
                child.nb_cur = _logsumexp(child.nb_cur, log_p)
        for prefix in prefixes.values():
            prefix.score = _logsumexp(prefix.b_cur, prefix.nb_cur)
            prefix.b_prev, prefix.nb_prev = prefix.b_cur, prefix.nb_cur
            prefix.b_cur = prefix.nb_cur = NEG_INF
        ranked = sorted(prefixes.items(), key=lambda item: -item[1].score)
        prefixes = dict(item for item in ranked[:beam] if item[1].score > NEG_INF or not item[0])
    ranked = sorted(prefixes.items(), key=lambda item: -item[1].score)
    return [(labels, prefix.score) for labels, prefix in ranked if labels or prefix.score > NEG_INF]
