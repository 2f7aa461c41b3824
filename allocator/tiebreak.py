"""Deterministic tie-break keys: who gets the last unit when claimants are exactly tied.

The key of a client for one product is

    splitmix64(blake2b64(client_id) XOR blake2b64(seed, period, product))

where blake2b64 is the 8-byte BLAKE2b digest read as a big-endian unsigned integer; the client id
is hashed as UTF-8, and in the tuple each field is UTF-8 preceded by its byte length (4 bytes,
big-endian), `seed` written in decimal. Ties go to the lowest key, then to the lowest client id. The key depends
only on who the client is and on the run's seed, period and product, never on row order, and
changes from product to product so that nobody wins every tie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]


def _field(text: str) -> bytes:
    data = text.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def client_hashes(client_ids: Sequence[str]) -> U64:
    """blake2b64 of each client id: computed once per run, reused for every product."""
    blake = hashlib.blake2b
    digests = b"".join([blake(c.encode("utf-8"), digest_size=8).digest() for c in client_ids])
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


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


def tiebreak_keys(seed: int, period: str, product: str, client_ids: Sequence[str]) -> list[int]:
    """The same keys for a plain list of client ids."""
    return [int(k) for k in product_keys(client_hashes(client_ids), seed, period, product)]
