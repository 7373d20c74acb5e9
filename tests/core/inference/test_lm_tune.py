"""`sttx lm tune`'s library: the search improves on a bad pair, outputs are cached by fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.decoding import DecodeSettings
from sttx.core.data.alphabet import load_alphabet
from sttx.core.inference.lm import outputs as outputs_module
from sttx.core.inference.lm.outputs import AcousticOutputs, fingerprint, load_outputs, save_outputs
from sttx.core.inference.lm.tune import TuneConfig, search
from sttx.plugins.decoders.beam import create_beam
from tests.plugins.decoders.arpa import write_arpa
from tests.plugins.decoders.test_beam import TEXT, spoken

#: what the model "heard": misspellings a language model of TEXT can fix
HEARD = {"the cat sat on the mat": "the cet sat on the mad", "the dog sat on the log": "the dog set on the lag",
         "a cat and a dog": "a cat end a dog", "the man ran to the van": "the men ran to the van"}


@pytest.fixture(scope="module")
def alphabet():
    return load_alphabet()


@pytest.fixture(scope="module")
def data(alphabet) -> AcousticOutputs:
    outputs = tuple(spoken(alphabet, heard, sure=-0.4, other=-3.0) for heard in HEARD.values())
    return AcousticOutputs(outputs, tuple(HEARD), alphabet)


@pytest.mark.parametrize("exact_trials", [False, True])
def test_search_finds_better_weights_than_a_bad_start(alphabet, data: AcousticOutputs, tmp_path: Path,
                                                      exact_trials: bool) -> None:
    """Both ways: trials rescoring candidates (then the best pairs decoded), and every trial decoding."""
    arpa = write_arpa(TEXT, tmp_path / "lm.arpa")
    decoder = create_beam(DecodeSettings(beam_width=16, scorer_path=str(arpa)), alphabet)
    config = TuneConfig(test_files=("x.csv",), scorer_path=str(arpa), n_trials=25, lm_alpha_max=8, lm_beta_max=3,
                        workers=2, show_progressbar=False, exact_trials=exact_trials)
    alpha, beta, error, start = search(decoder, data, config, (8.0, 0.0))
    assert start[:2] == (8.0, 0.0) and start[2] > 0.5  # an LM weighted that much drops most words
    assert error < start[2] and error <= 0.1
    best = decoder.with_weights(alpha, beta)
    decoded = [best.decode(output)[0].text for output in data.outputs]
    assert sum(a != b for a, b in zip(decoded, HEARD, strict=True)) <= 1


def test_rescoring_picks_each_utterances_best_candidate() -> None:
    from sttx.core.inference.lm.rescore import CandidatePool

    # utterance 0: a right candidate with a better LM score, a wrong one with better acoustics; utterance 1: one
    pool = CandidatePool(utterance=np.array([0, 0, 1]), acoustic=np.array([-5.0, -1.0, -2.0]),
                         lm=np.array([-1.0, -9.0, -3.0]), words=np.array([3, 3, 2]),
                         distance=np.array([0, 2, 1]), lengths=np.array([3, 2]))
    assert pool.error_rate(0.0, 0.0) == pytest.approx(3 / 5)  # acoustics alone pick the wrong one
    assert pool.error_rate(1.0, 0.0) == pytest.approx(1 / 5)  # -5 - 1 beats -1 - 9


def test_outputs_round_trip_and_fingerprint(alphabet, data: AcousticOutputs, tmp_path: Path) -> None:
    path = tmp_path / "cache" / "x.npz"
    save_outputs(path, data)
    loaded = load_outputs(path)
    assert loaded.from_cache and loaded.references == data.references and loaded.alphabet == alphabet
    assert all(np.array_equal(a, b) for a, b in zip(loaded.outputs, data.outputs, strict=True))
    model, table = tmp_path / "model.tflite", tmp_path / "test.csv"
    model.write_bytes(b"weights")
    table.write_text("wav_filename,wav_filesize,transcript\na.wav,1,a\n")
    first = fingerprint(str(model), [str(table)])
    assert fingerprint(str(model), [str(table)]) == first
    table.write_text("wav_filename,wav_filesize,transcript\na.wav,1,b\n")
    assert fingerprint(str(model), [str(table)]) != first  # other data
    model.write_bytes(b"weightz")
    assert fingerprint(str(model), [str(table)]) not in {first}


def test_cached_outputs_do_not_run_the_model_twice(alphabet, data, tmp_path: Path, monkeypatch) -> None:
    runs: list[str] = []

    def fake_run(model, test_files, registries, progress=True):
        runs.append(model)
        return data

    monkeypatch.setattr(outputs_module, "export_outputs", fake_run)
    model, table = tmp_path / "m.tflite", tmp_path / "t.csv"
    model.write_bytes(b"m")
    table.write_text("wav_filename,wav_filesize,transcript\n")
    kwargs = {"model": str(model), "test_files": [str(table)], "registries": None, "cache_dir": tmp_path / "c"}
    first = outputs_module.cached_outputs(**kwargs)
    second = outputs_module.cached_outputs(**kwargs)
    assert runs == [str(model)] and not first.from_cache and second.from_cache
    assert second.references == data.references
    shutil.rmtree(tmp_path / "c")
    outputs_module.cached_outputs(**kwargs)
    assert len(runs) == 2
