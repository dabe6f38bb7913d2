"""Weight initializers with Keras 3's definitions, usable by name or as objects.

Fans follow Keras ``compute_fans``: a dense kernel (in, out) has fan_in=in, fan_out=out; a conv
kernel (KH, KW, C, F) has fan_in = KH*KW*C and fan_out = KH*KW*F (receptive field x channels).
The *Normal variance-scaling initializers (GlorotNormal, HeNormal, LecunNormal) draw from a normal
truncated at two standard deviations whose stddev is sqrt(scale / fan) / .87962566103423978, the
stddev of a unit normal truncated to [-2, 2], so the result has the intended variance.

Randomness: an initializer built with ``seed=n`` owns a generator seeded with n (the same values
for the same call sequence); with ``seed=None`` it draws from the global generator that
``fastconv.random.set_seed`` resets. Calling ``init(shape, dtype=None)`` returns a float32 array.
"""

from __future__ import annotations

import math

import numpy as np

from fastconv.keras import _backend

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
    "HeUniform", "LecunNormal", "LecunUniform", "get", "serialize", "deserialize",
    "compute_fans",
]


def compute_fans(shape):
    """shape -> (fan_in, fan_out), Keras's rule (see the module docstring)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


class Initializer:
    """Base class: subclasses implement __call__(shape, dtype=None) and get_config()."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    def _generator(self):
        return self._rng if self._rng is not None else _backend.global_rng()


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(_shape(shape), np.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(_shape(shape), np.float32)


class Constant(Initializer):
    """A scalar filled everywhere, or an array (reshaped when it has as many elements as the
    weight, like tf.constant_initializer; broadcast otherwise)."""

    def __init__(self, value=0.0):
        arr = np.asarray(value._value if hasattr(value, "_value") else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Constant: value must be numeric, got dtype {arr.dtype}")
        self.value = arr.astype(np.float32)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        v = self.value
        if v.ndim == 0:
            return np.full(shape, v, np.float32)
        if v.shape == shape:
            return v.copy()
        if v.size == math.prod(shape):
            return v.reshape(shape).copy()
        try:
            return np.broadcast_to(v, shape).copy()
        except ValueError:
            raise ValueError(f"Constant: value of shape {v.shape} cannot initialize a weight of "
                             f"shape {shape}") from None

    def get_config(self):
        v = self.value
        return {"value": float(v) if v.ndim == 0 else v.tolist()}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        g = self._generator()
        return (g.standard_normal(_shape(shape)) * self.stddev + self.mean).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        g = self._generator()
        return g.uniform(self.minval, self.maxval, _shape(shape)).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(g, shape, mean, stddev):
    """Normal(mean, stddev) resampled until every value lies within two stddevs."""
    z = g.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = g.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return (z * stddev + mean).astype(np.float32)


class TruncatedNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._generator(), _shape(shape), self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Seeded):
    """Keras VarianceScaling(scale, mode in fan_in/fan_out/fan_avg, distribution in
    truncated_normal/untruncated_normal/uniform)."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        mode, distribution = str(mode).lower(), str(distribution).lower()
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self._MODES}, got {mode!r}")
        if distribution not in self._DISTS:
            raise ValueError(f"VarianceScaling: distribution must be one of {self._DISTS}, "
                             f"got {distribution!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        g = self._generator()
        if self.distribution == "truncated_normal":
            return _truncated_normal(g, shape, 0.0, math.sqrt(scale) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return (g.standard_normal(shape) * math.sqrt(scale)).astype(np.float32)
        limit = math.sqrt(3.0 * scale)
        return g.uniform(-limit, limit, shape).astype(np.float32)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Fixed(VarianceScaling):
    _ARGS = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None):
        super().__init__(*self._ARGS, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Fixed):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)). The Keras default."""
    _ARGS = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Fixed):
    """Truncated normal, stddev = sqrt(2 / (fan_in + fan_out)) / .8796..."""
    _ARGS = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Fixed):
    """Truncated normal, stddev = sqrt(2 / fan_in) / .8796..."""
    _ARGS = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Fixed):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in)."""
    _ARGS = (2.0, "fan_in", "uniform")


class LecunNormal(_Fixed):
    _ARGS = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Fixed):
    _ARGS = (1.0, "fan_in", "uniform")


# TF2-style lowercase names (tf.keras.initializers.glorot_normal() etc.) are the classes.
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform

_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform,
                                     TruncatedNormal, VarianceScaling, GlorotUniform,
                                     GlorotNormal, HeNormal, HeUniform, LecunNormal,
                                     LecunUniform)}
_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
            "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform}


def get(identifier):
    """None / name ('glorot_normal', 'GlorotNormal') / Initializer / class / config dict /
    callable(shape, dtype) -> an initializer."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"initializer: unknown name {identifier!r}; expected one of "
                             f"{sorted(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer: expected a name, an Initializer or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(init):
    """Initializer -> {"class_name": ..., "config": {...}} (JSON-safe)."""
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise TypeError(f"initializer: cannot serialize {init!r}; use an Initializer subclass")


def deserialize(config):
    name = config.get("class_name")
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"initializer: unknown class_name {name!r} in {config!r}")
    return cls.from_config(dict(config.get("config", {})))
