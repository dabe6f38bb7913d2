"""fastconv.datasets: MNIST and Fashion-MNIST loaders with the Keras interface.

``fastconv.datasets.mnist.load_data()`` / ``fastconv.datasets.fashion_mnist.load_data()``
return ``((x_train, y_train), (x_test, y_test))`` uint8 arrays. See ``_loader`` for where the
files are looked for and how downloads are verified.
"""

from fastconv.datasets import fashion_mnist, mnist
from fastconv.datasets._idx import DatasetCorruptError
from fastconv.datasets._loader import DatasetNotFoundError

__all__ = ["mnist", "fashion_mnist", "DatasetNotFoundError", "DatasetCorruptError"]
