"""Batched image augmentation on the native resampler: rotate, shift, random_rotate_shift.

Images are (N, H, W) or (N, H, W, C), float32 or uint8 (any real dtype is converted to
float32 once); results are float32 of the same shape. Geometry follows scipy.ndimage exactly
(see fastconv.ops.image): row/column pixel centres at integers, bilinear interpolation
(order=1), and ``fill`` for every output pixel whose source point falls outside the image
(mode='constant', no blending at the border). So

* ``rotate(x, a, fill)[i]  == scipy.ndimage.rotate(x[i], a[i], reshape=False, order=1,
  mode='constant', cval=fill)`` — rotation about the centre ((H-1)/2, (W-1)/2), a positive
  angle turning the picture counter-clockwise as displayed with row 0 at the top;
* ``shift(x, dy, dx, fill)[i] == scipy.ndimage.shift(x[i], (dy[i], dx[i]), order=1,
  mode='constant', cval=fill)`` — positive dy moves the content down, positive dx right.

The resampling runs in C++ with one OpenMP work item per image; results do not depend on the
thread count.
"""

from __future__ import annotations

import numpy as np

from fastconv.ops._check import as_float32, check_scalar
from fastconv.ops.image import affine_bilinear, median, rotation_coeffs, shift_coeffs

__all__ = ["rotate", "shift", "random_rotate_shift"]


def _images(images, op: str):
    """(N,H,W[,C]) -> float32 (N,H,W,C) C-contiguous, whether a channel axis was given, and
    the images as uint8 (N,H,W,C) when they are uint8 (for the fast median), else None."""
    x = as_float32(images, op, "images")
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: images must have shape (N, H, W) or (N, H, W, C), "
                         f"got shape {x.shape}")
    channels = x.ndim == 4
    if not channels:
        x = x[..., None]
    n, h, w, c = x.shape
    if h == 0 or w == 0 or c == 0:
        raise ValueError(f"{op}: images must have non-empty H, W and C, got shape "
                         f"{tuple(np.shape(images))}")
    u8 = None
    if isinstance(images, np.ndarray) and images.dtype == np.uint8:
        u8 = np.ascontiguousarray(images).reshape(x.shape)
    return x, channels, u8


def _per_image(value, n: int, op: str, arg: str) -> np.ndarray:
    """A scalar or an (N,) sequence of finite reals -> float64 (N,)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {arg} must be a real number or an array of {n} real numbers, "
                        f"got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{op}: {arg} must be a scalar or have shape ({n},) (one value per "
                         f"image), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{op}: {arg} must be finite, got {arr[~np.isfinite(arr)][0]}")
    return arr


def _fill(fill, x: np.ndarray, op: str, u8=None) -> np.ndarray:
    """'median' (per image and channel), a number, (N,) or (N, C) -> float32 (N, C)."""
    n, _, _, c = x.shape
    if isinstance(fill, str):
        if fill != "median":
            raise ValueError(f"{op}: fill must be 'median', a number or an array, got {fill!r}")
        # Native; equal to np.median (the two middle values averaged for an even count).
        return median(u8 if u8 is not None else x)
    arr = np.asarray(fill)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: fill must be 'median', a number or an array, got dtype "
                        f"{arr.dtype}")
    arr = arr.astype(np.float32)
    if arr.ndim == 0:
        return np.full((n, c), arr, np.float32)
    if arr.shape == (n,):
        return np.repeat(arr[:, None], c, axis=1)
    if arr.shape == (n, c):
        return np.ascontiguousarray(arr)
    raise ValueError(f"{op}: fill must be 'median', a scalar, shape ({n},) or ({n}, {c}), "
                     f"got shape {arr.shape} for images of shape {x.shape}")


def _finish(y: np.ndarray, channels: bool) -> np.ndarray:
    return y if channels else y[..., 0]


def rotate(images, angles_deg, fill=0.0) -> np.ndarray:
    """Rotate each image about its centre by ``angles_deg[i]`` degrees (a scalar: all images).

    ``fill``: 'median' (each image's median, per channel), a number, or one value per image
    (N,) or per image and channel (N, C). Returns float32 of the input's shape.
    """
    op = "rotate"
    x, channels, u8 = _images(images, op)
    n, h, w, _ = x.shape
    angles = _per_image(angles_deg, n, op, "angles_deg")
    return _finish(affine_bilinear(x, rotation_coeffs(angles, h, w), _fill(fill, x, op, u8)),
                   channels)


def shift(images, dy, dx, fill=0.0) -> np.ndarray:
    """Move each image down by ``dy[i]`` and right by ``dx[i]`` pixels (fractions interpolate).

    ``dy``/``dx``: scalars or (N,) arrays. ``fill`` as in :func:`rotate`. Whole-pixel shifts
    copy values exactly.
    """
    op = "shift"
    x, channels, u8 = _images(images, op)
    n = x.shape[0]
    coeffs = shift_coeffs(_per_image(dy, n, op, "dy"), _per_image(dx, n, op, "dx"))
    return _finish(affine_bilinear(x, coeffs, _fill(fill, x, op, u8)), channels)


def rotate_shift_coeffs(angles_deg, dy, dx, h: int, w: int) -> np.ndarray:
    """(N, 6) output->input maps of "rotate about the centre, then shift by (dy, dx)".

    Output pixel p comes from the rotation's output at p - d, i.e. from the input at
    ``M (p - d) + b = M p + (b - M d)`` where (M, b) is the rotation's map.
    """
    coeffs = rotation_coeffs(np.asarray(angles_deg, np.float64), h, w)
    m00, m01, m10, m11 = coeffs[:, 0], coeffs[:, 1], coeffs[:, 2], coeffs[:, 3]
    coeffs[:, 4] -= m00 * dy + m01 * dx
    coeffs[:, 5] -= m10 * dy + m11 * dx
    return coeffs


def random_rotate_shift(images, max_degrees=15, max_shift=2, fill="median", seed=None):
    """The labs' augmentation: a random rotation and shift per image, background = median.

    Each image i gets an angle ``a[i] ~ U(-max_degrees, max_degrees)`` degrees and a shift
    ``dy[i], dx[i] ~ U(-max_shift, max_shift)`` pixels (drawn in that order, as three arrays
    of N, from ``numpy.random.default_rng(seed)``; pass a Generator to keep drawing from one
    stream across batches, or an int for a reproducible result). The image is rotated about
    its centre and then shifted, as ONE bilinear resampling of the composed map (sharper than
    two interpolations, and equal to ``scipy.ndimage.affine_transform`` with that map,
    order=1, mode='constant'). ``fill`` defaults to each image's median (per channel),
    computed on the input. Returns float32 of the input's shape.
    """
    op = "random_rotate_shift"
    max_degrees = check_scalar(max_degrees, op, "max_degrees")
    max_shift = check_scalar(max_shift, op, "max_shift")
    for name, value in (("max_degrees", max_degrees), ("max_shift", max_shift)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{op}: {name} must be finite and >= 0, got {value}")
    x, channels, u8 = _images(images, op)
    n, h, w, _ = x.shape
    fill_values = _fill(fill, x, op, u8)
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-max_degrees, max_degrees, n)
    dy = rng.uniform(-max_shift, max_shift, n)
    dx = rng.uniform(-max_shift, max_shift, n)
    coeffs = rotate_shift_coeffs(angles, dy, dx, h, w)
    return _finish(affine_bilinear(x, coeffs, fill_values), channels)
