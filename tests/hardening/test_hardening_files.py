"""File loading never unpickles and rejects corrupt or truncated files with a clear message.

Each file kind is written once, then damaged at sampled byte offsets (a flipped byte) and cut at
sampled lengths. A damaged file must either raise the loader's ValueError subclass naming the
file, or — when the byte carried no information (a gzip timestamp, zip metadata) — load exactly
the original values. It must never load different values, raise anything else, or crash.
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

import fastconv
from fastconv import train
from fastconv.datasets import DatasetCorruptError, _loader
from fastconv.saving import CorruptFileError

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
SAMPLES = int(os.environ.get("FASTCONV_FUZZ_EXAMPLES", "30"))


def _offsets(size, seed, count):
    """Sampled offsets in [0, size): the first and last 64 bytes (headers, trailers) always
    take part, plus ``count`` random ones."""
    rng = np.random.default_rng(seed)
    fixed = list(range(min(size, 64))) + list(range(max(size - 64, 0), size))
    return sorted(set(fixed[:: max(1, len(fixed) // count)]) |
                  set(rng.integers(0, size, count).tolist()))


def _idx(shape, payload: bytes) -> bytes:
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, 8, len(shape), *shape) + payload


def _toy_dataset(directory):
    rng = np.random.default_rng(0)
    arrays = {
        FILES[0]: rng.integers(0, 256, (3, 28, 28), np.uint8),
        FILES[1]: rng.integers(0, 10, 3, np.uint8),
        FILES[2]: rng.integers(0, 256, (2, 28, 28), np.uint8),
        FILES[3]: rng.integers(0, 10, 2, np.uint8),
    }
    os.makedirs(directory, exist_ok=True)
    for name, a in arrays.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(gzip.compress(_idx(a.shape, a.tobytes()), mtime=0))
    spec = _loader.DatasetSpec(
        name="toy", aliases=(), mirrors=(),
        train_images=_loader.IdxFile(FILES[0], "0" * 32, 3),
        train_labels=_loader.IdxFile(FILES[1], "0" * 32, 1),
        test_images=_loader.IdxFile(FILES[2], "0" * 32, 3),
        test_labels=_loader.IdxFile(FILES[3], "0" * 32, 1),
    )
    return spec, arrays


def _check_damaged_dataset(spec, arrays, directory, full):
    try:
        (xtr, ytr), (xte, yte) = _loader.load(spec, "toy", path=directory, download_missing=False)
    except DatasetCorruptError as e:
        assert full in str(e), f"the error does not name the file: {e}"
        return "rejected"
    for got, name in zip((xtr, ytr, xte, yte), FILES):
        assert np.array_equal(got, arrays[name]), f"{name}: damaged file loaded different values"
    return "harmless"


@pytest.mark.parametrize("which", [0, 1])
def test_dataset_files_corrupted_byte_by_byte(tmp_path, which):
    directory = str(tmp_path / "toy")
    spec, arrays = _toy_dataset(directory)
    full = os.path.join(directory, FILES[which])
    with open(full, "rb") as f:
        good = f.read()
    outcomes = {"rejected": 0, "harmless": 0}
    try:
        for i in _offsets(len(good), which, SAMPLES):
            with open(full, "wb") as f:
                f.write(good[:i] + bytes([good[i] ^ 0xA5]) + good[i + 1:])
            outcomes[_check_damaged_dataset(spec, arrays, directory, full)] += 1
        for cut in _offsets(len(good), which + 10, SAMPLES // 3 + 1):
            with open(full, "wb") as f:
                f.write(good[:cut])
            assert _check_damaged_dataset(spec, arrays, directory, full) == "rejected", cut
    finally:
        with open(full, "wb") as f:
            f.write(good)
    assert outcomes["rejected"] > outcomes["harmless"], outcomes


def _checkpoint_objects():
    rng = np.random.default_rng(1)
    return {"step": fastconv.Variable(np.array(7.0, np.float32)),
            "kernel": fastconv.Variable(rng.standard_normal((5, 4)).astype(np.float32)),
            "bias": fastconv.Variable(rng.standard_normal(4).astype(np.float32))}


def test_checkpoint_corrupted_byte_by_byte(tmp_path):
    objs = _checkpoint_objects()
    originals = {k: v.numpy().copy() for k, v in objs.items()}
    path = train.Checkpoint(**objs).write(str(tmp_path / "ckpt"))
    full = path if os.path.exists(path) else path + ".npz"
    with open(full, "rb") as f:
        good = f.read()
    assert b"pickle" not in good.lower() or b"allow_pickle" in good  # no pickled payload

    def attempt():
        for v in objs.values():
            v.assign(np.zeros_like(v.numpy()))
        try:
            train.Checkpoint(**objs).restore(path)
        except CorruptFileError as e:
            assert os.path.basename(full) in str(e) or path in str(e), str(e)
            return "rejected"
        for k, v in objs.items():
            assert np.array_equal(v.numpy(), originals[k]), f"{k}: corrupt checkpoint loaded " \
                                                            f"different values"
        return "harmless"

    outcomes = {"rejected": 0, "harmless": 0}
    for i in _offsets(len(good), 5, SAMPLES):
        with open(full, "wb") as f:
            f.write(good[:i] + bytes([good[i] ^ 0x5A]) + good[i + 1:])
        outcomes[attempt()] += 1
    for cut in _offsets(len(good), 6, SAMPLES // 3 + 1):
        with open(full, "wb") as f:
            f.write(good[:cut])
        assert attempt() == "rejected", f"truncated to {cut} of {len(good)} bytes was accepted"
    assert outcomes["rejected"] > 0, outcomes


def test_loaders_refuse_pickles(tmp_path):
    """An .npz holding an object (pickled) array is refused, not unpickled."""
    objs = _checkpoint_objects()
    path = str(tmp_path / "evil.npz")
    np.savez(path, payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CorruptFileError):
        train.Checkpoint(**objs).restore(path[:-4])
