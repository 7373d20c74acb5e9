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


AUGMENTS = ["volume[dbfs=-10]", "frequency_mask[n=1,size=3]", "time_mask[domain=features,n=1,size=5]"]


def batches(shards, service, pm, augment=(), seed=4568, **settings):
    """Epoch 0 of the sharded corpus as served batches (numpy), with ``augment`` specs."""
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.data.pipeline import make_dataset

    registries = pm.registries()
    refs = read_collection(shards, registries.sample_formats)
    datasets = make_dataset(refs, load_alphabet(""), batch_size=2, train=True, seed=seed, data_service=service,
                            augmentations=[registries.augmentations.parse(text) for text in augment], **settings)
    return datasets, [{key: value.numpy() for key, value in batch.items()} for batch in datasets.for_epoch(0)]


def rows(served):
    """id -> (features [T, F] cut to its length)."""
    return {sample_id.decode(): batch["features"][i, : batch["feature_lengths"][i]]
            for batch in served for i, sample_id in enumerate(batch["ids"])}


def test_augmentations_run_on_the_service_as_they_say(shards, service, pm) -> None:
    plain = rows(batches(shards, service, pm)[1])
    first, second = rows(batches(shards, service, pm, AUGMENTS)[1]), rows(batches(shards, service, pm, AUGMENTS)[1])
    other = rows(batches(shards, service, pm, AUGMENTS, seed=1)[1])
    assert plain.keys() == first.keys() and len(plain) == 5
    for sample_id, features in first.items():
        np.testing.assert_array_equal(features, second[sample_id])  # the same seed, the same batches
        assert features.shape == plain[sample_id].shape and not np.allclose(features, plain[sample_id])
        silent = np.flatnonzero((features == 0).all(axis=1))
        assert len(silent) == 1  # time_mask: one stretch of 5 ms, rounded up to one frame, zeroed
        assert not (plain[sample_id] == 0).all(axis=1).any()
    assert any(not np.array_equal(first[key], other[key]) for key in first)  # another seed, other draws


def test_volume_on_the_service_moves_only_the_energy_coefficient(shards, service, pm) -> None:
    plain = rows(batches(shards, service, pm)[1])
    quieter = rows(batches(shards, service, pm, ["volume[dbfs=-20]"])[1])
    for sample_id, features in quieter.items():
        # a gain g adds log(g) to every log-mel channel, which the DCT puts into coefficient 0 alone
        np.testing.assert_allclose(features[:, 1:], plain[sample_id][:, 1:], atol=2e-3)
        shift = features[:, 0] - plain[sample_id][:, 0]
        moved = shift[np.abs(shift) > 1e-3]  # digitally silent frames sit at the log floor either way
        assert len(moved) > len(shift) / 2 and moved.mean() < -1.0 and moved.std() < 1e-2


def test_the_service_draws_what_the_graph_stages_draw(tmp_path, shards, service, pm) -> None:
    from sttx.core.contract.clock import clock
    from sttx.core.data.audio import write_audio
    from sttx.core.data.graph_stages import GraphStages

    write_audio(tmp_path / "noise.wav", np.random.default_rng(0).standard_normal(8000) * 0.1, 16000)
    augment = [f"overlay[source={tmp_path / 'noise.wav'},snr=10~5]", "volume[dbfs=-25:-5]", "pitch[pitch=1~0.2]",
               "time_mask[domain=features,n=1:3,size=40]"]
    datasets, served = batches(shards, service, pm, augment)
    plan = datasets.plan(0)
    stages = GraphStages(datasets.chains, datasets.front_end, 16000, 4568, 0)
    got = rows(served)
    for index, position in zip(plan.index, plan.position, strict=True):
        ref = datasets.refs[index]
        wave = tf.constant(np.asarray(ref.load().audio, np.float32).reshape(-1))
        at = clock(0, 1, int(position), plan.count)
        expected = stages.features(wave, tf.constant(index, tf.int64), tf.constant(at, tf.float64),
                                   len(datasets.labels[index]))
        np.testing.assert_allclose(got[str(ref.id)], expected.numpy(), atol=1e-4)


def test_the_service_computes_the_models_front_end(shards, service, pm) -> None:
    from sttx.plugins.models.conformer import FRONT_END

    local = rows(batches(shards, "", pm, front_end=FRONT_END)[1])
    served = rows(batches(shards, service, pm, front_end=FRONT_END)[1])
    assert next(iter(served.values())).shape[1] == 80
    for sample_id, features in served.items():
        np.testing.assert_allclose(features, local[sample_id], atol=1e-4)


def test_augmentations_without_a_graph_are_refused_in_one_line(tmp_path, shards, service, pm) -> None:
    from click.testing import CliRunner

    from sttx.cli import build_cli

    with pytest.raises(UsageError, match=r"^--data_service: codec has no graph implementation"):
        batches(shards, service, pm, ["codec", "volume", "codec[bitrate=8000]"])
    args = ["train", "--train_files", shards, "--checkpoint_dir", str(tmp_path), "--n_hidden", "16", "--epochs", "1",
            "--data_service", service, "--augment", "codec[bitrate=16000]", "--augment", "volume"]
    result = CliRunner().invoke(build_cli(pm), args)
    assert result.exit_code == 2, result.output
    message = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert message == ["Error: --data_service: codec has no graph implementation (it runs in Python); run it "
                       "without --data_service"]


def test_overlay_on_the_service_reads_wav_noise_only(tmp_path, shards, service, pm) -> None:
    from sttx.core.data.audio import write_audio

    write_audio(tmp_path / "noise.flac", np.zeros(1600), 16000)
    with pytest.raises(UsageError, match=r"overlay in graph \(--data_service\) reads mono 16-bit WAV noise"):
        batches(shards, service, pm, [f"overlay[source={tmp_path / 'noise.flac'}]"])
