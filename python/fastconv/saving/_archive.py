"""The one file format behind weights files, whole-model files and checkpoints.

A fastconv archive is an ordinary ``.npz`` (a ZIP of ``.npy`` members, as ``np.savez`` writes it;
no pickle anywhere) holding

* ``__fastconv_manifest__`` — a uint8 array with UTF-8 JSON::

      {"format": "fastconv-weights" | "fastconv-model" | "fastconv-checkpoint",
       "format_version": 1,
       "variables": [{"path": "layers/0/vars/0", "name": "conv2d/kernel",
                      "layer": "conv2d", "shape": [3, 3, 1, 32], "dtype": "float32",
                      "crc32": 1234567}, ...],
       ... format-specific keys ("model", "checkpoint", "build_input_shape") ...}

* one member per variable, named by its ``path`` (see ``_tracking.py``).

Reading trusts nothing: the manifest is parsed and checked field by field, every member must be
listed and every listed member present, each ``.npy`` header is checked against the manifest
*before* any data is read (so a corrupt header cannot make us allocate a huge array), the data
must have exactly the expected length, and its CRC-32 must match both the ZIP's and the
manifest's. Any failure is a ``ValueError`` naming the file; nothing is returned half-read.

Writing is atomic: a temp file in the destination directory, flushed and fsync'ed, then
``os.replace`` — a crash mid-save leaves the previous file intact (and at worst a stray
``.<name>.*.tmp`` file that readers ignore).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import zipfile
import zlib
from typing import Any, Callable

import numpy as np

MANIFEST_KEY = "__fastconv_manifest__"
FORMAT_VERSION = 1
# Dtypes a variable may have; anything else (object, void, strings) is rejected on read.
_ALLOWED_DTYPES = {
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool",
}
_MAX_MANIFEST_BYTES = 64 << 20
_MAX_NDIM = 32


class CorruptFileError(ValueError):
    """A fastconv file that is truncated, corrupted or not a fastconv file at all."""


# --------------------------------------------------------------------------- writing

def atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync it, then rename over ``path``.

    A failure (exception, or a crash of the process) at any point before the rename leaves an
    existing ``path`` untouched; on an exception the temp file is removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"directory does not exist: {directory!r}", path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    # Make the rename itself durable; not every platform/filesystem allows opening a directory.
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _as_saveable(value: Any) -> np.ndarray:
    if hasattr(value, "numpy"):
        value = value.numpy()
    arr = np.asarray(value, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    if arr.dtype.name not in _ALLOWED_DTYPES:
        raise TypeError(f"cannot save a variable of dtype {arr.dtype}; "
                        f"allowed: {sorted(_ALLOWED_DTYPES)}")
    return arr


def write_archive(path: str, fmt: str, entries: list[dict], extra: dict | None = None) -> None:
    """Atomically write an archive. ``entries``: dicts with "path", "value" and optional
    "name"/"layer" strings for messages."""
    arrays: dict[str, np.ndarray] = {}
    records = []
    for e in entries:
        key = e["path"]
        if key == MANIFEST_KEY or key in arrays:
            raise ValueError(f"duplicate or reserved variable path {key!r}")
        arr = _as_saveable(e["value"])
        arrays[key] = arr
        records.append({
            "path": key,
            "name": str(e.get("name") or key),
            "layer": str(e.get("layer") or ""),
            "shape": [int(d) for d in arr.shape],
            "dtype": arr.dtype.name,
            "crc32": zlib.crc32(arr.data),
        })
    manifest = {"format": fmt, "format_version": FORMAT_VERSION, "variables": records}
    if extra:
        manifest.update(extra)
    blob = json.dumps(manifest, sort_keys=True, allow_nan=False).encode("utf-8")
    members = {MANIFEST_KEY: np.frombuffer(blob, dtype=np.uint8)}
    members.update(arrays)
    atomic_write(path, lambda f: _savez(f, members))


def _savez(f, members: dict[str, np.ndarray]) -> None:
    # np.savez's own keyword arguments ("file", "allow_pickle") cannot collide with our keys,
    # which always contain "/" or the manifest prefix; checked anyway.
    for key in members:
        if key in ("file", "allow_pickle", "args"):
            raise ValueError(f"reserved variable path {key!r}")
    np.savez(f, **members)


# --------------------------------------------------------------------------- reading

def _corrupt(path: str, why: str) -> CorruptFileError:
    return CorruptFileError(f"{path!r} is not a valid fastconv file (truncated, corrupted or "
                            f"of another format): {why}")


def read_archive(path: str, expected_formats: tuple[str, ...]) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and fully verify an archive. Returns (manifest, {path: array}).

    Raises FileNotFoundError for a missing file and CorruptFileError (a ValueError) for anything
    else that is wrong with it.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"no such file: {path!r}", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"expected a file but got a directory: {path!r}",
                                path)
    # We own the file handle (np.load would leak it when the ZIP directory is unreadable).
    with open(path, "rb") as fh:
        return read_archive_fileobj(fh, path, expected_formats)


def read_archive_fileobj(fh, path: str, expected_formats: tuple[str, ...]):
    """read_archive on an open binary file object (``path`` is used in messages only)."""
    try:
        npz = np.load(fh, allow_pickle=False)
    except Exception as exc:  # BadZipFile, ValueError (pickle refused), EOFError...
        raise _corrupt(path, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise _corrupt(path, "it is a single .npy array, not an .npz archive")
    try:
        with npz:
            return _read_verified(path, npz.zip, expected_formats)
    except CorruptFileError:
        raise
    except Exception as exc:  # any parser failure on hostile bytes: a clear ValueError
        raise _corrupt(path, f"{type(exc).__name__}: {exc}") from None


def _read_verified(path, zf: zipfile.ZipFile, expected_formats) -> tuple[dict, dict]:
    infos = {}
    for info in zf.infolist():
        if info.filename in infos:
            raise _corrupt(path, f"duplicate member {info.filename!r}")
        infos[info.filename] = info
    mkey = MANIFEST_KEY + ".npy"
    if mkey not in infos:
        raise _corrupt(path, "it has no fastconv manifest")
    if infos[mkey].file_size > _MAX_MANIFEST_BYTES:
        raise _corrupt(path, "manifest is implausibly large")
    raw = _read_member(path, zf, infos[mkey], np.dtype(np.uint8), None)
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"manifest is not valid JSON ({exc})") from None
    _check_manifest(path, manifest, expected_formats)

    listed = {rec["path"] + ".npy" for rec in manifest["variables"]} | {mkey}
    unlisted = sorted(set(infos) - listed)
    if unlisted:
        raise _corrupt(path, f"members not in the manifest: {unlisted[:5]}")
    arrays = {}
    for rec in manifest["variables"]:
        key = rec["path"] + ".npy"
        if key not in infos:
            raise _corrupt(path, f"variable {rec['path']!r} is listed but missing")
        arr = _read_member(path, zf, infos[key], np.dtype(rec["dtype"]), tuple(rec["shape"]))
        if zlib.crc32(arr.data) != rec["crc32"]:
            raise _corrupt(path, f"checksum mismatch for variable {rec['path']!r}")
        arrays[rec["path"]] = arr
    return manifest, arrays


def _check_manifest(path, m, expected_formats) -> None:
    if not isinstance(m, dict):
        raise _corrupt(path, "manifest is not a JSON object")
    fmt = m.get("format")
    if fmt not in expected_formats:
        raise _corrupt(path, f"format is {fmt!r}, expected one of {list(expected_formats)}")
    version = m.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _corrupt(path, "manifest has no integer format_version")
    if version > FORMAT_VERSION:
        raise ValueError(f"{path!r} has format_version {version}, newer than this fastconv "
                         f"supports ({FORMAT_VERSION}); upgrade fastconv to read it")
    recs = m.get("variables")
    if not isinstance(recs, list):
        raise _corrupt(path, "manifest has no variable list")
    seen = set()
    for rec in recs:
        ok = (isinstance(rec, dict)
              and isinstance(rec.get("path"), str) and rec["path"] and rec["path"] != MANIFEST_KEY
              and isinstance(rec.get("name"), str) and isinstance(rec.get("layer"), str)
              and isinstance(rec.get("shape"), list) and len(rec["shape"]) <= _MAX_NDIM
              and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40
                      for d in rec["shape"])
              and rec.get("dtype") in _ALLOWED_DTYPES
              and isinstance(rec.get("crc32"), int) and not isinstance(rec["crc32"], bool))
        if not ok:
            raise _corrupt(path, f"malformed variable record {str(rec)[:200]}")
        if rec["path"] in seen:
            raise _corrupt(path, f"variable {rec['path']!r} listed twice")
        seen.add(rec["path"])


def _read_member(path, zf, info, dtype: np.dtype, shape) -> np.ndarray:
    """Read one .npy member, checking its header against (dtype, shape) before reading data."""
    fmt = np.lib.format
    with zf.open(info) as f:
        major, minor = fmt.read_magic(f)
        if (major, minor) == (1, 0):
            hshape, fortran, hdtype = fmt.read_array_header_1_0(f)
        elif (major, minor) == (2, 0):
            hshape, fortran, hdtype = fmt.read_array_header_2_0(f)
        else:
            raise _corrupt(path, f"member {info.filename!r} has .npy version {major}.{minor}")
        if hdtype != dtype or hdtype.hasobject:
            raise _corrupt(path, f"member {info.filename!r} has dtype {hdtype}, "
                                 f"manifest says {dtype}")
        if shape is not None and tuple(hshape) != shape:
            raise _corrupt(path, f"member {info.filename!r} has shape {tuple(hshape)}, "
                                 f"manifest says {shape}")
        if shape is None and len(hshape) != 1:
            raise _corrupt(path, f"member {info.filename!r} is not a byte string")
        count = 1
        for d in hshape:
            count *= int(d)
        nbytes = count * dtype.itemsize
        if nbytes > info.file_size:
            raise _corrupt(path, f"member {info.filename!r} is shorter than its header claims")
        data = f.read(nbytes)
        if len(data) != nbytes:
            raise _corrupt(path, f"member {info.filename!r} is truncated")
        if f.read(1):  # also reaches EOF, where zipfile verifies the member's CRC-32
            raise _corrupt(path, f"member {info.filename!r} has trailing bytes")
    arr = np.frombuffer(data, dtype=dtype).reshape(hshape, order="F" if fortran else "C")
    return np.array(arr, order="C", copy=True)
