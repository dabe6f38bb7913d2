"""What the lab scripts share: their command-line flags and the lab's MNIST preprocessing.

Every lab script accepts --epochs, --batch-size, --limit N (only the first N training and test
images, for a quick check), --seed and --ckpt-dir. The data come from
fastconv.keras.datasets.mnist (found via $FASTCONV_DATA, the user cache, /usr/share/datasets, or
downloaded once).
"""

import argparse
import os

import numpy as np

from fastconv import keras
from fastconv.keras.utils import to_categorical


def parse_args(description, epochs=15, batch_size=100, ckpt_name="mnist_cnn"):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs} (the lab's)")
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"default {batch_size}")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use only the first N training and N test images (quick check)")
    p.add_argument("--seed", type=int, default=777, help="tf.random.set_seed (lab: 777)")
    p.add_argument("--ckpt-dir", default=os.path.join(os.getcwd(), "checkpoints", ckpt_name),
                   help="checkpoint directory (default ./checkpoints/%(default)s)".replace(
                       "%(default)s", ckpt_name))
    args = p.parse_args()
    for name in ("epochs", "batch_size", "limit"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            p.error(f"--{name.replace('_', '-')} must be > 0, got {v}")
    return args


def load_mnist(limit=None, one_hot=True):
    """The labs' preprocessing: float32 in [0, 1], NHWC with one channel, one-hot labels."""
    mnist = keras.datasets.mnist
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    if limit:
        train_images, train_labels = train_images[:limit], train_labels[:limit]
        test_images, test_labels = test_images[:limit], test_labels[:limit]
    train_images = train_images.astype(np.float32) / 255.
    test_images = test_images.astype(np.float32) / 255.
    train_images = np.expand_dims(train_images, axis=-1)
    test_images = np.expand_dims(test_images, axis=-1)
    if one_hot:
        train_labels = to_categorical(train_labels, 10)
        test_labels = to_categorical(test_labels, 10)
    return (train_images, train_labels), (test_images, test_labels)


def pyplot():
    """matplotlib.pyplot writing files only, or None (the pictures are then skipped)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
