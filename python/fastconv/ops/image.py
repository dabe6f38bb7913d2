"""Native batched image resampling: the geometric core of fastconv.image.

Conventions (exactly scipy.ndimage's, so results can be cross-checked against it):

* an image is (H, W) or (H, W, C); pixel (r, q) has its centre at integer coordinates, the
  first axis is the row (y, downwards), the second the column (x, rightwards);
* every output pixel takes the bilinear (order=1) interpolation of the input at its source
  point; a source point outside [0, H-1] x [0, W-1] gives the fill value, with no blending of
  fill and image at the border (scipy's mode='constant', not 'grid-constant').
"""

from __future__ import annotations

import math

import numpy as np

from fastconv import _core


def affine_bilinear(x: np.ndarray, coeffs: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """x (N,H,W,C) float32 C-contiguous; coeffs (N,6) float64; fill (N,C) float32 -> (N,H,W,C).

    Output pixel (r, q) of image i samples x[i] at row ``c0*r + c1*q + c4`` and column
    ``c2*r + c3*q + c5`` where ``c = coeffs[i]``. Arguments are assumed validated.
    """
    y = np.empty_like(x)
    _core.image_affine_bilinear(x, np.ascontiguousarray(coeffs, np.float64),
                                np.ascontiguousarray(fill, np.float32), y)
    return y


def median(x: np.ndarray) -> np.ndarray:
    """x (N,H,W,C) float32 C-contiguous with H*W >= 1 -> (N,C) float32 per-image medians,
    equal to ``np.median(x.reshape(N, -1, C), axis=1)`` (float32). A C-contiguous uint8 x takes
    a histogram path (same result)."""
    if x.dtype == np.uint8:
        return _core.image_median_u8(x)
    return _core.image_median(x)


def _cos_sin_deg(deg: float):
    """cos and sin of an angle in degrees, exact at multiples of 90 (like scipy.special.cosdg)."""
    r = math.fmod(deg, 360.0)
    quarter = r / 90.0
    if quarter == int(quarter):
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(quarter) % 4]
    rad = math.radians(deg)
    return math.cos(rad), math.sin(rad)


def rotation_coeffs(angles_deg: np.ndarray, h: int, w: int) -> np.ndarray:
    """(N,6) output->input maps rotating each image by angles_deg[i] about its centre.

    Same matrix and offset as ``scipy.ndimage.rotate(img, angle, reshape=False)``: with
    ``c, s = cos(angle), sin(angle)`` the source of output pixel (r, q) is
    ``(r0 + c*(r-r0) + s*(q-q0), q0 - s*(r-r0) + c*(q-q0))`` about the centre
    ``(r0, q0) = ((H-1)/2, (W-1)/2)``. A positive angle turns the picture counter-clockwise
    as displayed with row 0 at the top.
    """
    n = angles_deg.shape[0]
    coeffs = np.empty((n, 6), np.float64)
    r0, q0 = (h - 1) / 2.0, (w - 1) / 2.0
    for i in range(n):
        c, s = _cos_sin_deg(float(angles_deg[i]))
        # offset = centre - M @ centre, evaluated as scipy does (numpy dot in double).
        off_r = r0 - (c * r0 + s * q0)
        off_q = q0 - (-s * r0 + c * q0)
        coeffs[i] = (c, s, -s, c, off_r, off_q)
    return coeffs


def shift_coeffs(dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """(N,6) output->input maps moving image i down by dy[i] and right by dx[i] pixels."""
    n = dy.shape[0]
    coeffs = np.zeros((n, 6), np.float64)
    coeffs[:, 0] = 1.0
    coeffs[:, 3] = 1.0
    coeffs[:, 4] = -dy
    coeffs[:, 5] = -dx
    return coeffs
