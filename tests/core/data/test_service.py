"""tf.data service: a dispatcher and a worker in this process make the planned training batches of a sharded
corpus, the same batches the local pipeline makes, so training gives the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.data.collections import read_collection
from sttx.core.training.config import TrainConfig
from sttx.core.training.loop import train
from sttx.core.training.sample_job import SAMPLE_CSV
from sttx.plugins.formats.shards import write_shards

tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def service() -> str:
    """grpc://localhost:PORT of a dispatcher with one worker, both in this process."""
    from sttx.core.data.service import start_server

    dispatcher = start_server("dispatcher", port=0)
    address = dispatcher.target.removeprefix("grpc://")
    worker = start_server("worker", port=0, dispatcher=address)
    yield dispatcher.target
    worker.stop()
    dispatcher.stop()


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> str:
    from sttx.core.contract.plugins import get_plugin_manager

    formats = get_plugin_manager(load_entrypoints=False, disabled=set()).registries().sample_formats
    refs = sorted(read_collection(str(SAMPLE_CSV), formats), key=lambda ref: ref.size)[:5]
    path = tmp_path_factory.mktemp("shards") / "five.shards.json"
    write_shards((ref.load() for ref in refs), path, shards=2)
    return str(path)


def run(directory, files, pm, **overrides):
    config = TrainConfig(train_files=files, checkpoint_dir=str(directory), n_hidden=16, epochs=1, train_batch_size=2,
                         dropout_rate=0.0, show_progressbar=False, checkpoint_secs=0, **overrides)
    return train(config, pm.registries(), echo=lambda line: None)


def test_training_on_the_service_matches_the_local_pipeline(tmp_path, shards, service, pm) -> None:
    local = run(tmp_path / "local", shards, pm)
    served = run(tmp_path / "served", shards, pm, data_service=service)
    assert served.global_step == local.global_step == 3
    assert served.train_loss == pytest.approx(local.train_loss, rel=1e-5)
    for a, b in zip(local.model.weights, served.model.weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_the_service_refuses_what_it_cannot_run(tmp_path, service, pm) -> None:
    with pytest.raises(UsageError, match="--data_service reads sharded corpora only"):
        run(tmp_path / "csv", str(SAMPLE_CSV), pm, data_service=service, limit_train=2)


def test_serve_needs_one_role(pm) -> None:
    from click.testing import CliRunner

    from sttx.cli import build_cli

    for args in ([], ["--dispatcher", "--worker"]):
        result = CliRunner().invoke(build_cli(pm), ["data", "serve", *args])
        assert result.exit_code == 2 and "exactly one of --dispatcher and --worker" in result.output
    result = CliRunner().invoke(build_cli(pm), ["data", "serve", "--worker", "--port", "0"])
    assert result.exit_code == 2 and "needs --dispatcher_address" in result.output
