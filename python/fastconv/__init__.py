"""fastconv: fast, trustworthy convolutional networks on the CPU.

The hot paths are C++ kernels (AVX-512, AVX2+FMA and portable versions chosen at run time,
OpenMP threads); this package is the public face. See README.md.
"""

from fastconv._runtime import cpu_info, get_num_threads, set_num_threads
from fastconv import _core

# Resolve the ISA now, so a bad FASTCONV_ISA fails at import with its message.
_core.get_isa()
del _core
from fastconv.autograd import GradientTape, Tensor, Variable, constant, convert_to_tensor
from fastconv import autograd, ops, reference

__version__ = "0.1.0"

__all__ = ["cpu_info", "get_num_threads", "set_num_threads", "ops", "reference", "__version__",
           "autograd", "Tensor", "Variable", "GradientTape", "constant", "convert_to_tensor"]

from fastconv import datasets  # noqa: E402  (MNIST / Fashion-MNIST loaders, standard library only)

__all__ += ["datasets"]

from fastconv import image  # noqa: E402  (batched native augmentation: rotate, shift, ...)

__all__ += ["image"]

# TensorFlow-style names (nn, random, reduce_mean, argmax, ...) and the Keras API:
# `import fastconv as tf; from fastconv import keras` runs TF 2 Keras lab code.
from fastconv import keras  # noqa: E402
from fastconv._tfcompat import *  # noqa: E402,F401,F403
from fastconv._tfcompat import __all__ as _tf_names  # noqa: E402

__all__ += _tf_names
del _tf_names

from fastconv import data, saving, train  # noqa: E402  (input pipeline, saving, checkpoints)

__all__ += ["data", "saving", "train"]
