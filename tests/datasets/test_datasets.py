"""fastconv.datasets: the real files in ../shared/data through the public loaders, the search
order, verified downloads (with a fake downloader: these tests never touch the network) and
rejection of corrupt files."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct

import numpy as np
import pytest
from conftest import SHARED_DATA

from fastconv import datasets
from fastconv.datasets import DatasetCorruptError, DatasetNotFoundError, _loader
from fastconv.datasets import fashion_mnist, mnist

MNIST_DIR = os.path.join(SHARED_DATA, "mnist")
FASHION_DIR = os.path.join(SHARED_DATA, "fashion-mnist")
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _need(directory):
    if not all(os.path.isfile(os.path.join(directory, f)) for f in FILES):
        pytest.skip(f"shared data not available at {directory} (set FASTCONV_DATA to the "
                    f"directory holding mnist/ and fashion-mnist/)")


@pytest.fixture(scope="module")
def mnist_data():
    _need(MNIST_DIR)
    return mnist.load_data(path=MNIST_DIR)


@pytest.fixture(scope="module")
def fashion_data():
    _need(FASHION_DIR)
    return fashion_mnist.load_data(path=SHARED_DATA)  # finds SHARED_DATA/fashion-mnist/


def _idx_header(shape):
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, 8, len(shape), *shape)


# ---------------------------------------------------------------------------------------------
# The real data sets


def test_mnist_shapes_values_and_content(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8 and a.flags.writeable and a.flags.c_contiguous
    assert x_train.min() == 0 and x_train.max() == 255
    assert y_train[0] == 5 and y_test[0] == 7
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10),
                                  [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10),
                                  [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    # The arrays are byte for byte the canonical content (md5 of the decompressed IDX file).
    assert hashlib.md5(_idx_header(x_train.shape) + x_train.tobytes()).hexdigest() == \
        mnist.SPEC.train_images.content_md5
    assert hashlib.md5(_idx_header(y_test.shape) + y_test.tobytes()).hexdigest() == \
        mnist.SPEC.test_labels.content_md5


def test_fashion_mnist_shapes_values_and_class_names(fashion_data):
    (x_train, y_train), (x_test, y_test) = fashion_data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), [1000] * 10)
    assert hashlib.md5(_idx_header(x_test.shape) + x_test.tobytes()).hexdigest() == \
        fashion_mnist.SPEC.test_images.content_md5
    assert fashion_mnist.CLASS_NAMES[0] == "T-shirt/top"
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.class_names == fashion_mnist.CLASS_NAMES
    assert datasets.fashion_mnist is fashion_mnist


def test_shared_data_through_env_var(monkeypatch, tmp_path):
    _need(MNIST_DIR)
    monkeypatch.setenv("FASTCONV_DATA", SHARED_DATA)
    monkeypatch.setenv("HOME", str(tmp_path))
    directory, _ = _loader.find(mnist.SPEC)
    assert os.path.samefile(directory, MNIST_DIR)


# ---------------------------------------------------------------------------------------------
# Search order and downloads, on tiny fake data sets


def _fake_files(n_train=3, n_test=2, fill=0):
    """name -> gzip bytes of a tiny valid data set whose pixels all equal ``fill``."""
    rng = np.random.default_rng(fill)
    content = {
        FILES[0]: _idx_header((n_train, 28, 28)) + bytes([fill]) * (n_train * 784),
        FILES[1]: _idx_header((n_train,)) + rng.integers(0, 10, n_train, np.uint8).tobytes(),
        FILES[2]: _idx_header((n_test, 28, 28)) + bytes([fill]) * (n_test * 784),
        FILES[3]: _idx_header((n_test,)) + rng.integers(0, 10, n_test, np.uint8).tobytes(),
    }
    return content


def _write(directory, content, skip=()):
    os.makedirs(directory, exist_ok=True)
    for name, data in content.items():
        if name not in skip:
            with open(os.path.join(directory, name), "wb") as f:
                f.write(gzip.compress(data, mtime=0))


def _spec(content, mirrors=("https://mirror-a/", "https://mirror-b/")):
    md5s = {k: hashlib.md5(v).hexdigest() for k, v in content.items()}
    return _loader.DatasetSpec(
        name="toy", aliases=("toy_alias",), mirrors=mirrors,
        train_images=_loader.IdxFile(FILES[0], md5s[FILES[0]], 3),
        train_labels=_loader.IdxFile(FILES[1], md5s[FILES[1]], 1),
        test_images=_loader.IdxFile(FILES[2], md5s[FILES[2]], 3),
        test_labels=_loader.IdxFile(FILES[3], md5s[FILES[3]], 1),
    )


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Private HOME, FASTCONV_DATA and system directory; downloads fail unless a test says so."""
    home, env, system = tmp_path / "home", tmp_path / "env", tmp_path / "system"
    for d in (home, env, system):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("FASTCONV_DATA", str(env))
    monkeypatch.setattr(_loader, "SYSTEM_DIR", str(system))
    calls = []

    def offline(url, out, timeout=None):
        calls.append(url)
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(_loader, "fetch", offline)
    return {"home": home, "env": env, "system": system, "cache": home / ".fastconv" / "datasets",
            "calls": calls, "tmp": tmp_path}


