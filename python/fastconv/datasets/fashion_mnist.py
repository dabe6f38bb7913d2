"""Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 uint8 images of clothing."""

from __future__ import annotations

from fastconv.datasets._loader import DatasetSpec, IdxFile, load

# Content md5s (of the decompressed IDX bytes): recompressed copies (Debian's) share them.
SPEC = DatasetSpec(
    name="fashion-mnist",
    aliases=("fashion_mnist",),
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    train_images=IdxFile("train-images-idx3-ubyte.gz", "f4a8712d7a061bf5bd6d2ca38dc4d50a", 3),
    train_labels=IdxFile("train-labels-idx1-ubyte.gz", "9018921c3c673c538a1fc5bad174d6f9", 1),
    test_images=IdxFile("t10k-images-idx3-ubyte.gz", "8181f5470baa50b63fa0f6fddb340f0a", 3),
    test_labels=IdxFile("t10k-labels-idx1-ubyte.gz", "15d484375f8d13e6eb1aabb0c3f46965", 1),
)

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
class_names = CLASS_NAMES


def load_data(path=None, download=True):
    """Load Fashion-MNIST like ``keras.datasets.fashion_mnist.load_data()``.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,); label ``i`` is ``CLASS_NAMES[i]``. The files are
    looked for in ``path`` (or its ``fashion-mnist/``), ``$FASTCONV_DATA/fashion-mnist/``,
    ``~/.fastconv/datasets/fashion-mnist/`` and ``/usr/share/datasets/fashion-mnist/``
    (``fashion_mnist/`` is accepted too), then downloaded into the user cache (verified by md5)
    unless ``download=False``. Errors as for ``fastconv.datasets.mnist.load_data``.
    """
    return load(SPEC, "fashion_mnist", path, download)
