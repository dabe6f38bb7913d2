"""Finding, downloading and loading MNIST-like data sets (four IDX .gz files).

Search order for a data set called ``<name>`` (first complete location wins):

1. ``path=`` given to ``load_data`` (the directory holding the files, or its ``<name>/``);
2. ``$FASTCONV_DATA/<name>/``;
3. the user cache ``~/.fastconv/datasets/<name>/``;
4. Debian's data set directory ``/usr/share/datasets/<name>/``;
5. a download from the public mirrors into the user cache.

Downloads are verified before they are kept: each file is written to a temporary file in the
cache directory, decompressed, its content md5 compared with the known value and its IDX
structure checked, and only then moved over the final name with ``os.replace`` (atomic on one
file system). A failed or partial download therefore never leaves a bad file under the final
name and never touches files already in the cache. Files found locally are checked for
structure (gzip stream, IDX magic, header/payload size, counts, label range) but not against
md5s, so re-compressed copies such as Debian's are accepted.

Only the standard library and NumPy are used; nothing is ever unpickled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from fastconv.datasets._idx import DatasetCorruptError, gunzip, md5, parse_idx, read_gz


class DatasetNotFoundError(FileNotFoundError):
    """No location holds the data set and it could not be downloaded."""


SYSTEM_DIR = "/usr/share/datasets"
ENV_VAR = "FASTCONV_DATA"
DOWNLOAD_TIMEOUT = 60.0  # seconds per connection attempt


@dataclass(frozen=True)
class IdxFile:
    filename: str  # e.g. "train-images-idx3-ubyte.gz"
    content_md5: str  # md5 of the decompressed IDX bytes (independent of the gzip encoding)
    ndim: int  # 3 for images, 1 for labels


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # directory name, e.g. "fashion-mnist"
    aliases: Tuple[str, ...]  # other accepted directory names, e.g. "fashion_mnist"
    mirrors: Tuple[str, ...]  # base URLs ending in "/", tried in order
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    image_shape: Tuple[int, int] = (28, 28)
    num_classes: int = 10

    @property
    def files(self) -> Tuple[IdxFile, ...]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)

    @property
    def dir_names(self) -> Tuple[str, ...]:
        return (self.name,) + self.aliases


def user_cache_root() -> str:
    return os.path.join(os.path.expanduser("~"), ".fastconv", "datasets")


def _candidates(spec: DatasetSpec, path) -> list:
    """(label, directory) pairs in search order."""
    out = []
    if path is not None:
        path = os.fspath(path)
        out.append(("path= argument", path))
        out += [("path= argument", os.path.join(path, d)) for d in spec.dir_names]
    env = os.environ.get(ENV_VAR)
    if env:
        out += [(f"${ENV_VAR}", os.path.join(env, d)) for d in spec.dir_names]
    out.append(("user cache", os.path.join(user_cache_root(), spec.name)))
    out += [("system data directory", os.path.join(SYSTEM_DIR, d)) for d in spec.dir_names]
    return out


def _missing(spec: DatasetSpec, directory: str) -> list:
    return [f.filename for f in spec.files
            if not os.path.isfile(os.path.join(directory, f.filename))]


def find(spec: DatasetSpec, path=None) -> Tuple[Optional[str], list]:
    """The first directory holding all four files, and a description of every place tried."""
    tried = []
    if not os.environ.get(ENV_VAR):
        tried.append(f"${ENV_VAR}: not set")
    for label, directory in _candidates(spec, path):
        if not os.path.isdir(directory):
            tried.append(f"{directory} ({label}): no such directory")
            continue
        missing = _missing(spec, directory)
        if not missing:
            return directory, tried
        tried.append(f"{directory} ({label}): missing {', '.join(missing)}")
    return None, tried


def fetch(url: str, out, timeout: float = DOWNLOAD_TIMEOUT) -> None:
    """Stream ``url`` into the binary file object ``out``. Tests replace this function."""
    import urllib.request  # here, not at module level: it costs ~25 ms of `import fastconv`

    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https/http)
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)


def _download_one(spec: DatasetSpec, f: IdxFile, cache_dir: str) -> None:
    """Download one file into cache_dir, trying each mirror; raise OSError listing failures."""
    import tempfile

    final = os.path.join(cache_dir, f.filename)
    errors = []
    for base in spec.mirrors:
        url = base + f.filename
        fd, tmp = tempfile.mkstemp(prefix=f".{f.filename}.", suffix=".part", dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                fetch(url, out)
            with open(tmp, "rb") as check:
                raw = check.read()
            content = gunzip(raw, f"{f.filename} downloaded from {url}")
            got = md5(content)
            if got != f.content_md5:
                raise DatasetCorruptError(
                    f"{f.filename} downloaded from {url} failed checksum verification "
                    f"(md5 of its content {got}, expected {f.content_md5})"
                )
            parse_idx(content, f"{f.filename} downloaded from {url}", f.ndim)
            os.replace(tmp, final)
            return
        except Exception as e:  # noqa: BLE001 - every failure is reported, the next mirror tried
            errors.append(f"{url}: {type(e).__name__}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise OSError("; ".join(errors))


def download(spec: DatasetSpec) -> str:
    """Fill the user cache with the files it lacks; return the cache directory."""
    cache_dir = os.path.join(user_cache_root(), spec.name)
    os.makedirs(cache_dir, exist_ok=True)
    for f in spec.files:
        if not os.path.isfile(os.path.join(cache_dir, f.filename)):
            _download_one(spec, f, cache_dir)
    return cache_dir


def _not_found(spec: DatasetSpec, tried: Sequence[str], download_error: Optional[str],
               module: str) -> DatasetNotFoundError:
    names = ", ".join(f.filename for f in spec.files)
    lines = [f"{spec.name}: the data set files were not found. Places tried, in order:"]
    lines += [f"  - {t}" for t in tried]
    if download_error is None:
        lines.append("  - download: disabled (download=False)")
    else:
        lines.append(f"  - download into the user cache failed: {download_error}")
    cache = os.path.join(user_cache_root(), spec.name)
    lines += [
        f"Provide the four files ({names}) in one of these ways:",
        f"  - pass the directory: fastconv.datasets.{module}.load_data(path='/dir/with/files')",
        f"  - set {ENV_VAR}=/data so that /data/{spec.name}/ holds them",
        f"  - copy them into the user cache {cache}/",
        f"  - on Debian, install the package that provides {SYSTEM_DIR}/{spec.name}/",
        "  - or connect to the internet and call load_data() again to download them",
    ]
    return DatasetNotFoundError("\n".join(lines))


def load(spec: DatasetSpec, module: str, path=None, download_missing: bool = True):
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays, Keras style."""
    directory, tried = find(spec, path)
    if directory is None:
        if not download_missing:
            raise _not_found(spec, tried, None, module)
        try:
            directory = download(spec)
        except OSError as e:
            raise _not_found(spec, tried, str(e), module) from None
    splits = _load_dir(spec, directory)
    # Decompression made tens of MB of temporaries; with fastconv's malloc tuning (a high trim
    # threshold) they would stay resident, +47 MB of peak RSS over a full MNIST training run.
    from fastconv import _core
    _core.release_free_memory()
    return splits


