"""Fixtures of the CLI tests."""

from __future__ import annotations

from typing import Any

import pytest

from sttx.core.training.loop import TrainResult


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Replace the training library by a recorder of the config it receives.

    The collections and the alphabet the command lines name exist in the working directory (the collections
    empty, with a valid header): sttx checks each one as the flag is parsed.
    """
    from sttx.core.data.alphabet import default_alphabet_path
    from sttx.plugins.formats.sdb import write_sdb

    data = tmp_path_factory.mktemp("collections")
    for name in ("a.csv", "train.csv", "dev.csv", "test.csv"):
        (data / name).write_text("wav_filename,wav_filesize,transcript\n", encoding="utf-8")
    write_sdb([], data / "b.sdb")
    (data / "data").mkdir()
    (data / "data" / "alphabet.txt").write_bytes(default_alphabet_path().read_bytes())
    monkeypatch.chdir(data)
    configs: list[Any] = []

    def fake_train(config: Any, registries: Any, **kwargs: Any) -> TrainResult:
        configs.append(config)
        return TrainResult(checkpoint_dir=config.save_dir, global_step=0, epochs_completed=0, train_loss=None,
                           best_dev_loss=None)

    monkeypatch.setattr("sttx.core.training.loop.train", fake_train)
    return configs
