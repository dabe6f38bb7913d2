"""compile / fit / evaluate / predict (mixed into Model).

fit(x, y) checks everything it can before the first update — x and y lengths, NaN/inf in x or y,
the model's input shape — so a bad call raises a clear error and leaves the weights untouched.
Data may be arrays (a list of arrays for several inputs) or any iterable of (x_batch, y_batch)
pairs (such as a batched dataset), re-iterated every epoch.

Progress: verbose=1 shows a tqdm bar per epoch (loss, metrics, images/s) when tqdm is installed
(the `progress` extra), otherwise one summary line per epoch, as verbose=2 always does; verbose=0
prints nothing.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from fastconv.autograd import GradientTape, Tensor
from fastconv.keras import _backend
from fastconv.keras import callbacks as _callbacks
from fastconv.keras import losses as _losses
from fastconv.keras import metrics as _metrics
from fastconv.keras import optimizers as _optimizers

__all__ = ["TrainingMixin"]


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _as_input_array(x, what):
    if isinstance(x, (list, tuple)):
        return [_as_input_array(a, f"{what}[{i}]") for i, a in enumerate(x)]
    arr = x._value if isinstance(x, Tensor) else np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what} must have a batch dimension, got a scalar")
    return np.ascontiguousarray(arr, np.float32)


def _as_target_array(y, what):
    arr = y._value if isinstance(y, Tensor) else np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what} must have a batch dimension, got a scalar")
    return arr


def _num_samples(x):
    return len(x[0]) if isinstance(x, list) else len(x)


def _check_finite(arr, what):
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{what} contains NaN or infinite values (first at index "
                         f"{tuple(int(i) for i in bad)}: {arr[tuple(bad)]})")


def _take(x, idx):
    if isinstance(x, list):
        return [a[idx] for a in x]
    return x[idx]


def _is_array_like(x):
    return isinstance(x, (np.ndarray, Tensor)) or (
        isinstance(x, (list, tuple)) and x and all(isinstance(a, (np.ndarray, Tensor))
                                                    for a in x))


class _ArrayBatches:
    """Batches of (x, y) from arrays; shuffled each epoch from the global generator."""

    def __init__(self, x, y, batch_size, shuffle, what):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"{what}: batch_size must be a positive int, got {batch_size!r}")
        self.x = _as_input_array(x, f"{what}: x")
        self.n = _num_samples(self.x)
        if isinstance(self.x, list):
            for i, a in enumerate(self.x):
                if len(a) != self.n:
                    raise ValueError(f"{what}: input arrays have different numbers of samples: "
                                     f"x[0] has {self.n}, x[{i}] has {len(a)}")
        for a in (self.x if isinstance(self.x, list) else [self.x]):
            _check_finite(a, f"{what}: x")
        self.y = None
        if y is not None:
            self.y = _as_target_array(y, f"{what}: y")
            if len(self.y) != self.n:
                raise ValueError(f"{what}: x and y have different numbers of samples: x has "
                                 f"{self.n}, y has {len(self.y)}")
            _check_finite(self.y, f"{what}: y")
        if self.n == 0:
            raise ValueError(f"{what}: x is empty")
        self.batch_size, self.shuffle = int(batch_size), shuffle
        self.steps = math.ceil(self.n / self.batch_size)

    def __iter__(self):
        order = (_backend.global_rng().permutation(self.n) if self.shuffle
                 else np.arange(self.n))
        for s in range(0, self.n, self.batch_size):
            idx = order[s:s + self.batch_size]
            if not self.shuffle:
                idx = slice(s, s + self.batch_size)
            yield _take(self.x, idx), (None if self.y is None else self.y[idx])


class _IterableBatches:
    """Batches from any iterable of (x, y) pairs (or of x alone for predict)."""

    def __init__(self, data, what, with_y=True):
        self.data, self.what, self.with_y = data, what, with_y
        try:
            self.steps = len(data)
        except TypeError:
            self.steps = None

    def __iter__(self):
        for item in self.data:
            if self.with_y:
                if not isinstance(item, (tuple, list)) or len(item) < 2:
                    raise ValueError(f"{self.what}: a dataset must yield (x, y) pairs, got "
                                     f"{type(item).__name__}")
                xb, yb = item[0], item[1]
                xb = _as_input_array(xb, f"{self.what}: x")
                yb = _as_target_array(yb, f"{self.what}: y")
                if _num_samples(xb) != len(yb):
                    raise ValueError(f"{self.what}: a batch has {_num_samples(xb)} inputs but "
                                     f"{len(yb)} targets")
                for a in (xb if isinstance(xb, list) else [xb]):
                    _check_finite(a, f"{self.what}: x")
                _check_finite(yb, f"{self.what}: y")
                yield xb, yb
            else:
                xb = item[0] if isinstance(item, tuple) else item
                yield _as_input_array(xb, f"{self.what}: x"), None


def _batches(x, y, batch_size, shuffle, what, with_y=True):
    if y is None and x is not None and not _is_array_like(x) and hasattr(x, "__iter__"):
        return _IterableBatches(x, what, with_y)
    if with_y and y is None:
        raise ValueError(f"{what}: y is required when x is an array")
    return _ArrayBatches(x, y, batch_size, shuffle, what)


class _Progress:
    """A tqdm bar (verbose=1 with tqdm installed) or one line per epoch."""

    def __init__(self, verbose, steps, desc):
        self.verbose, self.desc, self.bar = verbose, desc, None
        self.start = time.perf_counter()
        self.samples = 0
        tqdm = _tqdm() if verbose == 1 else None
        if tqdm is not None:
            self.bar = tqdm(total=steps, desc=desc, unit="batch", leave=True, file=sys.stdout,
                            dynamic_ncols=True)

    def rate(self):
        dt = time.perf_counter() - self.start
        return self.samples / dt if dt > 0 else 0.0

    def update(self, n_samples, logs):
        self.samples += n_samples
        if self.bar is not None:
            parts = [f"{k}={v:.4f}" for k, v in logs.items()]
            parts.append(f"{self.rate():.0f} img/s")
            self.bar.set_postfix_str(" ".join(parts), refresh=False)
            self.bar.update(1)

    def close(self, logs):
        if self.bar is not None:
            parts = [f"{k}={v:.4f}" for k, v in logs.items()]
            parts.append(f"{self.rate():.0f} img/s")
            self.bar.set_postfix_str(" ".join(parts))
            self.bar.close()
        elif self.verbose:
            dt = time.perf_counter() - self.start
            body = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
            print(f"{self.desc} - {dt:.1f}s - {body} - {self.rate():.0f} img/s", flush=True)


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


class TrainingMixin:
    def _init_training(self):
        self.optimizer = None
        self.compiled_loss = None
        self._metric_objs = []
        self.stop_training = False
        self.history = None

    def compile(self, optimizer="adam", loss=None, metrics=None, loss_weights=None,
                run_eagerly=None, jit_compile=None, **kwargs):
        """optimizer: 'adam' / 'sgd' / Optimizer; loss: name / Loss / callable(y_true, y_pred);
        metrics: list of 'accuracy', names, Metric objects or callables."""
        if kwargs:
            raise TypeError(f"compile: unexpected keyword argument(s) {sorted(kwargs)}")
        if loss_weights is not None:
            raise NotImplementedError("compile: loss_weights is not supported")
        self.optimizer = _optimizers.get(optimizer)
        self.compiled_loss = None if loss is None else _losses.get(loss)
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, _metrics.Metric)) or callable(metrics):
            metrics = [metrics]
        self._metric_objs = [_metrics.get(m, self.compiled_loss) for m in metrics]
        self._compiled_metric_names = list(metrics)

    @property
    def metrics_names(self):
        return ["loss"] + [m.name for m in self._metric_objs]

    def _require_compiled(self, what):
        if self.optimizer is None or self.compiled_loss is None:
            raise RuntimeError(f"{what}: the model must be compiled with an optimizer and a loss "
                               f"first: model.compile(optimizer='adam', loss=..., "
                               f"metrics=['accuracy'])")

    def _loss_value(self, y_true, y_pred):
        loss = self.compiled_loss(y_true, y_pred)
        if tuple(np.shape(loss)) != ():
            from fastconv import ops

            loss = ops.reduce_mean(loss)
        return loss

    def train_step(self, x, y):
        """One optimizer step on a batch; returns (loss as float, predictions)."""
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._loss_value(y, y_pred)
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return float(np.asarray(loss)), y_pred

    def _first_batch_check(self, xb):
        """Run the model symbolically-free once on one example so shape errors surface before
        any weight changes."""
        one = [a[:1] for a in xb] if isinstance(xb, list) else xb[:1]
        self(one, training=False)

    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            steps_per_epoch=None):
        """Train for `epochs` epochs; returns a History (also kept as model.history)."""
        self._require_compiled("fit")
        verbose = _verbose(verbose)
        if batch_size is None:
            batch_size = 32
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"fit: validation_split must be in (0, 1), got "
                                 f"{validation_split}")
            xs = _as_input_array(x, "fit: x")
            n = _num_samples(xs)
            if len(y) != n:
                raise ValueError(f"fit: x and y have different numbers of samples: x has {n}, "
                                 f"y has {len(y)}")
            cut = int(n * (1.0 - validation_split))
            validation_data = (_take(xs, slice(cut, None)), np.asarray(y)[cut:])
            x, y = _take(xs, slice(0, cut)), np.asarray(y)[:cut]
        train = _batches(x, y, batch_size, shuffle, "fit")
        val = None
        if validation_data is not None:
            if isinstance(validation_data, tuple) and len(validation_data) >= 2:
                val = _batches(validation_data[0], validation_data[1], batch_size, False,
                               "fit: validation_data")
            else:
                val = _batches(validation_data, None, batch_size, False, "fit: validation_data")
        if isinstance(train, _ArrayBatches):
            self._first_batch_check(train.x)
        steps = train.steps if steps_per_epoch is None else int(steps_per_epoch)
        history = _callbacks.History()
        cbs = _callbacks.CallbackList(list(callbacks or []) + [history], self,
                                      {"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training = False
        self.history = history
        cbs.on_train_begin({})
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch, {})
            for m in self._metric_objs:
                m.reset_state()
            total, count = 0.0, 0
            progress = _Progress(verbose, steps, f"Epoch {epoch + 1}/{epochs}")
            for step, (xb, yb) in enumerate(train):
                if steps_per_epoch is not None and step >= steps:
                    break
                cbs.on_train_batch_begin(step, {})
                loss, y_pred = self.train_step(xb, yb)
                nb = len(yb)
                total += loss * nb
                count += nb
                for m in self._metric_objs:
                    m.update_state(yb, y_pred)
                logs = {"loss": total / count}
                logs.update({m.name: m.result() for m in self._metric_objs})
                progress.update(nb, logs)
                cbs.on_train_batch_end(step, dict(logs))
            if val is not None:
                vlogs = self._evaluate_batches(val, 0)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            progress.close(logs)
            cbs.on_epoch_end(epoch, dict(logs))
            if self.stop_training:
                break
        cbs.on_train_end(dict(logs))
        return history

    def _evaluate_batches(self, batches, verbose):
        for m in self._metric_objs:
            m.reset_state()
        total, count, logs = 0.0, 0, {}
        progress = _Progress(verbose, batches.steps, "Evaluate")
        for xb, yb in batches:
            y_pred = self(xb, training=False)
            loss = float(np.asarray(self._loss_value(yb, y_pred)))
            nb = len(yb)
            total += loss * nb
            count += nb
            for m in self._metric_objs:
                m.update_state(yb, y_pred)
            logs = {"loss": total / count}
            logs.update({m.name: m.result() for m in self._metric_objs})
            progress.update(nb, logs)
        progress.close(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=32, verbose="auto", return_dict=False,
                 callbacks=None):
        """-> loss (no metrics), [loss, metric, ...], or a dict with return_dict=True."""
        self._require_compiled("evaluate")
        logs = self._evaluate_batches(_batches(x, y, batch_size or 32, False, "evaluate"),
                                      _verbose(verbose))
        if return_dict:
            return logs
        values = [logs[k] for k in ["loss"] + [m.name for m in self._metric_objs]]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32, verbose="auto", callbacks=None):
        """Run the model in inference mode over x in batches -> NumPy array(s)."""
        batches = _batches(x, None, batch_size or 32, False, "predict", with_y=False)
        outs = []
        progress = _Progress(_verbose(verbose), batches.steps, "Predict")
        for xb, _ in batches:
            y = self(xb, training=False)
            outs.append(y)
            progress.update(_num_samples(xb), {})
        progress.close({})
        if not outs:
            raise ValueError("predict: no data")
        if isinstance(outs[0], (list, tuple)):
            return [np.concatenate([np.asarray(o[i]) for o in outs]) for i in range(len(outs[0]))]
        return np.concatenate([np.asarray(o) for o in outs])

    def predict_on_batch(self, x):
        return np.asarray(self(_as_input_array(x, "predict_on_batch: x"), training=False))

    def train_on_batch(self, x, y):
        self._require_compiled("train_on_batch")
        b = _ArrayBatches(x, y, max(1, _num_samples(_as_input_array(x, "train_on_batch: x"))),
                          False, "train_on_batch")
        xb, yb = next(iter(b))
        loss, y_pred = self.train_step(xb, yb)
        if not self._metric_objs:
            return loss
        vals = []
        for m in self._metric_objs:
            m.reset_state()
            m.update_state(yb, y_pred)
            vals.append(m.result())
        return [loss] + vals

    def test_on_batch(self, x, y):
        return self.evaluate(x, y, batch_size=_num_samples(_as_input_array(x, "test_on_batch: x")),
                             verbose=0)
