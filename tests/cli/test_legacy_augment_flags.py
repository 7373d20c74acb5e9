"""DeepSpeech 0.7's augmentation flags map onto specs for the same plugins, and the click options feed them."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from sttx.cli.augment_options import legacy_augmentation_options, pop_legacy_augmentations
from sttx.cli.legacy_augment_flags import LegacyFlagError, augmentations_from_legacy_flags
from sttx.core.contract.plugins import get_plugin_manager
from sttx.core.contract.registry import AugmentationRegistry

ALL_ON = {
    "augmentation_spec_dropout_keeprate": 0.9,
    "augmentation_freq_and_time_masking": True,
    "augmentation_pitch_and_tempo_scaling": True,
    "augmentation_speed_up_std": 0.1,
    "data_aug_features_additive": 0.2,
    "data_aug_features_multiplicative": 0.1,
}


@pytest.fixture(scope="module")
def registry() -> AugmentationRegistry:
    """The built-in augmentations, which the legacy flags' specs must parse against."""
    return get_plugin_manager(load_entrypoints=False, disabled=set()).registries().augmentations


def test_defaults_add_nothing() -> None:
    assert augmentations_from_legacy_flags({}) == []


def test_every_flag_maps_to_a_parsable_spec(registry: AugmentationRegistry) -> None:
    specs = augmentations_from_legacy_flags(ALL_ON)
    assert specs == [
        "dropout[p=1,domain=spectrogram,rate=0.1]",
        "frequency_mask[p=1,n=3,size=2~2]",
        "time_mask[p=1,domain=spectrogram,n=3,size=20.0~20.0]",
        "pitch[p=1,pitch=1.075~0.125]",
        "tempo[p=1,factor=1.1~0.1]",
        "tempo[p=1,factor=1.1~0.1]",
        "multiply[p=1,domain=features,stddev=0.1]",
        "add[p=1,domain=features,stddev=0.2]",
    ]
    for spec in specs:
        assert registry.parse(spec).p == 1.0


def test_time_mask_width_matches_deepspeech_span(registry: AugmentationRegistry) -> None:
    flags = {"augmentation_freq_and_time_masking": True, "augmentation_freq_and_time_masking_time_mask_range": 4}
    time_mask = registry.parse(augmentations_from_legacy_flags(flags)[1])
    low, high = time_mask.size.bounds()
    assert (int(low / 20), int(high / 20) - 1) == (0, 3), "0..Q-1 frames of 20 ms"


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("augmentation_spec_dropout_keeprate", 1.5),
        ("augmentation_speed_up_std", -1.0),
        ("data_aug_features_additive", -0.1),
    ],
)
def test_bad_values_name_the_flag(flag: str, value: float) -> None:
    with pytest.raises(LegacyFlagError, match=f"--{flag}"):
        augmentations_from_legacy_flags({flag: value})


def test_click_options_feed_the_mapping() -> None:
    seen: dict[str, Any] = {}

    @click.command()
    @legacy_augmentation_options
    def command(**kwargs: Any) -> None:
        seen["specs"] = pop_legacy_augmentations(kwargs)
        seen["rest"] = kwargs

    args = [
        "--augmentation-spec-dropout-keeprate",
        "0.8",
        "--augmentation_freq_and_time_masking",
        "--data_aug_features_additive=0.5",
    ]
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 0, result.output
    assert seen["rest"] == {}
    assert seen["specs"][0] == "dropout[p=1,domain=spectrogram,rate=0.2]"
    assert seen["specs"][-1] == "add[p=1,domain=features,stddev=0.5]"
    assert any(spec.startswith("frequency_mask") for spec in seen["specs"])
