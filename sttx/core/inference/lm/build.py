"""`sttx lm build`: text -> normalised corpus -> lmplz -> filter to the top-k words -> build_binary -> kenlm.scorer."""

from __future__ import annotations

import itertools
import logging
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from sttx.core.contract.errors import SttxError, UsageError
from sttx.core.inference.lm.corpus import CorpusStats, Normaliser, Validator, normalise_files, top_words
from sttx.core.inference.lm.tools import KenLMTools, ensure_tools
from sttx.core.inference.scorer import DEFAULT_ALPHA, DEFAULT_BETA, ScorerInfo, write_scorer

if TYPE_CHECKING:
    from sttx.core.data.alphabet import Alphabet

log = logging.getLogger(__name__)
SCORER_NAME = "kenlm.scorer"
BINARY_NAME = "lm.binary"


class KenLMError(SttxError):
    """A KenLM tool failed; the message quotes its most telling line, ``stderr`` holds all it printed."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


@attrs.frozen(kw_only=True)
class LmBuildConfig:
    """Settings of one build, named as DeepSpeech's generate_lm.py and generate_scorer_package named them."""

    text: tuple[Path, ...]
    output_dir: Path
    alphabet: Alphabet
    order: int = 5
    top_k: int = 500000
    prune: tuple[int, ...] = (0, 0, 1)
    max_arpa_memory: str = "1G"
    binary_a_bits: int = 255
    binary_q_bits: int = 8
    binary_type: str = "trie"
    discount_fallback: bool = False
    default_alpha: float = DEFAULT_ALPHA
    default_beta: float = DEFAULT_BETA
    validate: Validator | None = None
    show_progressbar: bool = True


@attrs.frozen
class LmBuildResult:
    """What was written and the figures worth reporting."""

    scorer: ScorerInfo
    scorer_path: Path
    binary: Path
    vocabulary_file: Path
    corpus: CorpusStats
    vocabulary: int
    discount_fallback: bool


def parse_prune(text: str) -> tuple[int, ...]:
    """``0|0|1``, ``0 0 1`` or ``0,0,1``: one count threshold per order from 1 (lmplz's --prune)."""
    parts = [part for part in re.split(r"[|,\s]+", text.strip()) if part]
    if not parts or not all(part.isdigit() for part in parts):
        raise UsageError(f"--prune {text!r}: expected non-negative counts such as '0 0 1'")
    values = tuple(int(part) for part in parts)
    if any(later < earlier for earlier, later in itertools.pairwise(values)):
        raise UsageError(f"--prune {text!r}: thresholds must not decrease with the order (lmplz refuses that)")
    return values


def build_lm(
    config: LmBuildConfig, tools: KenLMTools | None = None, report: Callable[[str], None] = log.info
) -> LmBuildResult:
    """Run the whole pipeline; the output dir keeps vocab-<top_k>.txt, lm.binary and kenlm.scorer.

    :param report: called with a line as each long step starts (the CLI prints them on stderr)
    """
    _check_config(config)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sttx-lm-", dir=config.output_dir) as scratch:
        work = Path(scratch)
        corpus_path = work / "lower.txt"
        with corpus_path.open("w", encoding="utf-8") as out:
            stats = _normalise(config, out)
        log.info("corpus: %d of %d lines kept, %d words, %d distinct", stats.kept, stats.lines, stats.words,
                 len(stats.counts))
        vocabulary = top_words(stats.counts, config.top_k)
        vocab_file = config.output_dir / f"vocab-{config.top_k}.txt"
        vocab_file.write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
        tools = tools or ensure_tools()
        report(f"estimating an order-{config.order} model of {stats.words} words with lmplz")
        arpa, fallback = _estimate(tools, config, corpus_path, work)
        report(f"filtering it to the {len(vocabulary)} most frequent words, then build_binary ({config.binary_type})")
        filtered = work / "lm_filtered.arpa"
        _run([str(tools.filter), "single", f"model:{arpa}", str(filtered)], "filter",
             stdin=vocab_file.read_bytes())
        binary = config.output_dir / BINARY_NAME
        # quantisation and pointer compression exist only in the trie structure: build_binary refuses them otherwise
        compress = ["-a", str(config.binary_a_bits), "-q", str(config.binary_q_bits)] if config.binary_type == "trie" \
            else []
        _run([str(tools.build_binary), *compress, "-v", config.binary_type, str(filtered), str(binary)], "build_binary")
    scorer_path = config.output_dir / SCORER_NAME
    report(f"writing {scorer_path} with the vocabulary trie")
    info = write_scorer(binary, vocabulary, config.alphabet, scorer_path, config.default_alpha, config.default_beta,
                        utf8=config.alphabet.is_bytes)
    return LmBuildResult(info, scorer_path, binary, vocab_file, stats, len(vocabulary), fallback)


