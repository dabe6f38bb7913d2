import numpy as np
import pytest

from fastconv import reference as R

M64 = (1 << 64) - 1


def _py_uniform(i, seed):
    """The generator written with Python ints, straight from the docstring."""
    z = (seed + (i + 1) * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z = z ^ (z >> 31)
    return (z >> 40) * 2.0 ** -24


@pytest.mark.parametrize("seed", [0, 1, 12345, (1 << 64) - 1, 0xDEADBEEFCAFEF00D])
def test_generator_matches_python_int_formula(seed):
    u = R.dropout_uniform((3, 7), seed).reshape(-1)
    for i in [0, 1, 2, 20]:
        assert u[i] == _py_uniform(i, seed)


def test_generator_known_value():
    # splitmix64's first output for state 0 is 0xE220A8397B1DCDAF; top 24 bits 0xE220A8
    assert _py_uniform(0, 0) == 0xE220A8 / 2 ** 24
    assert R.dropout_uniform((1,), 0)[0] == 0xE220A8 / 2 ** 24


def test_mask_deterministic_and_seed_dependent():
    a = R.dropout_mask((4, 5, 6), 0.5, 42)
    np.testing.assert_array_equal(a, R.dropout_mask((4, 5, 6), 0.5, 42))
    assert not np.array_equal(a, R.dropout_mask((4, 5, 6), 0.5, 43))
    assert a.dtype == bool and a.shape == (4, 5, 6)


def test_mask_depends_only_on_flat_index():
    flat = R.dropout_mask((120,), 0.3, 9)
    np.testing.assert_array_equal(R.dropout_mask((4, 5, 6), 0.3, 9).reshape(-1), flat)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_kept_fraction(rate):
    keep = R.dropout_mask((400, 500), rate, 7).mean()
    assert abs(keep - (1 - rate)) < 0.005


def test_fwd_scaling_and_bwd():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 9))
    y, mask = R.dropout_fwd(x, 0.25, 3, training=True)
    np.testing.assert_array_equal(mask, R.dropout_mask(x.shape, 0.25, 3))
    np.testing.assert_allclose(y[mask], x[mask] / 0.75)
    assert np.all(y[~mask] == 0)
    dy = rng.normal(size=x.shape)
    dx = R.dropout_bwd(dy, mask, 0.25)
    np.testing.assert_allclose(dx, np.where(mask, dy / 0.75, 0))


def test_identity_when_not_training_or_rate_zero():
    x = np.arange(6.0).reshape(2, 3)
    for y, mask in (R.dropout_fwd(x, 0.5, 1, training=False), R.dropout_fwd(x, 0.0, 1, training=True)):
        np.testing.assert_array_equal(y, x)
        assert mask.all()


def test_bad_rate():
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="rate"):
            R.dropout_mask((3,), rate, 0)
