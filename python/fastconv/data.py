"""A small tf.data-like input pipeline over in-memory arrays.

    ds = (fastconv.data.Dataset.from_tensor_slices((x_train, y_train))
          .shuffle(10000, seed=0).batch(64).prefetch(fastconv.data.AUTOTUNE))
    for epoch in range(3):
        for xb, yb in ds:          # NumPy arrays; a new shuffle order each epoch
            ...

Elements are NumPy arrays in the structure given to ``from_tensor_slices``: one array, a tuple
(or namedtuple) or a dict of them (nesting allowed). Unbatched elements are read-only views
into the source arrays; batches are fresh arrays. fastconv ops accept NumPy arrays directly,
so no Tensor wrapping is done.

Performance: until the first ``map``/``batch``, a dataset is a stream of *index arrays* into
the source, so ``shuffle``, ``repeat``, ``take`` and ``batch`` work on int64 index chunks and a
batch is one fancy-indexing gather per component — never a Python object per element (a
buffer as large as the data is a single ``permutation``). After ``map``/``batch`` the same
operations work element by element on whatever the pipeline yields.

Shuffle follows tf.data: a buffer of ``buffer_size`` elements, each output drawn uniformly from
the buffer and its slot refilled with the next input; ``buffer_size >= len`` gives a uniform
permutation. With ``reshuffle_each_iteration=True`` (default) each pass over the dataset gets a
new order. Seeds: an explicit ``seed`` makes the sequence of per-epoch orders reproducible;
otherwise, after ``fastconv.data.set_seed(n)`` shuffles created afterwards are seeded from ``n``
and a creation counter, as TensorFlow derives op seeds; otherwise the seed is drawn from
fastconv's global generator (``fastconv.random.set_seed``) when fastconv.keras is loaded, so
``set_seed(n)`` before building the pipeline makes it reproducible; else the order is random.
"""

from __future__ import annotations

import itertools
import math
import sys
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "set_seed",
           "experimental"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_CHUNK = 1 << 16  # index chunk length used when streaming


class experimental:  # noqa: N801  (tf.data.experimental.AUTOTUNE in TF 2.0-2.3 era labs)
    AUTOTUNE = AUTOTUNE

# --------------------------------------------------------------------------- global seed hook

_global_seed: int | None = None
_op_counter = 0


def set_seed(seed: int | None) -> None:
    """Set (or clear, with None) the global seed for shuffles created from now on."""
    global _global_seed, _op_counter
    _global_seed = None if seed is None else int(seed)
    _op_counter = 0


def _resolve_seed(seed: int | None) -> int:
    global _op_counter
    if seed is not None:
        return int(seed)
    if _global_seed is not None:
        _op_counter += 1
        return int(np.random.SeedSequence([_global_seed, _op_counter]).generate_state(1)[0])
    backend = sys.modules.get("fastconv.keras._backend")
    if backend is not None and hasattr(backend, "next_seed"):
        # fastconv.random.set_seed / keras.utils.set_random_seed seed this generator
        return int(backend.next_seed())
    return int(np.random.SeedSequence().generate_state(1)[0])


# --------------------------------------------------------------------------- structures

def _flatten(struct: Any) -> list:
    if isinstance(struct, dict):
        return [leaf for k in struct for leaf in _flatten(struct[k])]
    if isinstance(struct, tuple):
        return [leaf for v in struct for leaf in _flatten(v)]
    return [struct]


def _pack(template: Any, leaves: Iterator) -> Any:
    if isinstance(template, dict):
        return {k: _pack(template[k], leaves) for k in template}
    if isinstance(template, tuple):
        items = [_pack(v, leaves) for v in template]
        return type(template)(*items) if hasattr(template, "_fields") else tuple(items)
    return next(leaves)


def _map_struct(fn: Callable, struct: Any) -> Any:
    return _pack(struct, iter([fn(x) for x in _flatten(struct)]))