def _check_config(config: LmBuildConfig) -> None:
    if not 2 <= config.order <= 6:
        raise UsageError(f"--order {config.order}: KenLM's tools here are built for orders 2 to 6")
    if config.top_k < 1:
        raise UsageError(f"--top_k {config.top_k}: keep at least one word")
    if len(config.prune) > config.order:
        raise UsageError(f"--prune has {len(config.prune)} thresholds for an order-{config.order} model")
    if config.binary_type not in ("trie", "probing"):
        raise UsageError(f"--binary_type {config.binary_type!r}: trie or probing")


def _normalise(config: LmBuildConfig, out: object) -> CorpusStats:
    from tqdm import tqdm

    total = sum(path.stat().st_size for path in config.text if path.is_file())
    hide = None if config.show_progressbar else True  # None: tqdm shows the bar on a terminal only
    with tqdm(total=total, unit="B", unit_scale=True, desc="reading text", disable=hide, leave=False) as bar:
        return normalise_files(config.text, Normaliser(config.alphabet, config.validate), out,  # type: ignore[arg-type]
                               progress=bar.update)


def _estimate(tools: KenLMTools, config: LmBuildConfig, corpus: Path, work: Path) -> tuple[Path, bool]:
    """lmplz; a small corpus makes Kneser-Ney discounts incomputable, and lmplz then asks for --discount_fallback."""
    arpa = work / "lm.arpa"
    command = [str(tools.lmplz), "--order", str(config.order), "--temp_prefix", str(work), "--memory",
               config.max_arpa_memory, "--text", str(corpus), "--arpa", str(arpa), "--prune",
               *(str(value) for value in config.prune)]
    if config.discount_fallback:
        _run([*command, "--discount_fallback"], "lmplz")
        return arpa, True
    try:
        _run(command, "lmplz")
    except KenLMError as error:
        if "--discount_fallback" not in error.stderr:
            raise
        log.warning("the text is too small for lmplz's discount estimates: retrying with --discount_fallback")
        _run([*command, "--discount_fallback"], "lmplz")
        return arpa, True
    return arpa, False


def _run(command: Sequence[str], name: str, stdin: bytes | None = None) -> None:
    """Run a KenLM tool; KenLMError with its most telling line (and its whole stderr as a second argument)."""
    done = subprocess.run(list(command), input=stdin, capture_output=True, check=False)
    if done.returncode == 0:
        return
    stderr = done.stderr.decode("utf-8", errors="replace")
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not set(line.strip()) <= set("*-")]
    # KenLM prints "<source location> threw <Exception> because ..." and then the human explanation: prefer that
    thrown = next((index for index, line in enumerate(lines) if " threw " in line), None)
    if thrown is not None and thrown + 1 < len(lines):
        telling = lines[thrown + 1]
    else:
        telling = next((line for line in lines if "rror" in line), lines[-1] if lines else "")
    raise KenLMError(f"KenLM {name} failed (exit {done.returncode}): {telling}", stderr)
