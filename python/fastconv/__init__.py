"""fastconv: fast, trustworthy convolutional networks on the CPU.

The hot paths are C++ kernels (AVX-512, AVX2+FMA and portable versions chosen at run time,
OpenMP threads); this package is the public face. See README.md.

`import fastconv` loads only the runtime, the autograd tape and the ops. The larger parts
(keras, applications, data sets, saving, the TF-style names such as fastconv.nn) are imported
on first use, so importing the package costs little more than importing NumPy.
"""

import importlib as _importlib

from fastconv._runtime import cpu_info, get_num_threads, set_num_threads
from fastconv import _core

# Resolve the ISA now, so a bad FASTCONV_ISA fails at import with its message.
_core.get_isa()
del _core
from fastconv.autograd import GradientTape, Tensor, Variable, constant, convert_to_tensor
from fastconv import autograd, ops

__version__ = "0.1.0"

# Submodules imported on first attribute access.
_LAZY_MODULES = ("reference", "datasets", "image", "keras", "data", "saving", "train",
                 "applications")
# TensorFlow-style names (`import fastconv as tf; from fastconv import keras` runs TF 2 Keras
# lab code); they live in fastconv._tfcompat, which imports the Keras layer stack.
_TF_NAMES = ("nn", "random", "reduce_mean", "reduce_sum", "argmax", "equal", "cast", "one_hot",
             "reshape", "matmul", "float32", "int32", "int64", "bool_", "constant_initializer",
             "zeros_initializer", "ones_initializer", "random_normal_initializer",
             "random_uniform_initializer", "glorot_uniform_initializer")

__all__ = ["cpu_info", "get_num_threads", "set_num_threads", "ops", "autograd", "Tensor",
           "Variable", "GradientTape", "constant", "convert_to_tensor", "__version__",
           *_LAZY_MODULES, *_TF_NAMES]


def __getattr__(name):
    if name in _LAZY_MODULES:
        value = _importlib.import_module(f"fastconv.{name}")
    elif name in _TF_NAMES:
        value = getattr(_importlib.import_module("fastconv._tfcompat"), name)
    else:
        raise AttributeError(f"module 'fastconv' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
