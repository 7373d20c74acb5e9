"""tempo changes the frame count by 1/factor, honours max_time, never goes below what the model needs."""

from __future__ import annotations

import numpy as np

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.conftest import context


def test_tempo_frame_counts(registry: AugmentationRegistry) -> None:
    data = np.random.default_rng(0).random((100, 257)).astype(np.float32)
    assert registry.parse("tempo[factor=2]")(data, context())[0].shape == (50, 257)
    assert registry.parse("tempo[factor=0.5]")(data, context())[0].shape == (200, 257)
    assert registry.parse("tempo[factor=1,max_time=400]")(data, context())[0].shape == (20, 257)


def test_tempo_never_shortens_below_the_label(registry: AugmentationRegistry) -> None:
    data = np.ones((100, 26), np.float32)
    out, _ = registry.parse("tempo[factor=4,max_time=100]")(data, context(label_length=37))
    assert out.shape == (37, 26)


def test_tempo_keeps_the_frames_a_subsampling_model_needs(registry: AugmentationRegistry) -> None:
    # a model that subsamples 4x needs 4 frames a label: 10 labels need 40 frames, not 10
    data = np.ones((100, 80), np.float32)
    assert registry.parse("tempo[factor=4]")(data, context(label_length=10, min_frames=40))[0].shape == (40, 80)
    assert registry.parse("tempo[factor=2]")(data, context(label_length=10, min_frames=40))[0].shape == (50, 80)
    # a clip already too short is not shortened further (the length check rejects it, as without tempo)
    short = np.ones((30, 80), np.float32)
    assert registry.parse("tempo[factor=2]")(short, context(label_length=10, min_frames=40))[0].shape == (30, 80)
    assert registry.parse("tempo[factor=0.5]")(short, context(label_length=10, min_frames=40))[0].shape == (60, 80)


def test_a_fast_tempo_rejects_no_clip_a_subsampling_model_could_learn(tmp_path, registry: AugmentationRegistry) -> None:
    """In training, tempo[factor=8] before a model that subsamples 4x rejects only the clips too short without it."""
    import soundfile

    from sttx.core.contract.samples import SampleRef
    from sttx.core.data.alphabet import Alphabet
    from sttx.core.data.pipeline import make_dataset
    from sttx.core.data.sources import FileAudio

    rng = np.random.default_rng(5)
    refs = []
    for i in range(24):
        samples = int(rng.integers(4000, 64000))
        path = tmp_path / f"clip{i:02d}.wav"
        soundfile.write(path, (0.1 * rng.standard_normal(samples)).astype(np.float32), 16000, subtype="PCM_16")
        text = " ".join(rng.choice(["a", "bee", "cat", "door", "apple"], size=int(rng.integers(1, 5))))
        refs.append(SampleRef(id=str(path), transcript=text, audio=FileAudio(str(path)), size=path.stat().st_size))
    alphabet = Alphabet(list(" abcdefghijklmnopqrstuvwxyz'"))

    def rejected(augmentations: list) -> dict[str, int]:
        datasets = make_dataset(refs, alphabet, batch_size=4, train=True, augmentations=augmentations,
                                time_reduction=4)
        list(datasets.for_epoch(0).as_numpy_iterator())
        return datasets.rejects.counts()

    plain = rejected([])
    assert 0 < plain.get("too_short_for_transcript", 0) < 24  # the corpus has both kinds of clip
    assert rejected([registry.parse("tempo[factor=8]")]) == plain
