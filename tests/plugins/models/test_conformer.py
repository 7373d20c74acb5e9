"""The conformer model plugin: geometry and presets, padding invariance, its front end, CTC lengths, transfer."""

from __future__ import annotations

import types

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.contract.frontend import min_feature_frames, output_frames
from sttx.core.training.transfer import dropped_layers, frozen_layers, layer_of
from sttx.plugins.models.conformer import FRONT_END, PRESETS, geometry, layer_names, parameter_count

tf = pytest.importorskip("tensorflow")


def settings(**overrides: object) -> types.SimpleNamespace:
    base = {"model_size": "xs", "conformer_dim": 0, "conformer_layers": 0, "conformer_heads": 0,
            "conformer_kernel": 0, "dropout_rate": 0.0, "dtype_policy": "float32"}
    return types.SimpleNamespace(**{**base, **overrides})


TINY = {"conformer_dim": 32, "conformer_layers": 2, "conformer_heads": 2, "conformer_kernel": 3}


@pytest.mark.parametrize(("size", "expected"), [("xs", 2_276_885), ("s", 8_366_933), ("m", 26_235_805)])
def test_presets_have_the_documented_sizes(size: str, expected: int) -> None:
    assert parameter_count(PRESETS[size], 29) == expected


@pytest.mark.parametrize("size", ["xs", "s"])
def test_built_models_match_the_parameter_formula(size: str) -> None:
    from sttx.plugins.models.conformer import build_model

    model = build_model(settings(model_size=size), 29)
    assert model.count_params() == parameter_count(PRESETS[size], 29)
    assert model.inputs[0].shape[-1] == 80


def test_overrides_replace_preset_fields_and_bad_geometry_is_a_usage_error() -> None:
    assert geometry(settings(model_size="m", conformer_layers=3)) == PRESETS["m"].__class__(256, 3, 4, 31)
    with pytest.raises(UsageError, match="--model_size 'xl'"):
        geometry(settings(model_size="xl"))
    with pytest.raises(UsageError, match="multiple of --conformer_heads 5"):
        geometry(settings(conformer_heads=5))
    with pytest.raises(UsageError, match="must be odd"):
        geometry(settings(conformer_kernel=4))


@pytest.fixture(scope="module")
def tiny_model():
    from sttx.plugins.models.conformer import build_model

    return build_model(settings(**TINY), 29)


@pytest.mark.parametrize("frames", [1, 4, 5, 57, 100, 101])
def test_output_frames_are_a_quarter_rounded_up(tiny_model, frames: int) -> None:
    logits = tiny_model(np.random.default_rng(0).standard_normal((1, frames, 80)).astype("float32"))
    assert tuple(logits.shape) == (1, output_frames(frames, 4), 29)
    assert tiny_model.time_reduction == 4


def test_a_clip_gives_the_same_outputs_alone_and_padded_in_a_batch(tiny_model) -> None:
    rng = np.random.default_rng(1)
    batch = rng.standard_normal((2, 101, 80)).astype("float32")
    batch[1, 57:] = 0  # the pipeline's zero padding
    together = np.asarray(tiny_model(batch))
    alone = np.asarray(tiny_model(batch[1:2, :57]))
    np.testing.assert_allclose(together[1, : output_frames(57, 4)], alone[0], atol=1e-4)


