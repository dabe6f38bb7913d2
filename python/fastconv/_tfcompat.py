"""TensorFlow-style top-level names, so lab code written for TF 2 runs with

    import fastconv as tf
    from fastconv import keras

Provides: ``nn`` (relu, softmax, sigmoid, tanh, softmax_cross_entropy_with_logits,
sparse_softmax_cross_entropy_with_logits, local_response_normalization/lrn, dropout),
``reduce_mean``, ``reduce_sum``, ``argmax``, ``equal``, ``cast``, ``one_hot``, ``reshape``,
``matmul``, the dtypes ``float32``/``int32``/``int64``/``bool``, ``random.set_seed`` and
``keras``. (Tensor, Variable, GradientTape and constant come from fastconv.autograd.)
Values are fastconv Tensors; ``.numpy()`` gives the NumPy array.
"""

from __future__ import annotations

import sys
import types

import numpy as np

from fastconv import keras, ops
from fastconv.autograd import Tensor
from fastconv.keras import _backend, activations, losses

__all__ = ["nn", "random", "keras", "reduce_mean", "reduce_sum", "argmax", "equal", "cast",
           "one_hot", "reshape", "matmul", "float32", "int32", "int64", "bool_",
           "constant_initializer", "zeros_initializer", "ones_initializer",
           "random_normal_initializer", "random_uniform_initializer",
           "glorot_uniform_initializer"]

float32 = np.float32
int32 = np.int32
int64 = np.int64
bool_ = np.bool_


def _value(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def _float(x):
    if isinstance(x, Tensor) and x.dtype == np.float32:
        return x
    return Tensor(_value(x).astype(np.float32))


def reduce_mean(input_tensor, axis=None, keepdims=False):
    """Mean over `axis` (None: all); booleans and integers are averaged as float32."""
    return ops.reduce_mean(_float(input_tensor), axis=axis, keepdims=keepdims)


def reduce_sum(input_tensor, axis=None, keepdims=False):
    return ops.reduce_sum(_float(input_tensor), axis=axis, keepdims=keepdims)


def argmax(input, axis=None, output_type=np.int64):
    """Index of the largest value along `axis` (TF's default axis is 0)."""
    return Tensor(np.argmax(_value(input), axis=0 if axis is None else axis).astype(output_type))


def equal(x, y):
    """Elementwise x == y as a bool Tensor."""
    return Tensor(np.equal(_value(x), _value(y)))


def cast(x, dtype):
    """x converted to dtype (a float32 Tensor cast to float32 is returned as it is)."""
    dtype = np.dtype(dtype)
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    return Tensor(_value(x).astype(dtype))


def one_hot(indices, depth, dtype=np.float32):
    return Tensor(keras.utils.to_categorical(_value(indices), depth, dtype=dtype))


def reshape(tensor, shape):
    return ops.reshape(tensor, tuple(shape))


def matmul(a, b, transpose_a=False, transpose_b=False):
    return ops.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


# ---- tf.nn ------------------------------------------------------------------------------------
def softmax_cross_entropy_with_logits(labels, logits, axis=-1):
    """Per-example cross-entropy of one-hot / probability labels (N, K) and logits -> (N,)."""
    return losses.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits):
    """Per-example cross-entropy of integer class ids (N,) and logits (N, K) -> (N,)."""
    return losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    return ops.lrn(input, depth_radius, bias, alpha, beta)


def dropout(x, rate, seed=None):
    """Always-on inverted dropout (tf.nn.dropout); seed=None draws from the global seed."""
    s = _backend.next_seed() if seed is None else int(seed)
    return ops.dropout(x, float(rate), s, True)


nn = types.ModuleType("fastconv.nn", "tf.nn-style functions (see fastconv._tfcompat).")
nn.relu = activations.relu
nn.softmax = activations.softmax
nn.sigmoid = activations.sigmoid
nn.tanh = activations.tanh
nn.softmax_cross_entropy_with_logits = softmax_cross_entropy_with_logits
nn.sparse_softmax_cross_entropy_with_logits = sparse_softmax_cross_entropy_with_logits
nn.local_response_normalization = local_response_normalization
nn.lrn = local_response_normalization
nn.dropout = dropout

# TF 2 initializer spellings (tf.constant_initializer(weight) in the conv-basics lab)
constant_initializer = keras.initializers.Constant
zeros_initializer = keras.initializers.Zeros
ones_initializer = keras.initializers.Ones
random_normal_initializer = keras.initializers.RandomNormal
random_uniform_initializer = keras.initializers.RandomUniform
glorot_uniform_initializer = keras.initializers.GlorotUniform

random = types.ModuleType("fastconv.random", "tf.random-style seeding.")
random.set_seed = _backend.set_seed

sys.modules.setdefault("fastconv.nn", nn)
sys.modules.setdefault("fastconv.random", random)