def _labels(struct: Any, prefix: str = "") -> list[str]:
    if isinstance(struct, dict):
        return [lab for k in struct for lab in _labels(struct[k], f"{prefix}[{k!r}]")]
    if isinstance(struct, tuple):
        return [lab for i, v in enumerate(struct) for lab in _labels(v, f"{prefix}[{i}]")]
    return [f"component{prefix}" if prefix else "tensor"]


def _to_array(x: Any) -> np.ndarray:
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError("Dataset: components must be numeric arrays, got an object array "
                        "(ragged lists?)")
    return arr


def _readonly(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = a.view()
        a.flags.writeable = False
        return a
    return np.asarray(a)


# --------------------------------------------------------------------------- Dataset

class Dataset:
    """Base class; build datasets with ``Dataset.from_tensor_slices``."""

    # Index-backed datasets (before any map/batch) set these and implement _index_chunks().
    _source: Any = None

    # -- construction
    @staticmethod
    def from_tensor_slices(tensors: Any) -> "Dataset":
        """Slice ``tensors`` (an array, or a tuple/dict structure of arrays) along axis 0.

        All components must share the first dimension; a Python list is one array (as in TF).
        """
        struct = _map_struct(_to_array, tensors)
        leaves = _flatten(struct)
        labels = _labels(struct)
        for lab, leaf in zip(labels, leaves):
            if leaf.ndim == 0:
                raise ValueError(f"Dataset.from_tensor_slices: {lab} is a scalar "
                                 f"(shape ()); every component needs a first dimension to slice")
        n = leaves[0].shape[0]
        for lab, leaf in zip(labels[1:], leaves[1:]):
            if leaf.shape[0] != n:
                raise ValueError(
                    f"Dataset.from_tensor_slices: all components must have the same first "
                    f"dimension, but {labels[0]} has shape {leaves[0].shape} and {lab} has "
                    f"shape {leaf.shape}")
        return _Slices(struct, n)

    # -- introspection
    def cardinality(self) -> int:
        """Number of elements, INFINITE_CARDINALITY (-1) or UNKNOWN_CARDINALITY (-2)."""
        raise NotImplementedError

    def __len__(self) -> int:
        n = self.cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite (repeat() without a count)")
        if n < 0:
            raise TypeError("The dataset length is unknown")
        return n

    def __iter__(self) -> Iterator:
        return self._elements()

    def __repr__(self) -> str:
        n = self.cardinality()
        size = "infinite" if n == INFINITE_CARDINALITY else ("unknown" if n < 0 else str(n))
        return f"<{type(self).__name__.lstrip('_')}Dataset elements={size}>"

    def as_numpy_iterator(self) -> Iterator:
        return iter(self)

    def _elements(self) -> Iterator:
        raise NotImplementedError

    def _index_backed(self) -> bool:
        return self._source is not None

    def _index_chunks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    # -- transformations
    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> "Dataset":
        buffer_size = _positive_int(buffer_size, "shuffle", "buffer_size")
        return _Shuffle(self, buffer_size, _resolve_seed(seed), bool(reshuffle_each_iteration))

    def batch(self, batch_size: int, drop_remainder: bool = False, **_ignored) -> "Dataset":
        batch_size = _positive_int(batch_size, "batch", "batch_size")
        return _Batch(self, batch_size, bool(drop_remainder))

    def map(self, map_func: Callable, num_parallel_calls: int | None = None,
            deterministic: bool | None = None) -> "Dataset":
        """Apply ``map_func`` to each element; a tuple element is unpacked into arguments (as
        in tf.data). ``num_parallel_calls``/``deterministic`` are accepted and ignored."""
        if not callable(map_func):
            raise TypeError(f"Dataset.map: map_func must be callable, got {map_func!r}")
        return _Map(self, map_func)

    def repeat(self, count: int | None = None) -> "Dataset":
        """Repeat ``count`` times; None or -1 repeats forever."""
        if count is None or count == -1:
            count = None
        elif not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(f"Dataset.repeat: count must be a non-negative int, -1 or None, "
                             f"got {count!r}")
        return _Repeat(self, None if count is None else int(count))

    def take(self, count: int) -> "Dataset":
        """The first ``count`` elements (-1: all)."""
        if not isinstance(count, (int, np.integer)) or count < -1:
            raise ValueError(f"Dataset.take: count must be an int >= -1, got {count!r}")
        return self if count == -1 else _Take(self, int(count))

    def prefetch(self, buffer_size: int = AUTOTUNE) -> "Dataset":
        """Accepted for tf.data compatibility; elements are produced on demand (a no-op)."""
        return self

    def cache(self, filename: str = "") -> "Dataset":
        """Accepted for compatibility; in-memory sources need no cache (a no-op)."""
        return self


def _positive_int(v: Any, op: str, arg: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"Dataset.{op}: {arg} must be a positive int, got {v!r}")
    return int(v)


def _gather(source: Any, idx: Any) -> Any:
    return _map_struct(lambda a: a[idx], source)


class _IndexBacked(Dataset):
    """Elements are source[i] for i in the index stream."""

    def _elements(self):
        src = self._source
        for chunk in self._index_chunks():
            for i in chunk.tolist():
                yield _map_struct(lambda a: _readonly(a[i]), src)


class _Slices(_IndexBacked):
    def __init__(self, struct, n):
        self._source = struct
        self._n = int(n)

    def cardinality(self):
        return self._n

    def _index_chunks(self):
        for start in range(0, self._n, _CHUNK):
            yield np.arange(start, min(start + _CHUNK, self._n), dtype=np.int64)


class _Unary(Dataset):
    def __init__(self, parent: Dataset):
        self._parent = parent
        if parent._index_backed() and self._keeps_index():
            self._source = parent._source

    def _keeps_index(self) -> bool:
        return True


class _Shuffle(_Unary, _IndexBacked):
    def __init__(self, parent, buffer_size, seed, reshuffle):
        _Unary.__init__(self, parent)
        self._buffer_size = buffer_size
        self._seed = seed
        self._reshuffle = reshuffle
        self._epoch = 0

    def cardinality(self):
        return self._parent.cardinality()

    def _rng(self) -> np.random.Generator:
        epoch = self._epoch
        if self._reshuffle:
            self._epoch += 1
        return np.random.default_rng([self._seed, epoch])

    def _index_chunks(self):
        yield from self._shuffled(self._parent._index_chunks(), self._rng(), np.int64)

    def _elements(self):
        if self._index_backed():
            yield from _IndexBacked._elements(self)
            return
        # Elements are arbitrary objects (after map/batch): shuffle their positions in a buffer.
        for chunk in self._shuffled(_as_object_chunks(self._parent._elements()), self._rng(),
                                    object):
            yield from chunk

    def _shuffled(self, chunks, rng, dtype):
        B = self._buffer_size
        card = self._parent.cardinality()
        if 0 <= card <= B:  # the whole input fits in the buffer: one uniform permutation
            items = [c for c in chunks if len(c)]
            if items:
                if dtype is object:
                    allv = [v for c in items for v in c]
                    yield [allv[j] for j in rng.permutation(len(allv)).tolist()]
                else:
                    allv = np.concatenate(items)
                    yield allv[rng.permutation(len(allv))]
            return
        buf: list = []
        for chunk in chunks:
            vals = chunk.tolist() if dtype is not object else list(chunk)
            fill = min(B - len(buf), len(vals))
            buf.extend(vals[:fill])
            rest = vals[fill:]
            if not rest:
                continue
            picks = rng.integers(0, B, size=len(rest)).tolist()
            out = [None] * len(rest)
            for t, (j, v) in enumerate(zip(picks, rest)):
                out[t] = buf[j]
                buf[j] = v
            yield _as_chunk(out, dtype)
        if buf:
            order = rng.permutation(len(buf)).tolist()
            yield _as_chunk([buf[j] for j in order], dtype)


def _as_chunk(values: list, dtype):
    return values if dtype is object else np.asarray(values, dtype=dtype)


def _as_object_chunks(it, size=1024):
    while True:
        block = list(itertools.islice(it, size))
        if not block:
            return
        yield block


class _Repeat(_Unary, _IndexBacked):
    def __init__(self, parent, count):
        _Unary.__init__(self, parent)
        self._count = count

    def cardinality(self):
        n = self._parent.cardinality()
        if self._count is None:
            return 0 if n == 0 else INFINITE_CARDINALITY
        if n == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY if self._count > 0 else 0
        return n * self._count if n >= 0 else UNKNOWN_CARDINALITY

    def _epochs(self, make):
        epochs = itertools.count() if self._count is None else range(self._count)
        for _ in epochs:
            produced = False
            for x in make():
                produced = True
                yield x
            if not produced:  # repeating an empty dataset ends, as in tf.data
                return

    def _index_chunks(self):
        yield from self._epochs(self._parent._index_chunks)

    def _elements(self):
        if self._index_backed():
            yield from _IndexBacked._elements(self)
        else:
            yield from self._epochs(self._parent._elements)


class _Take(_Unary, _IndexBacked):
    def __init__(self, parent, count):
        _Unary.__init__(self, parent)
        self._count = count

    def cardinality(self):
        n = self._parent.cardinality()
        if n == INFINITE_CARDINALITY:
            return self._count
        return min(n, self._count) if n >= 0 else UNKNOWN_CARDINALITY

    def _index_chunks(self):
        left = self._count
        if left == 0:
            return
        for chunk in self._parent._index_chunks():
            if len(chunk) >= left:
                yield chunk[:left]
                return
            left -= len(chunk)
            yield chunk

    def _elements(self):
        if self._index_backed():
            yield from _IndexBacked._elements(self)
        else:
            yield from itertools.islice(self._parent._elements(), self._count)


class _Batch(_Unary):
    def __init__(self, parent, size, drop_remainder):
        _Unary.__init__(self, parent)
        self._size = size
        self._drop = drop_remainder

    def _keeps_index(self):
        return False

    def cardinality(self):
        n = self._parent.cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else math.ceil(n / self._size)

    def _elements(self):
        B = self._size
        if self._parent._index_backed():
            src = self._parent._source
            pending = np.empty(0, dtype=np.int64)
            for chunk in self._parent._index_chunks():
                pending = np.concatenate([pending, chunk]) if len(pending) else chunk
                full = (len(pending) // B) * B
                for s in range(0, full, B):
                    yield _gather(src, pending[s:s + B])
                pending = pending[full:]
            if len(pending) and not self._drop:
                yield _gather(src, pending)
            return
        it = self._parent._elements()
        while True:
            block = list(itertools.islice(it, B))
            if not block or (len(block) < B and self._drop):
                return
            yield _stack(block)


def _stack(block: list) -> Any:
    flat = [_flatten(e) for e in block]
    n = len(flat[0])
    if any(len(f) != n for f in flat):
        raise ValueError("Dataset.batch: elements have different structures")
    out = []
    for k in range(n):
        parts = [np.asarray(f[k]) for f in flat]
        shapes = {p.shape for p in parts}
        if len(shapes) > 1:
            raise ValueError(f"Dataset.batch: cannot batch elements of different shapes "
                             f"{sorted(shapes)} in component {k}")
        out.append(np.stack(parts))
    return _pack(block[0], iter(out))


class _Map(_Unary):
    def __init__(self, parent, fn):
        _Unary.__init__(self, parent)
        self._fn = fn

    def _keeps_index(self):
        return False

    def cardinality(self):
        return self._parent.cardinality()

    def _elements(self):
        fn = self._fn
        for e in self._parent._elements():
            if isinstance(e, tuple) and not hasattr(e, "_fields"):
                yield fn(*e)
            else:
                yield fn(e)
