"""Metrics: stateful objects (update_state / result / reset_state) and per-example functions.

'accuracy' (or 'acc') in compile() picks the variant from the loss and label shape as Keras does:
sparse_categorical_accuracy for integer labels (N,) / (N, 1) against (N, K) predictions,
categorical_accuracy for one-hot labels of the prediction's shape, binary_accuracy (threshold 0.5)
for a single output unit.
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd import Tensor

__all__ = ["Metric", "Mean", "Accuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "BinaryAccuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "binary_accuracy", "get"]


def _np(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def categorical_accuracy(y_true, y_pred):
    """(N, K) one-hot, (N, K) scores -> (N,) float32 of argmax matches."""
    t, p = _np(y_true), _np(y_pred)
    return (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """(N,) or (N, 1) class ids, (N, K) scores -> (N,) float32."""
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return (t.astype(np.int64) == np.argmax(p, axis=-1)).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    t, p = _np(y_true), _np(y_pred)
    return ((p > threshold) == (t > 0.5)).astype(np.float32).reshape(len(t), -1).mean(axis=-1)


class Metric:
    """A running statistic over batches."""

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        self._total, self._count = 0.0, 0.0

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        return float(self._total / self._count) if self._count else 0.0

    def get_config(self):
        return {"name": self.name}


class Mean(Metric):
    """Weighted mean of the values given to update_state(values, sample_weight=None)."""

    def update_state(self, values, sample_weight=None):
        v = np.asarray(_np(values), np.float64).reshape(-1)
        w = np.ones_like(v) if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, np.float64).reshape(-1), v.shape)
        self._total += float((v * w).sum())
        self._count += float(w.sum())


class _MeanOf(Mean):
    _FN = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(type(self)._FN(y_true, y_pred), sample_weight)


class CategoricalAccuracy(_MeanOf):
    _FN = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy"):
        super().__init__(name)


class SparseCategoricalAccuracy(_MeanOf):
    _FN = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(name)


class BinaryAccuracy(_MeanOf):
    _FN = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy"):
        super().__init__(name)


class Accuracy(_MeanOf):
    """Exact equality of y_true and y_pred (Keras's plain Accuracy)."""
    _FN = staticmethod(lambda t, p: (_np(t) == _np(p)).astype(np.float32).reshape(len(_np(t)), -1)
                       .mean(axis=-1))

    def __init__(self, name="accuracy"):
        super().__init__(name)


class _AutoAccuracy(Mean):
    """'accuracy' from compile(): picks the variant on the first batch (see module docstring)."""

    def __init__(self, name="accuracy", loss=None):
        self._fn = None
        self._loss = loss
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._fn is None:
            self._fn = _pick_accuracy(y_true, y_pred, self._loss)
        super().update_state(self._fn(y_true, y_pred), sample_weight)


def _pick_accuracy(y_true, y_pred, loss=None):
    from fastconv.keras import losses

    t, p = np.shape(_np(y_true)), tuple(y_pred.shape)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return sparse_categorical_accuracy
    if isinstance(loss, losses.CategoricalCrossentropy):
        return categorical_accuracy
    if p[-1] == 1:
        return binary_accuracy
    if len(t) == len(p) and t[-1] == p[-1]:
        return categorical_accuracy
    return sparse_categorical_accuracy


_BY_NAME = {"categorical_accuracy": CategoricalAccuracy,
            "sparse_categorical_accuracy": SparseCategoricalAccuracy,
            "binary_accuracy": BinaryAccuracy}


def get(identifier, loss=None):
    """A name ('accuracy', 'acc', 'categorical_accuracy', ...), Metric, or callable(y_true,
    y_pred) -> per-example values (wrapped in a Mean named after the function)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _AutoAccuracy(identifier, loss)
        cls = _BY_NAME.get(key)
        if cls is None:
            raise ValueError(f"metric: unknown name {identifier!r}; expected 'accuracy' or one "
                             f"of {sorted(_BY_NAME)}")
        return cls()
    if callable(identifier):
        fn = identifier
        m = _MeanOf(getattr(fn, "__name__", "metric"))
        m.update_state = lambda y_true, y_pred, sample_weight=None: Mean.update_state(
            m, fn(y_true, y_pred), sample_weight)
        return m
    raise TypeError(f"metric: expected a name, a Metric or a callable, got "
                    f"{type(identifier).__name__}")
