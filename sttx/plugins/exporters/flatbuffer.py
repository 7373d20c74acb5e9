"""Post-processing and checking of .tflite flatbuffers for the Coqui STT 1.x native client (libstt)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from sttx.core.contract.errors import SttxError

#: Metadata outputs libstt reads; the string alphabet must be produced by the very last operator.
INT_METADATA = (
    "metadata_version",
    "metadata_sample_rate",
    "metadata_feature_win_len",
    "metadata_feature_win_step",
    "metadata_beam_width",
)
ALPHABET = "metadata_alphabet"
#: name -> rank libstt relies on (None: any rank)
INPUTS = {"input_samples": None, "input_node": 4, "previous_state_c": 2, "previous_state_h": 2}
OUTPUTS = {"mfccs": None, "logits": 2, "new_state_c": 2, "new_state_h": 2}
FORBIDDEN_OPS = {"WHILE", "IF", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "CALL"}
CUSTOM_OPS = {"AudioSpectrogram", "Mfcc"}
MAX_RUNTIME = (2, 9, 1)  # the TFLite inside libstt 1.4


class TFLiteCheckError(SttxError):
    """A .tflite file breaks a rule of the libstt interface (names the file and the rule)."""


def _schema() -> Any:
    from tensorflow.lite.python import schema_py_generated

    return schema_py_generated


def _string_buffer(value: bytes) -> bytes:
    """TFLite's string tensor layout: count, offsets (count+1), then the bytes."""
    return struct.pack("<3i", 1, 12, 12 + len(value)) + value


def _add_tensor(model: Any, subgraph: Any, name: str, dtype: int, shape: list[int], data: bytes | None) -> int:
    schema = _schema()
    buffer = schema.BufferT()
    if data is not None:
        buffer.data = np.frombuffer(data, np.uint8)
        model.buffers.append(buffer)
        buffer_index = len(model.buffers) - 1
    else:
        buffer_index = 0  # the empty buffer: a computed tensor
    tensor = schema.TensorT()
    tensor.name, tensor.type, tensor.shape, tensor.buffer = name, dtype, np.array(shape, np.int32), buffer_index
    subgraph.tensors.append(tensor)
    return len(subgraph.tensors) - 1


def _reshape_opcode(model: Any) -> int:
    schema = _schema()
    reshape = schema.BuiltinOperator.RESHAPE
    for index, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == reshape and code.version == 1:
            return index
    code = schema.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = reshape, reshape, 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def add_metadata_producers(model_bytes: bytes, ints: dict[str, int], alphabet_blob: bytes) -> bytes:
    """Append one ``RESHAPE(const value, const shape)`` producer per metadata output, the alphabet's last.

    libstt runs only the first parent operator of each metadata output, and TFLite 2.9 leaves every operator
    after the first dynamic (string) output unprepared, hence appended producers with the alphabet at the end.
    """
    from tensorflow.lite.tools import flatbuffer_utils

    schema = _schema()
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(model_bytes))
    subgraph = model.subgraphs[0]
    opcode = _reshape_opcode(model)
    entries = [(name, schema.TensorType.INT32, struct.pack("<i", int(ints[name]))) for name in INT_METADATA]
    entries.append((ALPHABET, schema.TensorType.STRING, _string_buffer(alphabet_blob)))
    outputs = list(subgraph.outputs)
    for name, dtype, data in entries:
        value = _add_tensor(model, subgraph, f"{name}/value", dtype, [1], data)
        shape = _add_tensor(model, subgraph, f"{name}/shape", schema.TensorType.INT32, [1], struct.pack("<i", 1))
        output = _add_tensor(model, subgraph, name, dtype, [1], None)
        operator = schema.OperatorT()
        operator.opcodeIndex, operator.inputs, operator.outputs = opcode, [value, shape], [output]
        subgraph.operators.append(operator)
        outputs.append(output)
    subgraph.outputs = np.array(outputs, np.int32)
    model.signatureDefs = None  # the converter's signature lacks the metadata outputs; TFLite 2.9 ignores it
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
