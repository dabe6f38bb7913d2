"""Strict reader for the IDX files of MNIST-like data sets (gzip-compressed).

IDX layout (big-endian): two zero bytes, a type code (0x08 = unsigned byte, the only type these
data sets use), the number of dimensions, then one uint32 per dimension, then the payload in
C order. Everything is checked before an array is returned, so a truncated or corrupt file is
rejected with a message naming it instead of being half-loaded.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib

import numpy as np


class DatasetCorruptError(ValueError):
    """A data set file exists but is not a valid IDX file of the expected kind."""


_UBYTE = 0x08


def read_gz(path: str) -> bytes:
    """Decompressed bytes of a .gz file; a bad or truncated stream raises DatasetCorruptError."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DatasetCorruptError(f"cannot read data set file {path}: {e}") from None
    return gunzip(raw, path)


def gunzip(raw: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise DatasetCorruptError(
            f"data set file {name} is not a valid gzip file (truncated or corrupt: {e})"
        ) from None


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def parse_idx(data: bytes, name: str, ndim: int) -> np.ndarray:
    """Parse decompressed IDX bytes into a writable uint8 array of rank ``ndim``."""
    if len(data) < 4:
        raise DatasetCorruptError(f"data set file {name} is too short for an IDX header "
                                  f"({len(data)} bytes)")
    zero0, zero1, dtype_code, file_ndim = data[0], data[1], data[2], data[3]
    magic = int.from_bytes(data[:4], "big")
    if zero0 != 0 or zero1 != 0 or dtype_code != _UBYTE or file_ndim != ndim:
        expected = (_UBYTE << 8) | ndim
        raise DatasetCorruptError(
            f"data set file {name} has a bad IDX magic number {magic:#010x} "
            f"(expected {expected:#010x}: unsigned bytes, {ndim} dimension(s))"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetCorruptError(f"data set file {name} is truncated inside its IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected_bytes = int(np.prod(dims, dtype=np.int64))
    payload = len(data) - header
    if payload != expected_bytes:
        raise DatasetCorruptError(
            f"data set file {name}: the IDX header says shape {dims} ({expected_bytes} bytes of "
            f"data) but the file holds {payload} bytes of data (truncated or corrupt)"
        )
    # frombuffer views the (immutable) bytes; copy so the caller gets a writable array.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()
