"""Optimizers: SGD (momentum, Nesterov) and Adam with Keras's update formulas.

``apply_gradients(zip(grads, variables))`` skips pairs whose gradient is None (non-trainable
variables such as batch-norm moving statistics), checks every shape before changing anything, then
updates each Variable in place. Slots (SGD velocity, Adam m and v) are created per variable on its
first update. The update runs in the native in-place kernels ``fastconv.ops.sgd_update_`` /
``adam_update_`` when they exist, else in float32 NumPy with the same formulas (see
fastconv.reference.optim).

learning_rate: a float, or a callable ``schedule(iterations) -> float`` (iterations counts the
apply_gradients calls made so far).
"""

from __future__ import annotations

import numpy as np

from fastconv import ops
from fastconv.autograd import Tensor, Variable

__all__ = ["Optimizer", "SGD", "Adam", "get", "serialize", "deserialize", "schedules"]


def _grad_array(g, v):
    arr = g._value if isinstance(g, Tensor) else np.asarray(g)
    if arr.shape != tuple(v.shape):
        raise ValueError(f"apply_gradients: gradient for variable '{v.name}' has shape "
                         f"{arr.shape}, the variable has shape {tuple(v.shape)}")
    return np.ascontiguousarray(arr, np.float32)


class Optimizer:
    """Base class. Subclasses implement _update(var_array, grad, slots, lr, step)."""

    _SLOTS = ()

    def __init__(self, learning_rate=0.001, name=None, **kwargs):
        if kwargs.pop("lr", None) is not None:
            raise TypeError(f"{type(self).__name__}: use learning_rate= (lr= was removed in "
                            f"Keras 3)")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        self.learning_rate = learning_rate
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots = {}  # id(variable) -> (variable, {slot name: float32 array})

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{type(self).__name__}: learning_rate must be a finite "
                                 f"non-negative number, got {value}")
        self._lr = value

    lr = learning_rate

    def _current_lr(self):
        lr = self._lr
        return float(lr(self.iterations)) if callable(lr) else lr

    def _slots_for(self, var):
        entry = self._slots.get(id(var))
        if entry is None or entry[0] is not var:
            entry = (var, {s: np.zeros(var.shape, np.float32) for s in self._SLOTS})
            self._slots[id(var)] = entry
        return entry[1]

    def build(self, var_list):
        """Create the slots of every variable now (Keras's optimizer.build)."""
        for v in var_list:
            self._slots_for(v)

    def apply_gradients(self, grads_and_vars):
        """Apply one step to each (gradient, variable) pair; pairs with a None gradient are
        skipped. Returns the number of iterations done so far."""
        pairs = []
        for item in grads_and_vars:
            try:
                g, v = item
            except (TypeError, ValueError):
                raise TypeError("apply_gradients: expected (gradient, variable) pairs, e.g. "
                                "zip(grads, model.trainable_variables)") from None
            if g is None:
                continue
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients: expected a Variable, got {type(v).__name__}")
            pairs.append((_grad_array(g, v), v))
        lr = self._current_lr()
        step = self.iterations + 1
        for g, v in pairs:
            self._update(v, g, self._slots_for(v), lr, step)
        self.iterations = step
        return self.iterations

    def minimize(self, loss_fn, var_list):
        """Compute the gradient of loss_fn() w.r.t. var_list and apply it."""
        from fastconv.autograd import GradientTape

        with GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, var_list)
        self.apply_gradients(zip(grads, var_list))
        return loss

    def variables(self):
        """The slot arrays (TF 2-era method form); fastconv.train checkpoints them, keyed by the
        model variable they belong to, together with ``iterations`` (an int)."""
        return [s for _, slots in self._slots.values() for s in slots.values()]

    def get_config(self):
        lr = self._lr
        return {"name": self.name, "learning_rate": lr if not callable(lr) else repr(lr)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """SGD(learning_rate=0.01, momentum=0.0, nesterov=False)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._SLOTS = ("velocity",) if self.momentum else ()

    def _update(self, var, g, slots, lr, step):
        native = getattr(ops, "sgd_update_", None)
        p = np.asarray(var)  # the Variable's own buffer (updated in place)
        vel = slots.get("velocity")
        if native is not None and p.dtype == np.float32 and p.flags.c_contiguous:
            native(p, g, vel, lr, self.momentum, self.nesterov)
            return
        if not self.momentum:
            var.assign(p - np.float32(lr) * g)
            return
        m, lr32 = np.float32(self.momentum), np.float32(lr)
        vel *= m
        vel -= lr32 * g
        if self.nesterov:
            var.assign(p + m * vel - lr32 * g)
        else:
            var.assign(p + vel)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07) (no amsgrad)."""

    _SLOTS = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if amsgrad:
            raise NotImplementedError("Adam: amsgrad is not supported")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, var, g, slots, lr, step):
        native = getattr(ops, "adam_update_", None)
        p = np.asarray(var)
        m, v = slots["m"], slots["v"]
        if native is not None and p.dtype == np.float32 and p.flags.c_contiguous:
            native(p, g, m, v, lr, self.beta_1, self.beta_2, self.epsilon, step)
            return
        b1, b2 = self.beta_1, self.beta_2
        lr_t = np.float32(lr * np.sqrt(1.0 - b2 ** step) / (1.0 - b1 ** step))
        m *= np.float32(b1)
        m += np.float32(1.0 - b1) * g
        v *= np.float32(b2)
        v += np.float32(1.0 - b2) * (g * g)
        var.assign(p - lr_t * m / (np.sqrt(v) + np.float32(self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


_CLASSES = {"SGD": SGD, "Adam": Adam}


def get(identifier):
    """'adam' / 'sgd' / an Optimizer -> an Optimizer (names give the Keras defaults)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = {"adam": Adam, "sgd": SGD}.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizer: unknown name {identifier!r}; expected 'adam' or 'sgd'")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"optimizer: expected a name or an Optimizer, got "
                    f"{type(identifier).__name__}")


def serialize(opt):
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


def deserialize(config):
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"optimizer: unknown class_name in {config!r}")
    return cls.from_config(dict(config.get("config", {})))


class _Schedules:
    """keras.optimizers.schedules: learning-rate schedules, callables of the step count."""

    class LearningRateSchedule:
        def __call__(self, step):
            raise NotImplementedError

        def get_config(self):
            return {}

    class ExponentialDecay(LearningRateSchedule):
        """lr = initial_learning_rate * decay_rate ** (step / decay_steps) (floored with
        staircase=True)."""

        def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                     name=None):
            if decay_steps <= 0:
                raise ValueError(f"ExponentialDecay: decay_steps must be positive, got "
                                 f"{decay_steps}")
            self.initial_learning_rate = float(initial_learning_rate)
            self.decay_steps, self.decay_rate = float(decay_steps), float(decay_rate)
            self.staircase = bool(staircase)

        def __call__(self, step):
            p = float(step) / self.decay_steps
            if self.staircase:
                p = float(np.floor(p))
            return self.initial_learning_rate * self.decay_rate ** p

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate,
                    "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                    "staircase": self.staircase}

    class PiecewiseConstantDecay(LearningRateSchedule):
        """values[i] while step <= boundaries[i] (values has one more entry)."""

        def __init__(self, boundaries, values, name=None):
            if len(values) != len(boundaries) + 1:
                raise ValueError("PiecewiseConstantDecay: values must have one more entry than "
                                 "boundaries")
            self.boundaries, self.values = list(boundaries), [float(v) for v in values]

        def __call__(self, step):
            for b, v in zip(self.boundaries, self.values):
                if step <= b:
                    return v
            return self.values[-1]

        def get_config(self):
            return {"boundaries": self.boundaries, "values": self.values}


schedules = _Schedules
