"""``check_tflite``: the structural rules a .tflite must meet before the stock libstt 1.4 can run it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from sttx.plugins.exporters.flatbuffer import (
    ALPHABET,
    CUSTOM_OPS,
    FORBIDDEN_OPS,
    INPUTS,
    INT_METADATA,
    MAX_RUNTIME,
    OUTPUTS,
    TFLiteCheckError,
)

#: Highest op versions the TFLite 2.9 runtime in libstt registers, for the ops sttx exports can contain.
MAX_OP_VERSIONS = {"FULLY_CONNECTED": 9, "RESHAPE": 1, "SOFTMAX": 3, "DEQUANTIZE": 5, "UNPACK": 4, "SPLIT": 4}


@attrs.frozen
class TFLiteSummary:
    """What a checked file declares: geometry libstt derives, and the op inventory."""

    n_steps: int
    n_context: int
    n_input: int
    n_hidden: int
    n_classes: int
    ops: dict[str, int]
    min_runtime_version: str | None


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def _min_runtime(model: Any) -> str | None:
    for entry in model.metadata or ():
        name = entry.name.decode() if isinstance(entry.name, bytes) else entry.name
        if name == "min_runtime_version":
            return bytes(model.buffers[entry.buffer].data).split(b"\0")[0].decode()
    return None


def _op_name(model: Any, operator: Any) -> str:
    from tensorflow.lite.tools import flatbuffer_utils

    code = model.operatorCodes[operator.opcodeIndex]
    if code.customCode:
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
        return f"custom:{custom}"
    return flatbuffer_utils.opcode_to_name(model, operator.opcodeIndex)


def _named(subgraph: Any, indices: Any) -> dict[str, Any]:
    return {_text(subgraph.tensors[i].name): (i, subgraph.tensors[i]) for i in indices}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def check_tflite(path: str | Path) -> TFLiteSummary:
    """Raise TFLiteCheckError naming the first broken rule of the libstt interface; else summarise the file."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    where = f"{path}"
    if len(model.subgraphs) != 1:
        raise TFLiteCheckError(f"{where}: {len(model.subgraphs)} subgraphs (control flow); libstt needs one")
    subgraph = model.subgraphs[0]
    inputs, outputs = _named(subgraph, subgraph.inputs), _named(subgraph, subgraph.outputs)
    for kind, table, required in (("input", inputs, INPUTS), ("output", outputs, OUTPUTS)):
        for name, rank in required.items():
            if name not in table:
                raise TFLiteCheckError(f"{where}: no {kind} tensor named {name!r}")
            if rank is not None and len(table[name][1].shape) != rank:
                raise TFLiteCheckError(f"{where}: {kind} {name!r} has rank {len(table[name][1].shape)}, not {rank}")
    ops = _check_ops(model, subgraph, where)
    _check_metadata(model, subgraph, outputs, where)
    runtime = _min_runtime(model)
    if runtime is not None and _version_tuple(runtime) > MAX_RUNTIME:
        raise TFLiteCheckError(f"{where}: min_runtime_version {runtime} is newer than libstt's TFLite 2.9.1")
    node = inputs["input_node"][1].shape
    return TFLiteSummary(
        n_steps=int(node[1]),
        n_context=(int(node[2]) - 1) // 2,
        n_input=int(node[3]),
        n_hidden=int(inputs["previous_state_c"][1].shape[1]),
        n_classes=int(outputs["logits"][1].shape[1]),
        ops=ops,
        min_runtime_version=runtime,
    )


def _check_ops(model: Any, subgraph: Any, where: str) -> dict[str, int]:
    ops: dict[str, int] = {}
    for operator in subgraph.operators:
        name = _op_name(model, operator)
        version = model.operatorCodes[operator.opcodeIndex].version
        if name in FORBIDDEN_OPS or name.startswith("custom:Flex"):
            raise TFLiteCheckError(f"{where}: operator {name} cannot run in libstt (control flow, variables, Flex)")
        if name.startswith("custom:") and name[7:] not in CUSTOM_OPS:
            raise TFLiteCheckError(f"{where}: custom operator {name[7:]!r} is unknown to libstt")
        if version > MAX_OP_VERSIONS.get(name, version):
            raise TFLiteCheckError(f"{where}: {name} version {version} is newer than TFLite 2.9 supports")
        ops[name] = max(ops.get(name, 0), version)
    return ops


def _check_metadata(model: Any, subgraph: Any, outputs: dict[str, Any], where: str) -> None:
    from tensorflow.lite.python import schema_py_generated as schema

    producers = {int(out): position for position, op in enumerate(subgraph.operators) for out in op.outputs}
    for name in (*INT_METADATA, ALPHABET):
        if name not in outputs:
            raise TFLiteCheckError(f"{where}: no output tensor named {name!r}")
        index = outputs[name][0]
        if index not in producers:
            raise TFLiteCheckError(f"{where}: output {name!r} has no producing operator (libstt would crash)")
        operator = subgraph.operators[producers[index]]
        for source in operator.inputs:
            data = model.buffers[subgraph.tensors[source].buffer].data
            if source >= 0 and (data is None or len(data) == 0):
                raise TFLiteCheckError(f"{where}: producer of {name!r} reads a non-constant tensor")
    if producers[outputs[ALPHABET][0]] != len(subgraph.operators) - 1:
        raise TFLiteCheckError(f"{where}: the producer of {ALPHABET!r} must be the last operator")
    alphabet_value = {outputs[ALPHABET][0], *subgraph.operators[-1].inputs}
    for index, tensor in enumerate(subgraph.tensors):
        if tensor.type == schema.TensorType.STRING and index not in alphabet_value:
            raise TFLiteCheckError(f"{where}: string tensor {_text(tensor.name)!r} besides the alphabet")