def _fill_of(result):
    (x_train, _), _ = result
    return int(x_train[0, 0, 0])


def test_search_order(sandbox):
    content = {fill: _fake_files(fill=fill) for fill in (1, 2, 3, 4)}
    spec = _spec(content[1])  # md5s are only checked on download
    explicit = sandbox["tmp"] / "explicit"
    _write(str(explicit), content[1])
    _write(str(sandbox["env"] / "toy"), content[2])
    _write(str(sandbox["cache"] / "toy"), content[3])
    _write(str(sandbox["system"] / "toy"), content[4])
    assert _fill_of(_loader.load(spec, "toy", path=explicit)) == 1
    assert _fill_of(_loader.load(spec, "toy", path=str(sandbox["tmp"] / "nothing"))) == 2
    assert _fill_of(_loader.load(spec, "toy")) == 2
    os.remove(sandbox["env"] / "toy" / FILES[3])  # an incomplete location is passed over
    assert _fill_of(_loader.load(spec, "toy")) == 3
    os.remove(sandbox["cache"] / "toy" / FILES[0])
    assert _fill_of(_loader.load(spec, "toy")) == 4
    assert sandbox["calls"] == []


def test_path_may_be_the_parent_and_alias_dirs_are_accepted(sandbox):
    content = _fake_files(fill=7)
    spec = _spec(content)
    _write(str(sandbox["tmp"] / "parent" / "toy"), content)
    assert _fill_of(_loader.load(spec, "toy", path=sandbox["tmp"] / "parent")) == 7
    _write(str(sandbox["system"] / "toy_alias"), _fake_files(fill=8))
    assert _fill_of(_loader.load(spec, "toy")) == 8


def test_nothing_found_offline_lists_every_place(sandbox):
    spec = _spec(_fake_files())
    _write(str(sandbox["env"] / "toy"), _fake_files(), skip=(FILES[2],))
    explicit = sandbox["tmp"] / "explicit"
    with pytest.raises(DatasetNotFoundError) as info:
        _loader.load(spec, "toy", path=explicit)
    assert isinstance(info.value, FileNotFoundError)
    msg = str(info.value)
    for place in (explicit, sandbox["env"] / "toy", sandbox["cache"] / "toy",
                  sandbox["system"] / "toy", sandbox["system"] / "toy_alias"):
        assert str(place) in msg
    assert f"missing {FILES[2]}" in msg
    assert "https://mirror-a/" in msg and "network unreachable" in msg
    assert "FASTCONV_DATA" in msg and "path=" in msg and "user cache" in msg
    assert len(sandbox["calls"]) == 2  # both mirrors tried for the first file, then gave up
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        _loader.load(spec, "toy", download_missing=False)


def _serving(monkeypatch, files_by_url, calls=None):
    def fake_fetch(url, out, timeout=None):
        if calls is not None:
            calls.append(url)
        if url not in files_by_url:
            raise OSError(f"HTTP Error 404: {url}")
        data = files_by_url[url]
        if isinstance(data, Exception):
            raise data
        out.write(data)

    monkeypatch.setattr(_loader, "fetch", fake_fetch)


def _cache_listing(sandbox):
    return sorted(os.listdir(sandbox["cache"] / "toy"))


def test_download_fills_the_cache_then_reuses_it(sandbox, monkeypatch):
    content = _fake_files(fill=9)
    spec = _spec(content)
    calls = []
    _serving(monkeypatch, {"https://mirror-b/" + k: gzip.compress(v) for k, v in
                           content.items()}, calls)
    assert _fill_of(_loader.load(spec, "toy")) == 9
    assert _cache_listing(sandbox) == sorted(FILES)  # no temporary files left behind
    n = len(calls)
    assert _fill_of(_loader.load(spec, "toy")) == 9
    assert len(calls) == n


