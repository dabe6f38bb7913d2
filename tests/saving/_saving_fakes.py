"""Minimal stand-ins for Variables, layers, models and optimizers, duck-typed like fastconv.keras
(so the saving code is tested independently of the real layers; test_saving_keras.py covers
those)."""

from __future__ import annotations

import numpy as np


class FakeVariable:
    def __init__(self, value, name=None, trainable=True):
        self._v = np.array(value, dtype=np.float32)
        self.name = name
        self.trainable = trainable
        self.assign_calls = 0

    @property
    def shape(self):
        return self._v.shape

    def numpy(self):
        return self._v.copy()

    def assign(self, value):
        value = np.asarray(value, np.float32)
        if value.shape != self._v.shape:
            raise ValueError("shape mismatch in assign")
        self.assign_calls += 1
        self._v[...] = value


class FakeDense:
    def __init__(self, units, input_dim=None, name=None, seed=0):
        self.units = units
        self.input_dim = input_dim
        self.name = name or f"dense_{units}"
        self.seed = seed
        self.kernel = self.bias = None
        if input_dim is not None:
            self.build((None, input_dim))

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        self.kernel = FakeVariable(rng.standard_normal((input_shape[-1], self.units)),
                                   f"{self.name}/kernel")
        self.bias = FakeVariable(rng.standard_normal(self.units), f"{self.name}/bias")

    @property
    def variables(self):
        return [] if self.kernel is None else [self.kernel, self.bias]

    def get_config(self):
        return {"units": self.units, "input_dim": self.input_dim, "name": self.name,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __call__(self, x):
        if self.kernel is None:
            self.build(np.shape(x))
        return np.asarray(x) @ self.kernel.numpy() + self.bias.numpy()


class Sequential:
    def __init__(self, layers, name="sequential"):
        self.layers = list(layers)
        self.name = name

    @property
    def variables(self):
        return [v for layer in self.layers for v in layer.variables]

    def build(self, input_shape):
        self(np.zeros((1,) + tuple(input_shape[1:]), np.float32))

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class MyModel:
    """A subclassed model: layers tracked, architecture only in code."""

    def __init__(self):
        self.name = "my_model"
        self.d1 = FakeDense(4, input_dim=3, name="d1", seed=1)
        self.d2 = FakeDense(2, input_dim=4, name="d2", seed=2)
        self.layers = [self.d1, self.d2]

    @property
    def variables(self):
        return self.d1.variables + self.d2.variables

    def __call__(self, x):
        return self.d2(self.d1(x))


class FakeAdam:
    def __init__(self, params):
        self.name = "adam"
        self.iterations = FakeVariable(0.0, "iterations")
        self._m = [FakeVariable(np.zeros(p.shape), f"m/{p.name}") for p in params]
        self._v = [FakeVariable(np.zeros(p.shape), f"v/{p.name}") for p in params]
        self._params = params

    @property
    def variables(self):
        return self._m + self._v

    def step(self, grads):
        for p, m, v, g in zip(self._params, self._m, self._v, grads):
            m.assign(0.9 * m.numpy() + 0.1 * g)
            v.assign(0.999 * v.numpy() + 0.001 * g * g)
            p.assign(p.numpy() - 0.01 * m.numpy() / (np.sqrt(v.numpy()) + 1e-7))
        self.iterations.assign(self.iterations.numpy() + 1)


def mlp(seed=0, hidden=4):
    return Sequential([FakeDense(hidden, input_dim=3, name="hidden", seed=seed),
                       FakeDense(2, input_dim=hidden, name="out", seed=seed + 1)])


def values(model):
    return [v.numpy() for v in model.variables]


class LazySlotSGD:
    """Like fastconv.keras optimizers: slots created lazily per variable in ``_slots``,
    ``iterations`` a plain int, momentum SGD update."""

    _SLOTS = ("velocity",)

    def __init__(self):
        self.name = "sgd"
        self.iterations = 0
        self._slots = {}

    def _slots_for(self, var):
        entry = self._slots.get(id(var))
        if entry is None:
            entry = (var, {"velocity": np.zeros(var.shape, np.float32)})
            self._slots[id(var)] = entry
        return entry[1]

    def apply_gradients(self, pairs):
        for g, var in pairs:
            vel = self._slots_for(var)["velocity"]
            vel *= 0.9
            vel -= 0.1 * np.asarray(g, np.float32)
            var.assign(var.numpy() + vel)
        self.iterations += 1
