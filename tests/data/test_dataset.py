"""fastconv.data.Dataset: slicing, shuffle buffer semantics, batching, repeat/take/map, seeds."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from fastconv import data
from fastconv.data import Dataset


def _xy(n=10, feat=3):
    x = np.arange(n * feat, dtype=np.float32).reshape(n, feat)
    y = np.arange(n, dtype=np.int64)
    return x, y


def _labels(ds):
    return np.concatenate([np.atleast_1d(np.asarray(b[1] if isinstance(b, tuple) else b))
                           for b in ds])


# ----------------------------------------------------------------------------- slicing

def test_from_tensor_slices_tuple_order_and_values():
    x, y = _xy()
    elems = list(Dataset.from_tensor_slices((x, y)))
    assert len(elems) == 10
    for i, (a, b) in enumerate(elems):
        assert isinstance(a, np.ndarray) and a.shape == (3,)
        np.testing.assert_array_equal(a, x[i])
        assert int(b) == i


def test_single_array_and_list():
    x, _ = _xy()
    assert [e.shape for e in Dataset.from_tensor_slices(x)] == [(3,)] * 10
    assert [int(e) for e in Dataset.from_tensor_slices([4, 5, 6])] == [4, 5, 6]


def test_dict_and_nested_structures():
    x, y = _xy()
    ds = Dataset.from_tensor_slices({"image": x, "label": y}).batch(4)
    batches = list(ds)
    assert [sorted(b) for b in batches] == [["image", "label"]] * 3
    np.testing.assert_array_equal(batches[1]["image"], x[4:8])
    nested = list(Dataset.from_tensor_slices(((x, x * 2), y)).batch(10))[0]
    np.testing.assert_array_equal(nested[0][1], x * 2)
    np.testing.assert_array_equal(nested[1], y)
    Pair = collections.namedtuple("Pair", "a b")
    e = next(iter(Dataset.from_tensor_slices(Pair(x, y))))
    assert isinstance(e, Pair) and int(e.b) == 0


def test_elements_are_read_only_views():
    x, y = _xy()
    a, _ = next(iter(Dataset.from_tensor_slices((x, y))))
    with pytest.raises(ValueError):
        a[0] = 1.0
    xb, _ = next(iter(Dataset.from_tensor_slices((x, y)).batch(2)))
    xb[0, 0] = -1.0  # batches are fresh copies
    assert x[0, 0] == 0.0


def test_mismatched_first_dimension_names_both_shapes():
    x, y = _xy()
    with pytest.raises(ValueError, match=r"\(10, 3\).*\(9,\)"):
        Dataset.from_tensor_slices((x, y[:9]))
    with pytest.raises(ValueError, match=r"'b'.*\(4,\)"):
        Dataset.from_tensor_slices({"a": y, "b": y[:4]})


def test_scalar_component_rejected():
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices((np.zeros(3), np.float32(1)))


def test_argument_errors():
    ds = Dataset.from_tensor_slices(np.arange(5))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            ds.batch(bad)
        with pytest.raises(ValueError, match="buffer_size"):
            ds.shuffle(bad)
    with pytest.raises(ValueError):
        ds.repeat(-3)
    with pytest.raises(ValueError):
        ds.take(-2)
    with pytest.raises(TypeError):
        ds.map(3)


# ----------------------------------------------------------------------------- batching

@pytest.mark.parametrize("n,b", [(10, 3), (10, 5), (10, 1), (10, 10), (10, 64), (1, 4)])
def test_batch_sizes_and_remainder(n, b):
    x, y = _xy(n)
    keep = list(Dataset.from_tensor_slices((x, y)).batch(b))
    sizes = [len(bb[1]) for bb in keep]
    assert sizes == [b] * (n // b) + ([n % b] if n % b else [])
    assert len(Dataset.from_tensor_slices((x, y)).batch(b)) == len(keep)
    drop = list(Dataset.from_tensor_slices((x, y)).batch(b, drop_remainder=True))
    assert [len(bb[1]) for bb in drop] == [b] * (n // b)
    assert len(Dataset.from_tensor_slices((x, y)).batch(b, drop_remainder=True)) == n // b
    np.testing.assert_array_equal(np.concatenate([bb[0] for bb in keep]), x)


def test_batch_after_map_stacks_elements():
    x, y = _xy()
    ds = Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a * 2, b + 1)).batch(4)
    batches = list(ds)
    assert [bb[0].shape for bb in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([bb[1] for bb in batches]), y + 1)
    assert len(ds) == 3


def test_batch_of_batches_and_ragged_error():
    ds = Dataset.from_tensor_slices(np.arange(12)).batch(3).batch(2)
    assert [b.shape for b in ds] == [(2, 3), (2, 3)]
    ragged = Dataset.from_tensor_slices(np.arange(5)).batch(2).batch(3)
    with pytest.raises(ValueError, match="different shapes"):
        list(ragged)


# ----------------------------------------------------------------------------- shuffle

def test_shuffle_full_buffer_is_a_permutation_each_epoch():
    x, y = _xy(100)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(100, seed=3).batch(7)
    orders = []
    for _ in range(3):
        labels = _labels(ds)
        assert sorted(labels.tolist()) == list(range(100))  # each element exactly once
        orders.append(labels)
        for xb, yb in ds.take(1):
            np.testing.assert_array_equal(xb, x[yb])  # features stay with their labels
    assert not np.array_equal(orders[0], orders[1])  # reshuffled each iteration
    assert not np.array_equal(orders[0], np.arange(100))


@pytest.mark.parametrize("buf", [1, 2, 5, 37, 99])
def test_shuffle_small_buffer_covers_each_element_once(buf):
    y = np.arange(200)
    out = np.array([int(v) for v in Dataset.from_tensor_slices(y).shuffle(buf, seed=1)])
    assert sorted(out.tolist()) == y.tolist()
    if buf == 1:
        np.testing.assert_array_equal(out, y)  # a buffer of one cannot reorder
    # tf.data buffer semantics: element i can only come out once i < position + buffer_size
    assert np.all(out < np.arange(200) + buf)


def test_shuffle_buffer_distribution_matches_tf_semantics():
    # With buffer 2 over [0, 1, 2]: the first output is 0 or 1 with probability 1/2 each.
    firsts = [int(next(iter(Dataset.from_tensor_slices(np.arange(3)).shuffle(2, seed=s))))
              for s in range(400)]
    assert set(firsts) == {0, 1}
    assert 150 < firsts.count(0) < 250


def test_shuffle_reproducible_with_seed_and_iteration_sequence():
    y = np.arange(50)
    a = Dataset.from_tensor_slices(y).shuffle(20, seed=7).batch(8)
    b = Dataset.from_tensor_slices(y).shuffle(20, seed=7).batch(8)
    for _ in range(3):
        np.testing.assert_array_equal(_labels(a), _labels(b))
    c = Dataset.from_tensor_slices(y).shuffle(20, seed=8).batch(8)
    assert not np.array_equal(_labels(Dataset.from_tensor_slices(y).shuffle(20, seed=7)),
                              _labels(c))


def test_shuffle_without_reshuffle_repeats_order():
    ds = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, reshuffle_each_iteration=False)
    first = _labels(ds)
    np.testing.assert_array_equal(first, _labels(ds))
    np.testing.assert_array_equal(_labels(ds.repeat(2)), np.concatenate([first, first]))


def test_global_seed_hook_makes_unseeded_shuffles_reproducible():
    y = np.arange(40)
    try:
        data.set_seed(123)
        a = [_labels(Dataset.from_tensor_slices(y).shuffle(40)) for _ in range(2)]
        data.set_seed(123)
        b = [_labels(Dataset.from_tensor_slices(y).shuffle(40)) for _ in range(2)]
    finally:
        data.set_seed(None)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], a[1])  # two shuffle ops get different seeds


def test_shuffle_after_map_and_after_batch():
    y = np.arange(20)
    mapped = Dataset.from_tensor_slices(y).map(lambda v: v * 10).shuffle(6, seed=2)
    out = [int(v) for v in mapped]
    assert sorted(out) == list(range(0, 200, 10)) and out != sorted(out)
    batches = list(Dataset.from_tensor_slices(y).batch(4).shuffle(5, seed=2))
    assert sorted(int(b[0]) for b in batches) == [0, 4, 8, 12, 16]
    assert all(np.array_equal(b, np.arange(b[0], b[0] + 4)) for b in batches)


def test_repeat_then_shuffle_mixes_epochs_and_keeps_counts():
    y = np.arange(10)
    out = _labels(Dataset.from_tensor_slices(y).repeat(3).shuffle(8, seed=0))
    assert len(out) == 30
    assert np.bincount(out).tolist() == [3] * 10


def test_large_dataset_uses_index_path():
    # 200k elements, buffer smaller than the data: streams index chunks (fast enough for a test)
    n = 200_000
    y = np.arange(n, dtype=np.int32)
    x = np.zeros((n, 2), np.float32)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(1000)
    seen = np.zeros(n, np.int64)
    for xb, yb in ds:
        seen[yb] += 1
    assert np.all(seen == 1)


# ----------------------------------------------------------------------------- repeat / take / map

def test_repeat_and_take_and_len():
    y = np.arange(5)
    ds = Dataset.from_tensor_slices(y)
    assert _labels(ds.repeat(2)).tolist() == [0, 1, 2, 3, 4] * 2
    assert len(ds.repeat(2)) == 10 and len(ds.repeat(0)) == 0
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    assert ds.repeat().cardinality() == data.INFINITE_CARDINALITY
    assert _labels(ds.repeat().take(12)).tolist() == [0, 1, 2, 3, 4] * 2 + [0, 1]
    assert len(ds.repeat().take(12)) == 12
    assert len(ds.take(3)) == 3 and len(ds.take(99)) == 5 and len(ds.take(-1)) == 5
    assert list(ds.take(0)) == []
    assert list(Dataset.from_tensor_slices(np.zeros((0, 2))).repeat()) == []
    assert [b.tolist() for b in ds.batch(2).repeat(2)] == [[0, 1], [2, 3], [4]] * 2
    assert [b.tolist() for b in ds.batch(2).take(2)] == [[0, 1], [2, 3]]


def test_map_unpacks_tuples_and_passes_dicts():
    x, y = _xy(4)
    ds = Dataset.from_tensor_slices((x, y)).map(lambda a, b: a.sum() + b)
    assert [float(v) for v in ds] == [float(x[i].sum() + i) for i in range(4)]
    ds = Dataset.from_tensor_slices({"a": y}).map(lambda d: d["a"] * 3)
    assert [int(v) for v in ds] == [0, 3, 6, 9]
    assert [b.tolist() for b in Dataset.from_tensor_slices(y).batch(2).map(lambda b: b + 1)] \
        == [[1, 2], [3, 4]]


def test_iterable_multiple_times_and_prefetch_noop():
    x, y = _xy()
    ds = Dataset.from_tensor_slices((x, y)).batch(3).prefetch(data.AUTOTUNE)
    assert _labels(ds).tolist() == _labels(ds).tolist() == list(range(10))
    it1, it2 = iter(ds), iter(ds)
    assert next(it1)[1].tolist() == next(it2)[1].tolist() == [0, 1, 2]
    assert ds.cache() is ds


def test_accepts_objects_with_numpy_method():
    class T:
        def __init__(self, a):
            self.a = a

        def numpy(self):
            return self.a

    out = list(Dataset.from_tensor_slices(T(np.arange(3.0))).batch(3))
    np.testing.assert_array_equal(out[0], [0.0, 1.0, 2.0])


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 70), buf=st.integers(1, 90), batch=st.integers(1, 20),
       drop=st.booleans(), repeat=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       before=st.booleans())
def test_pipeline_properties(n, buf, batch, drop, repeat, seed, before):
    """Any shuffle/repeat/batch combination: lengths agree with len(), every element appears
    exactly `repeat` times (before dropping a remainder), features stay aligned with labels."""
    x = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    y = np.arange(n)
    ds = Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(buf, seed=seed).repeat(repeat) if before else \
        ds.repeat(repeat).shuffle(buf, seed=seed)
    ds = ds.batch(batch, drop_remainder=drop)
    batches = list(ds)
    assert len(batches) == len(ds)
    total = n * repeat
    assert all(len(b[1]) == batch for b in batches[:-1] if b)
    got = np.concatenate([b[1] for b in batches]) if batches else np.zeros(0, int)
    assert len(got) == (total // batch) * batch if drop else len(got) == total
    if not drop:
        assert np.bincount(got, minlength=n).tolist() == [repeat] * n
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb.astype(np.float32))


def test_tf_style_names_and_repr():
    import fastconv as tf

    ds = tf.data.Dataset.from_tensor_slices(np.arange(5)).batch(2) \
        .prefetch(tf.data.experimental.AUTOTUNE)
    assert "elements=3" in repr(ds)
    assert "infinite" in repr(ds.repeat())