class _MidwayFailure:
    """A download that writes part of the file and then loses the connection."""

    def __init__(self, data):
        self.data = data

    def __call__(self, url, out, timeout=None):
        out.write(self.data[: len(self.data) // 2])
        raise ConnectionResetError("connection reset by peer (test)")


def test_failed_download_keeps_good_cache_entries(sandbox, monkeypatch):
    content = _fake_files(fill=5)
    spec = _spec(content)
    cache = sandbox["cache"] / "toy"
    _write(str(cache), content, skip=(FILES[1],))
    before = {f: (cache / f).read_bytes() for f in os.listdir(cache)}
    monkeypatch.setattr(_loader, "fetch", _MidwayFailure(gzip.compress(content[FILES[1]])))
    with pytest.raises(DatasetNotFoundError, match="connection reset"):
        _loader.load(spec, "toy")
    assert {f: (cache / f).read_bytes() for f in os.listdir(cache)} == before
    # And a failure part-way through a file that was being replaced never clobbers it: the
    # download goes to a temporary file that is removed.
    assert not any(name.endswith(".part") for name in os.listdir(cache))


def test_wrong_checksum_is_rejected_and_next_mirror_used(sandbox, monkeypatch):
    content = _fake_files(fill=6)
    spec = _spec(content)
    tampered = dict(content)
    tampered[FILES[1]] = _idx_header((3,)) + bytes([1, 2, 3])  # valid IDX, other content
    files = {"https://mirror-a/" + k: gzip.compress(v) for k, v in tampered.items()}
    _serving(monkeypatch, files)
    with pytest.raises(DatasetNotFoundError, match="failed checksum verification"):
        _loader.load(spec, "toy")
    assert FILES[1] not in _cache_listing(sandbox)
    assert not any(n.endswith(".part") for n in _cache_listing(sandbox))
    files.update({"https://mirror-b/" + k: gzip.compress(v) for k, v in content.items()})
    assert _fill_of(_loader.load(spec, "toy")) == 6


def test_real_spec_download_verifies_canonical_files(sandbox, monkeypatch):
    _need(MNIST_DIR)
    cache = sandbox["cache"] / "mnist"
    # Pre-seed the big image files so the fake download only has to serve the small ones.
    os.makedirs(cache)
    for f in (FILES[0], FILES[2]):
        os.symlink(os.path.join(MNIST_DIR, f), cache / f)
    served = {}
    for f in (FILES[1], FILES[3]):
        with open(os.path.join(MNIST_DIR, f), "rb") as fh:
            served[mnist.SPEC.mirrors[0] + f] = fh.read()
    _serving(monkeypatch, served)
    (_, y_train), (_, y_test) = mnist.load_data()
    assert y_train[0] == 5 and y_test[0] == 7
    assert sorted(os.listdir(cache)) == sorted(FILES)


# ---------------------------------------------------------------------------------------------
# Corrupt files


def _corrupt_case(sandbox, name, data, raw=False):
    content = _fake_files()
    spec = _spec(content)
    directory = sandbox["tmp"] / "bad"
    _write(str(directory), content)
    with open(directory / name, "wb") as f:
        f.write(data if raw else gzip.compress(data))
    return spec, str(directory / name)


@pytest.mark.parametrize(
    "name, mutate, message",
    [
        (FILES[0], lambda gz: gz[: len(gz) // 2], "not a valid gzip file"),
        (FILES[0], lambda gz: b"this is not gzip" + gz, "not a valid gzip file"),
        (FILES[1], lambda gz: gz[:-6] + bytes([gz[-6] ^ 0xFF]) + gz[-5:], "not a valid gzip"),
    ],
    ids=["truncated-gzip", "not-gzip", "bad-crc"],
)
def test_corrupt_gzip_is_rejected(sandbox, name, mutate, message):
    good = gzip.compress(_fake_files()[name])
    spec, full = _corrupt_case(sandbox, name, mutate(good), raw=True)
    with pytest.raises(DatasetCorruptError, match=message) as info:
        _loader.load(spec, "toy", path=os.path.dirname(full))
    assert full in str(info.value)


def _flip(data, i):
    return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]


@pytest.mark.parametrize(
    "name, mutate, message",
    [
        (FILES[0], lambda d: _flip(d, 2), "bad IDX magic"),
        (FILES[0], lambda d: _flip(d, 0), "bad IDX magic"),
        (FILES[1], lambda d: _idx_header((3, 1)) + d[8:], "bad IDX magic"),
        (FILES[0], lambda d: d[:-100], "truncated or corrupt"),
        (FILES[0], lambda d: d + b"\0", "truncated or corrupt"),
        (FILES[2], lambda d: _flip(d, 7), "truncated or corrupt"),  # count in header
        (FILES[3], lambda d: d[:2], "too short"),
        (FILES[2], lambda d: d[:10], "truncated inside its IDX header"),
        (FILES[1], lambda d: d[:8] + bytes([10]) + d[9:], "outside 0..9"),
        (FILES[1], lambda d: _idx_header((2,)) + d[8:10], "holds 3 images but"),
        (FILES[0], lambda d: _idx_header((3, 784, 1)) + d[16:], "expected (28, 28)"),
    ],
    ids=["magic-type", "magic-zero", "labels-rank-2", "short-payload", "long-payload",
         "header-count", "tiny", "short-header", "label-range", "count-mismatch", "image-shape"],
)
def test_corrupt_idx_is_rejected(sandbox, name, mutate, message):
    spec, full = _corrupt_case(sandbox, name, mutate(_fake_files()[name]))
    with pytest.raises(DatasetCorruptError, match=message.replace("(", r"\(").replace(")", r"\)")) \
            as info:
        _loader.load(spec, "toy", path=os.path.dirname(full))
    assert full in str(info.value)
    assert isinstance(info.value, ValueError)
