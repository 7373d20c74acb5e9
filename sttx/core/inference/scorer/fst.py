"""The vocabulary trie: a minimal acyclic acceptor built from label sequences (Daciuk's construction)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np


@attrs.frozen(eq=False)
class Acceptor:
    """States numbered as OpenFST numbers them (start 0); each state's arcs contiguous and sorted by label."""

    final: np.ndarray  # bool per state
    first_arc: np.ndarray  # index of each state's first arc
    n_arcs: np.ndarray
    labels: np.ndarray  # per arc
    next_state: np.ndarray  # per arc
    start: int = 0

    @property
    def n_states(self) -> int:
        return len(self.final)

    def arcs_of(self, state: int) -> Iterator[tuple[int, int]]:
        first = int(self.first_arc[state])
        for arc in range(first, first + int(self.n_arcs[state])):
            yield int(self.labels[arc]), int(self.next_state[arc])

    def sequences(self) -> Iterator[tuple[int, ...]]:
        """Every accepted label sequence, in label order."""
        if self.n_states == 0:
            return
        # plain lists: indexing numpy arrays element by element is several times slower on large vocabularies
        labels, nexts = self.labels.tolist(), self.next_state.tolist()
        first, count, final = self.first_arc.tolist(), self.n_arcs.tolist(), self.final.tolist()
        stack: list[tuple[int, tuple[int, ...]]] = [(self.start, ())]
        while stack:
            state, prefix = stack.pop()
            if final[state]:
                yield prefix
            start = first[state]
            stack.extend((nexts[arc], (*prefix, labels[arc])) for arc in range(start + count[state] - 1, start - 1, -1))


    def spellings(self, symbols: Sequence[Any]) -> Iterator[Any]:
        """Every accepted sequence spelt with ``symbols[label]`` (str or bytes), concatenated: fast enumeration."""
        if self.n_states == 0:
            return
        labels, nexts = self.labels.tolist(), self.next_state.tolist()
        first, count, final = self.first_arc.tolist(), self.n_arcs.tolist(), self.final.tolist()
        stack = [(self.start, symbols[0][:0])]  # the empty str or bytes
        while stack:
            state, prefix = stack.pop()
            if final[state]:
                yield prefix
            start = first[state]
            stack.extend((nexts[arc], prefix + symbols[labels[arc]])
                         for arc in range(start + count[state] - 1, start - 1, -1))


def minimal_acceptor(sequences: Iterable[Sequence[int]]) -> Acceptor:
    """The minimal deterministic acceptor of the non-empty label sequences (Daciuk's incremental construction)."""
    words = sorted({tuple(map(int, seq)) for seq in sequences if len(seq)})
    arcs: list[dict[int, int] | None] = [{}]
    final = [False]
    register: dict[tuple[bool, tuple[tuple[int, int], ...]], int] = {}
    path, previous = [0], ()

    def settle(down_to: int) -> None:
        # replace each state below depth `down_to` on the last word's path by an equivalent registered one
        for depth in range(len(previous), down_to, -1):
            child, parent = path[depth], path[depth - 1]
            key = (final[child], tuple(arcs[child].items()))  # type: ignore[union-attr]
            twin = register.setdefault(key, child)
            if twin != child:
                arcs[parent][previous[depth - 1]] = twin  # type: ignore[index]
                arcs[child] = None  # unreachable now: free it
        del path[down_to + 1 :]

    for word in words:
        common, shorter = 0, min(len(previous), len(word))
        while common < shorter and previous[common] == word[common]:
            common += 1
        settle(common)
        for label in word[common:]:
            arcs.append({})
            final.append(False)
            arcs[path[-1]][label] = len(arcs) - 1  # type: ignore[index]
            path.append(len(arcs) - 1)
        final[path[-1]] = True
        previous = word
    settle(0)
    return _numbered(arcs, final) if words else _empty()


def _empty() -> Acceptor:
    nothing = np.zeros(0, np.int64)
    return Acceptor(np.zeros(1, bool), np.zeros(1, np.int64), np.zeros(1, np.int64), nothing, nothing)


def _numbered(arcs: list[dict[int, int] | None], final: list[bool]) -> Acceptor:
    """Number the live states as OpenFST's Determinize + Minimize leave them, so files match Coqui's byte for byte.

    Determinize numbers the trie of the words breadth first (arcs in label order), so a trie node's number ranks its
    prefix by (length, labels). Acyclic minimisation then groups states by height; in each height, the class holding
    the highest-numbered node keeps that node, every other class keeps its lowest-numbered node, and the survivors
    keep their relative order. A minimal state stands for all the trie nodes (prefixes) that reach it, so the
    shortest-then-smallest and longest-then-largest prefixes reaching it give those two candidates.
    """
    order = _topological(arcs)
    height: dict[int, int] = {}
    for state in reversed(order):
        height[state] = max((height[child] + 1 for child in arcs[state].values()), default=0)  # type: ignore[union-attr]
    low: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    high = dict(low)
    for state in order:
        (low_length, low_path), (high_length, high_path) = low[state], high[state]
        for label, child in arcs[state].items():  # type: ignore[union-attr]
            shorter, longer = (low_length + 1, (*low_path, label)), (high_length + 1, (*high_path, label))
            if child not in low or shorter < low[child]:
                low[child] = shorter
            if child not in high or longer > high[child]:
                high[child] = longer
    keeper = {}  # per height: the state holding the highest-numbered trie node
    for state in order:
        if height[state] not in keeper or high[state] > high[keeper[height[state]]]:
            keeper[height[state]] = state
    kept = set(keeper.values())
    ordered = sorted(order, key=lambda state: high[state] if state in kept else low[state])
    number = {state: index for index, state in enumerate(ordered)}
    counts = np.array([len(arcs[s]) for s in ordered], np.int64)  # type: ignore[arg-type]
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    labels = np.array([label for s in ordered for label in arcs[s]], np.int64)  # type: ignore[union-attr]
    nexts = np.array([number[n] for s in ordered for n in arcs[s].values()], np.int64)  # type: ignore[union-attr]
    return Acceptor(np.array([final[s] for s in ordered], bool), first, counts, labels, nexts)


def _topological(arcs: list[dict[int, int] | None]) -> list[int]:
    """The live states, parents before children (reverse DFS postorder from the start)."""
    postorder: list[int] = []
    seen = {0}
    stack = [(0, iter(arcs[0].values()))]  # type: ignore[union-attr]
    while stack:
        state, children = stack[-1]
        child = next((c for c in children if c not in seen), None)
        if child is None:
            stack.pop()
            postorder.append(state)
        else:
            seen.add(child)
            stack.append((child, iter(arcs[child].values())))  # type: ignore[union-attr]
    return postorder[::-1]