def test_log_mel_front_end_frames_and_normalisation() -> None:
    from sttx.core.data.features import compute_features

    audio = (0.1 * np.random.default_rng(2).standard_normal(16000)).astype("float32")
    features = compute_features(tf.constant(audio), FRONT_END).numpy()
    assert features.shape == (FRONT_END.n_frames(16000), 80) == (98, 80)  # 1 + (16000 - 400) // 160
    np.testing.assert_allclose(features.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(features.std(axis=0), 1, atol=1e-2)


def test_ctc_needs_four_feature_frames_per_output_frame() -> None:
    assert min_feature_frames(10, 4) == 37  # ceil(37 / 4) = 10, ceil(36 / 4) = 9
    assert output_frames(37, 4) == 10 and output_frames(36, 4) == 9
    assert min_feature_frames(10, 1) == 10 and min_feature_frames(0, 4) == 0


def test_transfer_counts_blocks_from_the_output_side() -> None:
    layers = layer_names(settings(conformer_layers=3))
    assert layers == ("subsampling", "block_1", "block_2", "block_3", "output")
    assert dropped_layers(1, layers) == ("output",)
    assert dropped_layers(3, layers) == ("block_2", "block_3", "output")
    assert dropped_layers(9, layers) == ("block_1", "block_2", "block_3", "output")
    assert frozen_layers(2, 1, layers) == ("subsampling", "block_1", "block_2")
    assert layer_of("block_3_attention/bias_u", layers) == "block_3"
    assert layer_of("optimizer/block_2_conv_depthwise_kernel_momentum", layers) == "block_2"
    assert layer_of("subsampling_conv1/kernel", layers) == "subsampling"
    assert layer_of("output/bias", layers) == "output"


def test_every_weight_belongs_to_a_transfer_layer(tiny_model) -> None:
    layers = layer_names(settings(**TINY))
    owners = {layer_of(weight.path, layers) for weight in tiny_model.weights}
    assert owners == set(layers)


def test_sttx_plugins_shows_each_models_features_and_defaults(pm) -> None:
    import json

    from click.testing import CliRunner

    from sttx.cli import build_cli

    text = CliRunner().invoke(build_cli(pm), ["plugins"]).output
    assert "model conformer: features 80 logmel, 25/10 ms, utterance normalisation; output every 4 frame(s)" in text
    assert "--lr_schedule cosine, --warmup_steps 500" in text
    assert "model deepspeech: features 26 mfcc, 32/20 ms, 9+9 context frames" in text
    rows = json.loads(CliRunner().invoke(build_cli(pm), ["plugins", "--json"]).output)
    (conformer,) = [row["models"]["conformer"] for row in rows if "conformer" in row.get("models", {})]
    assert conformer["front_end"]["n_features"] == 80 and conformer["defaults"]["train_batch_size"] == 8


def test_relative_shift_puts_each_score_at_its_query_key_distance() -> None:
    from sttx.plugins.models.conformer_layers import relative_shift

    steps = 6
    scores = np.random.default_rng(2).standard_normal((2, 3, steps, 2 * steps - 1)).astype("float32")
    shifted = tf.function(relative_shift, input_signature=[tf.TensorSpec([None] * 4)])(tf.constant(scores)).numpy()
    for i in range(steps):
        for j in range(steps):  # column k of the scores is the relative position (T-1) - k
            np.testing.assert_array_equal(shifted[:, :, i, j], scores[:, :, i, (steps - 1) - (i - j)])


def test_word_dropout_drops_its_rate_scales_the_rest_and_repeats_a_seed() -> None:
    from sttx.plugins.models.conformer_layers import WordDropout

    layer = WordDropout(0.1)
    x = np.ones((64, 100, 50), "float32")
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    layer.seed_generator.state.assign([11, 3])
    first = np.asarray(layer(x, training=True))
    assert set(np.unique(first)) == {0.0, np.float32(1 / 0.9)}
    assert abs(np.mean(first == 0) - 0.1) < 0.003  # 320000 draws: the binomial's sd is 0.0005
    layer.seed_generator.state.assign([11, 3])
    assert np.array_equal(np.asarray(layer(x, training=True)), first)
    layer.seed_generator.state.assign([11, 4])
    assert not np.array_equal(np.asarray(layer(x, training=True)), first)
    odd = np.asarray(WordDropout(0.5)(np.ones((3, 7), "float32"), training=True))  # an odd element count
    assert odd.shape == (3, 7) and set(np.unique(odd)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match=r"rate 1\.0"):
        WordDropout(1.0)


def test_word_dropout_takes_a_rate_just_under_one() -> None:
    from sttx.plugins.models.conformer_layers import WordDropout

    out = np.asarray(WordDropout(0.999999)(np.ones((64, 64), "float32"), training=True))
    assert np.mean(out == 0) > 0.99


def test_an_intermediate_ctc_head_reads_its_block_and_stays_out_of_the_outputs() -> None:
    from sttx.plugins.models.conformer import build_model

    model = build_model(settings(**TINY, inter_ctc_weight=0.3, inter_ctc_block=1), 29)
    assert model.intermediate_ctc_weight == 0.3 and len(model.outputs) == 1
    assert model.count_params() == parameter_count(geometry(settings(**TINY)), 29, intermediate=True)
    assert {"output_intermediate/kernel", "output_intermediate/bias"} <= {w.path for w in model.weights}
    assert layer_of("output_intermediate/kernel", layer_names(settings(**TINY))) == "output"
    features = np.random.default_rng(3).standard_normal((2, 40, 80)).astype("float32")
    final, intermediate = (np.asarray(x) for x in model.intermediate_ctc(features))
    np.testing.assert_allclose(final, np.asarray(model(features)), atol=1e-5)
    assert intermediate.shape == final.shape
    noise = np.random.default_rng(4)
    for weight in model.get_layer("block_2_ffn2_dense2").weights:  # the last block: downstream of block 1
        weight.assign(weight + noise.standard_normal(weight.shape).astype("float32"))
    after_final, after_intermediate = (np.asarray(x) for x in model.intermediate_ctc(features))
    np.testing.assert_allclose(after_intermediate, intermediate, atol=1e-6)
    assert not np.allclose(after_final, final, atol=1e-3)


def test_intermediate_ctc_block_defaults_to_the_middle_and_must_precede_the_last() -> None:
    from sttx.plugins.models.conformer import intermediate_ctc

    assert intermediate_ctc(settings(inter_ctc_weight=0.3), PRESETS["xs"]) == (0.3, 2)
    assert intermediate_ctc(settings(inter_ctc_weight=0.3), PRESETS["s"]) == (0.3, 8)
    assert intermediate_ctc(settings(), PRESETS["xs"]) == (0.0, 0)
    one_block = geometry(settings(conformer_layers=1))
    assert intermediate_ctc(settings(inter_ctc_weight=0.3), one_block) == (0.0, 0)  # no block to tap
    with pytest.raises(UsageError, match=r"--inter_ctc_block 4: .* \(1 to 3 of 4\)"):
        intermediate_ctc(settings(inter_ctc_weight=0.3, inter_ctc_block=4), PRESETS["xs"])
