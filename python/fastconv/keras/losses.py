"""Losses: functions return one loss per example (a Tensor of shape (N,)); Loss objects return the
mean over the batch (Keras's 'sum_over_batch_size' reduction) as a scalar Tensor.

categorical_crossentropy(y_true, y_pred, from_logits=False): y_true one-hot / probabilities (N, K).
With from_logits=False, y_pred are probabilities: as Keras, each row is renormalized to sum to 1
and clipped to [1e-7, 1 - 1e-7] before the log. sparse_categorical_crossentropy takes integer class
ids (N,) or (N, 1).
"""

from __future__ import annotations

import numpy as np

from fastconv import ops
from fastconv.autograd import Tensor, record, recording
from fastconv.keras import _backend

__all__ = ["Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "MeanSquaredError", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "mean_squared_error", "mse", "get", "serialize", "deserialize"]

_EPS = 1e-7


def _labels(y, op):
    v = y._value if isinstance(y, Tensor) else np.asarray(y)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"{op}: y_true must be numeric, got dtype {v.dtype}")
    return v


def _xent_rows(t, y_pred, from_logits, op):
    """-sum_k t[n,k] log p[n,k] per row, recorded on the tape (no gradient to t)."""
    z = _backend.value(y_pred)
    if z.ndim != 2:
        raise ValueError(f"{op}: y_pred must be (batch, classes), got shape {z.shape}")
    if t.shape != z.shape:
        raise ValueError(f"{op}: y_true has shape {t.shape} but y_pred has shape {z.shape}")
    t = t.astype(np.float64)
    zd = z.astype(np.float64)
    if from_logits:
        shifted = zd - zd.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -(np.where(t != 0, t * logp, 0.0)).sum(axis=1)
    else:
        s = zd.sum(axis=1, keepdims=True)
        q = zd / s
        c = np.clip(q, _EPS, 1.0 - _EPS)
        loss = -(t * np.log(c)).sum(axis=1)
    out = Tensor(loss.astype(np.float32))
    if recording():
        def backward(dy, needs):
            d = np.asarray(dy, np.float64).reshape(-1, 1)
            if from_logits:
                g = (np.exp(logp) * t.sum(axis=1, keepdims=True) - t) * d
            else:
                gq = np.where((q > _EPS) & (q < 1.0 - _EPS), -t / c, 0.0) * d
                g = (gq - (gq * q).sum(axis=1, keepdims=True)) / s
            return (None, g.astype(np.float32))

        record("categorical_crossentropy", (None, y_pred), out, backward)
    return out


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-example cross-entropy of one-hot/probability targets (N, K) -> (N,)."""
    if axis != -1:
        raise NotImplementedError("categorical_crossentropy: only axis=-1 is supported")
    t = _labels(y_true, "categorical_crossentropy").astype(np.float64)
    if label_smoothing:
        k = t.shape[-1]
        t = t * (1.0 - label_smoothing) + label_smoothing / k
    return _xent_rows(t, y_pred, from_logits, "categorical_crossentropy")


def _one_hot(ids, k, op):
    ids = np.asarray(ids)
    if ids.ndim == 2 and ids.shape[1] == 1:
        ids = ids[:, 0]
    if ids.ndim != 1:
        raise ValueError(f"{op}: y_true must be class ids of shape (N,) or (N, 1), got shape "
                         f"{ids.shape}")
    if ids.dtype.kind == "f":
        if not np.all(ids == np.round(ids)):
            raise ValueError(f"{op}: y_true must hold integer class ids")
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= k):
        raise ValueError(f"{op}: class ids must be in [0, {k}), got range "
                         f"[{ids.min()}, {ids.max()}]")
    t = np.zeros((ids.shape[0], k), np.float64)
    t[np.arange(ids.shape[0]), ids] = 1.0
    return t


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Per-example cross-entropy of integer class ids (N,) or (N, 1) -> (N,)."""
    if axis != -1:
        raise NotImplementedError("sparse_categorical_crossentropy: only axis=-1 is supported")
    op = "sparse_categorical_crossentropy"
    k = tuple(y_pred.shape)[-1]
    t = _one_hot(_labels(y_true, op), k, op)
    if t.shape[0] != tuple(y_pred.shape)[0]:
        raise ValueError(f"{op}: y_true has {t.shape[0]} labels but y_pred has shape "
                         f"{tuple(y_pred.shape)}")
    return _xent_rows(t, y_pred, from_logits, op)


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)^2) over the last axis -> (N,)."""
    t = Tensor(_labels(y_true, "mean_squared_error").astype(np.float32))
    if tuple(t.shape) != tuple(y_pred.shape):
        raise ValueError(f"mean_squared_error: y_true has shape {tuple(t.shape)} but y_pred "
                         f"has shape {tuple(y_pred.shape)}")
    d = y_pred - t
    return ops.reduce_mean(d * d, axis=-1)


mse = MSE = mean_squared_error


class Loss:
    """Base class: __call__(y_true, y_pred, sample_weight=None) -> scalar mean over the batch."""

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction not in ("sum_over_batch_size", "auto", "sum", "none", None):
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        per = self.call(y_true, y_pred)
        if sample_weight is not None:
            per = per * Tensor(np.asarray(sample_weight, np.float32).reshape(tuple(per.shape)))
        if self.reduction in ("none", None):
            return per
        if self.reduction == "sum":
            return ops.reduce_sum(per)
        return ops.reduce_mean(per)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _snake(name):
    import re

    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class CategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(name, reduction)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing,
                                        self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, axis=-1, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(name, reduction)
        self.from_logits, self.axis = bool(from_logits), axis

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "axis": self.axis}


class MeanSquaredError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(name, reduction)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


_CLASSES = {c.__name__: c for c in (CategoricalCrossentropy, SparseCategoricalCrossentropy,
                                     MeanSquaredError)}
_BY_NAME = {"categorical_crossentropy": CategoricalCrossentropy,
            "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
            "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError}


def get(identifier):
    """name / Loss / callable(y_true, y_pred) -> a callable returning a scalar loss."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"loss: unknown name {identifier!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a callable")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        for name, fn in (("categorical_crossentropy", categorical_crossentropy),
                         ("sparse_categorical_crossentropy", sparse_categorical_crossentropy),
                         ("mean_squared_error", mean_squared_error)):
            if identifier is fn:
                return _BY_NAME[name]()
        return identifier
    raise TypeError(f"loss: expected a name, a Loss or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(loss):
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    raise TypeError(f"loss: cannot serialize {loss!r}")


def deserialize(config):
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"loss: unknown class_name in {config!r}")
    return cls.from_config(dict(config.get("config", {})))
