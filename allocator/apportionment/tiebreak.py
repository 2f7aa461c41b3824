"""Deterministic tie-break keys: who gets the last unit when claimants are exactly tied.

The key of a client for one product is

    splitmix64(fnv1a64(client_id) XOR blake2b64(seed, period, product))

where fnv1a64 is the 64-bit FNV-1a hash of the client id's UTF-8 bytes (computed for a million
ids at once with numpy), blake2b64 the 8-byte BLAKE2b digest read as a big-endian unsigned
integer of the tuple, each field UTF-8 preceded by its byte length (4 bytes, big-endian), `seed`
written in decimal, and splitmix64 the finaliser of Steele, Lea and Flood's SplitMix64. Ties go to the lowest key, then to the lowest client id. The key depends
only on who the client is and on the run's seed, period and product, never on row order, and
changes from product to product so that nobody wins every tie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

U64 = npt.NDArray[np.uint64]


def _field(text: str) -> bytes:
    data = text.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def client_hashes(client_ids: Sequence[str] | pl.Series) -> U64:
    """fnv1a64 of each client id, all at once: computed once per run, reused for every product."""
    ids = pl.Series(client_ids, dtype=pl.String)
    if ids.len() == 0:
        return np.zeros(0, dtype=np.uint64)
    hexed = ids.str.encode("hex")  # ASCII, two characters per UTF-8 byte
    longest = hexed.str.len_bytes().max()
    width = longest if isinstance(longest, int) else 0
    if width == 0:
        return np.full(ids.len(), _FNV_OFFSET, dtype=np.uint64)
    joined = hexed.str.pad_end(width, "g").str.join("").item()  # 'g' marks the end of a shorter id
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(ids.len(), width)
    data = (_NIBBLE[chars[:, 0::2]] << 4) | _NIBBLE[chars[:, 1::2]]
    present = chars[:, 0::2] != ord("g")
    h = np.full(ids.len(), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(data.shape[1]):
            h = np.where(present[:, j], (h ^ data[:, j].astype(np.uint64)) * _FNV_PRIME, h)
    return h


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[ord("0") : ord("9") + 1] = np.arange(10)
_NIBBLE[ord("a") : ord("f") + 1] = np.arange(10, 16)


def _splitmix64(x: U64) -> U64:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def product_keys(hashes: U64, seed: int, period: str, product: str) -> U64:
    """Every client's tie-break key for one product (see the module docstring)."""
    salt = np.uint64(_digest(_field(str(seed)) + _field(period) + _field(product)))
    return _splitmix64(hashes ^ salt)


def unchecked_keys(seed: int, period: str, product: str, client_ids: Sequence[str]) -> list[int]:
    """The same keys for a plain list of client ids."""
    return [int(k) for k in product_keys(client_hashes(client_ids), seed, period, product)]
