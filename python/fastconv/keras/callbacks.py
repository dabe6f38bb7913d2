"""Callbacks for fit(): Callback (base), History (always added; fit returns it), EarlyStopping,
LearningRateScheduler, LambdaCallback.

Hooks: on_train_begin/end(logs), on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs) with
logs = {'loss', 'accuracy', ..., 'val_loss', 'val_accuracy', ...}, on_train_batch_begin/end(batch,
logs), on_test_begin/end, on_predict_begin/end. A callback may set ``self.model.stop_training =
True`` to end training after the current epoch.
"""

from __future__ import annotations



__all__ = ["Callback", "History", "EarlyStopping", "LearningRateScheduler", "LambdaCallback",
           "CallbackList"]


class Callback:
    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class History(Callback):
    """history.history: {'loss': [per epoch], 'accuracy': [...], 'val_loss': [...]};
    history.epoch: epoch indices."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by min_delta for `patience` epochs; optionally restore
    the best weights seen."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if ("acc" in monitor or "auc" in monitor) else "min"
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), int(patience)
        self.verbose, self.mode, self.baseline = verbose, mode, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.stopped_epoch = 0

    def _better(self, a, b):
        if b is None:
            return True
        return a < b - self.min_delta if self.mode == "min" else a > b + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch = 0, 0
        self.best, self.best_weights, self.best_epoch = self.baseline, None, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or epoch < self.start_from_epoch:
            return
        if self._better(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)



class LearningRateScheduler(Callback):
    """At the start of each epoch sets the optimizer's learning rate to ``schedule(epoch, lr)``
    (epoch counts from 0, lr is the current rate), as Keras; the rate used is logged as
    ``logs['learning_rate']`` at the end of the epoch."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got "
                            f"{type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            raise ValueError("LearningRateScheduler: the model has no optimizer (compile it first)")
        current = opt.learning_rate
        if callable(current):
            raise ValueError("LearningRateScheduler: the optimizer's learning_rate is already a "
                             "schedule; use one or the other")
        lr = self.schedule(epoch, float(current))
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise ValueError(f"LearningRateScheduler: schedule returned {lr!r}, not a number") \
                from None
        opt.learning_rate = lr  # the optimizer validates (finite, >= 0)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)

class LambdaCallback(Callback):
    """LambdaCallback(on_epoch_end=lambda epoch, logs: ..., ...)."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected keras.callbacks.Callback objects, got "
                                f"{type(cb).__name__}")
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, name):
        if not name.startswith("on_"):
            raise AttributeError(name)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, name)(*args)
        return call