def _load_dir(spec: DatasetSpec, directory: str):
    def read(f: IdxFile) -> np.ndarray:
        full = os.path.join(directory, f.filename)
        return parse_idx(read_gz(full), full, f.ndim)

    splits = []
    for images_f, labels_f in ((spec.train_images, spec.train_labels),
                               (spec.test_images, spec.test_labels)):
        x = read(images_f)
        y = read(labels_f)
        x_name = os.path.join(directory, images_f.filename)
        y_name = os.path.join(directory, labels_f.filename)
        if x.shape[1:] != spec.image_shape:
            raise DatasetCorruptError(
                f"data set file {x_name} holds images of shape {x.shape[1:]}, expected "
                f"{spec.image_shape}"
            )
        if x.shape[0] != y.shape[0]:
            raise DatasetCorruptError(
                f"{spec.name}: {x_name} holds {x.shape[0]} images but {y_name} holds "
                f"{y.shape[0]} labels"
            )
        if y.size and int(y.max()) >= spec.num_classes:
            bad = int(np.argmax(y >= spec.num_classes))
            raise DatasetCorruptError(
                f"data set file {y_name} has label {int(y[bad])} at index {bad}, outside "
                f"0..{spec.num_classes - 1}"
            )
        splits.append((x, y))
    return tuple(splits)
