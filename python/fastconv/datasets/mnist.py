"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 uint8 images, labels 0-9."""

from __future__ import annotations

from fastconv.datasets._loader import DatasetSpec, IdxFile, load

# Content md5s (of the decompressed IDX bytes) of the canonical files, whose .gz md5s are
# f68b3c2d.../d53e105e.../9fb629c4.../ec29112d... (train images/labels, test images/labels).
SPEC = DatasetSpec(
    name="mnist",
    aliases=(),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    train_images=IdxFile("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb", 3),
    train_labels=IdxFile("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624", 1),
    test_images=IdxFile("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea", 3),
    test_labels=IdxFile("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637", 1),
)

CLASS_NAMES = tuple(str(d) for d in range(10))
class_names = CLASS_NAMES


def load_data(path=None, download=True):
    """Load MNIST like ``keras.datasets.mnist.load_data()``.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,). The files are looked for in ``path`` (the directory
    holding the four .gz files, or its ``mnist/``), ``$FASTCONV_DATA/mnist/``,
    ``~/.fastconv/datasets/mnist/`` and ``/usr/share/datasets/mnist/``, then downloaded into
    the user cache (verified by md5) unless ``download=False``. Raises
    ``fastconv.datasets.DatasetNotFoundError`` (a FileNotFoundError) listing every place tried,
    or ``DatasetCorruptError`` (a ValueError) naming a truncated or corrupt file.
    """
    return load(SPEC, "mnist", path, download)
