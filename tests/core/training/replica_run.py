"""A training run in its own process (logical CPU devices must be set before TensorFlow initialises).

``python -m tests.core.training.replica_run SETTINGS_JSON OUT_NPZ [STOP_AT_STEP]`` trains with the TrainConfig
settings given, prints the run's lines, and saves the final weights and the result's figures to OUT_NPZ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main(settings_json: str, out: str, stop_at: int = 0) -> None:
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.training.config import TrainConfig
    from sttx.core.training.loop import train
    from sttx.core.training.stopping import StopRequest

    config = TrainConfig(**json.loads(settings_json))
    registries = get_plugin_manager(load_entrypoints=False, disabled=set()).registries()
    stop = StopRequest(at_step=stop_at) if stop_at else StopRequest()
    result = train(config, registries, echo=lambda line: print(line, flush=True), stop=stop)
    weights = {f"w{i}": np.asarray(v) for i, v in enumerate(result.model.weights)}
    np.savez(Path(out), **weights, global_step=result.global_step, chief=result.chief,
             train_loss=np.nan if result.train_loss is None else result.train_loss)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
