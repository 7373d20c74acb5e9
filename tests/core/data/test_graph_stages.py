"""The refusal of augmentations without a graph implementation names them all, in one line."""

from __future__ import annotations

import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.data.graph_stages import check_graph_capable


def test_refusal_names_every_python_only_augmentation_once(pm) -> None:
    registry = pm.registries().augmentations
    capable = [registry.parse("volume"), registry.parse("time_mask[domain=features]")]
    check_graph_capable(capable)  # nothing to refuse
    codec = registry.parse("codec")
    with pytest.raises(UsageError) as refused:
        check_graph_capable([codec, *capable, codec])
    assert str(refused.value) == ("--data_service: codec has no graph implementation (it runs in Python); run it "
                                  "without --data_service")

    class Other(type(codec)):  # a second Python-only augmentation under another name
        name = "other"

    with pytest.raises(UsageError) as refused:
        check_graph_capable([codec, Other(), codec])
    assert str(refused.value) == ("--data_service: codec, other have no graph implementation (they run in Python); "
                                  "run them without --data_service")
