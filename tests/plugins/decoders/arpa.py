"""A bigram ARPA model of a small text (absolute discounting, backoff to unigrams): a valid KenLM input."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path


def write_arpa(sentences: list[str], path: Path, discount: float = 0.5) -> Path:
    """Write a bigram ARPA of ``sentences`` (lower-case words split on spaces) and return its path."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for sentence in sentences:
        words = ["<s>", *sentence.split(), "</s>"]
        unigrams.update(words[1:])
        bigrams.update(itertools.pairwise(words))
    total = sum(unigrams.values())
    vocab = ["<unk>", "<s>", *sorted(w for w in unigrams if w != "</s>"), "</s>"]
    followers = Counter(first for first, _ in bigrams)
    history_count: Counter[str] = Counter()
    for (first, _), count in bigrams.items():
        history_count[first] += count
    lines = ["\\data\\", f"ngram 1={len(vocab)}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    for word in vocab:
        prob = -99.0 if word == "<s>" else math.log10(max(unigrams[word], 0.5) / total)
        backoff = ""
        if followers[word]:
            backoff = f"\t{math.log10(discount * followers[word] / history_count[word]):.6f}"
        lines.append(f"{prob:.6f}\t{word}{backoff}")
    lines += ["", "\\2-grams:"]
    for (first, second), count in sorted(bigrams.items()):
        lines.append(f"{math.log10((count - discount) / history_count[first]):.6f}\t{first} {second}")
    lines += ["", "\\end\\", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
