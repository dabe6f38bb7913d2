"""float64 reference for batch normalization and local response normalization."""

import numpy as np

from ._util import f64

__all__ = ["batch_norm_fwd", "batch_norm_bwd", "lrn_fwd", "lrn_bwd"]


def batch_norm_fwd(x, gamma, beta, moving_mean, moving_var, training,
                   momentum=0.99, epsilon=1e-3):
    """x (..., C), gamma/beta/moving_mean/moving_var (C,)
    -> (y (..., C), new_moving_mean (C,), new_moving_var (C,),
        save_mean (C,), save_invstd (C,)).

    Statistics are per channel (last axis) over all other axes (M elements).
    training: mean = batch mean, var = BIASED batch variance (divide by M),
        y = gamma * (x - mean) * invstd + beta, invstd = 1 / sqrt(var + epsilon),
        new_moving = moving * momentum + batch_stat * (1 - momentum), using the
        biased variance for moving_var as Keras 3 does (ops.moments). Note that
        the old tf.keras fused kernel used the unbiased variance here instead.
        save_mean / save_invstd are what batch_norm_bwd needs.
    inference: normalizes with the moving statistics; the moving statistics
        are returned unchanged and save_mean = moving_mean,
        save_invstd = 1 / sqrt(moving_var + epsilon).
    """
    x = f64(x)
    gamma, beta = f64(gamma), f64(beta)
    moving_mean, moving_var = f64(moving_mean), f64(moving_var)
    c = x.shape[-1]
    for name, a in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                    ("moving_var", moving_var)):
        if a.shape != (c,):
            raise ValueError(f"batch_norm_fwd: {name}.shape={a.shape}, expected ({c},) for x.shape={x.shape}")
    if training:
        flat = x.reshape(-1, c)
        mean = flat.mean(axis=0)
        var = ((flat - mean) ** 2).mean(axis=0)
        new_mm = moving_mean * momentum + mean * (1.0 - momentum)
        new_mv = moving_var * momentum + var * (1.0 - momentum)
    else:
        mean, var = moving_mean, moving_var
        new_mm, new_mv = moving_mean.copy(), moving_var.copy()
    invstd = 1.0 / np.sqrt(var + epsilon)
    y = gamma * (x - mean) * invstd + beta
    return y, new_mm, new_mv, mean.copy(), invstd


def batch_norm_bwd(dy, x, gamma, save_mean, save_invstd):
    """dy (..., C), x (..., C), gamma/save_mean/save_invstd (C,)
    -> (dx (..., C), dgamma (C,), dbeta (C,)) for TRAINING mode.

    With xhat = (x - mean) * invstd over M elements per channel:
    dbeta = sum dy, dgamma = sum dy * xhat,
    dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma)
    (the batch mean and variance depend on x, hence the two correction terms).
    """
    dy, x = f64(dy), f64(x)
    gamma, mean, invstd = f64(gamma), f64(save_mean), f64(save_invstd)
    c = x.shape[-1]
    m = x.size // c
    xhat = (x - mean) * invstd
    dbeta = dy.reshape(-1, c).sum(axis=0)
    dgamma = (dy * xhat).reshape(-1, c).sum(axis=0)
    dx = gamma * invstd / m * (m * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def _channel_window_sum(a, r):
    """a (..., C) -> s (..., C) with s[..., d] = sum(a[..., max(d-r,0) : d+r+1])."""
    c = a.shape[-1]
    s = np.zeros_like(a)
    for d in range(c):
        s[..., d] = a[..., max(d - r, 0):min(d + r + 1, c)].sum(axis=-1)
    return s


def lrn_fwd(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x (..., C) -> y (..., C), tf.nn.local_response_normalization semantics.

    sqr_sum[..., d] = sum(x[..., d-r : d+r+1] ** 2) (window clipped at the
    channel edges; alpha is NOT divided by the window size, unlike Caffe),
    y = x / (bias + alpha * sqr_sum) ** beta.
    """
    x = f64(x)
    r = int(depth_radius)
    if r < 0:
        raise ValueError(f"lrn_fwd: depth_radius must be >= 0, got {depth_radius}")
    denom = bias + alpha * _channel_window_sum(x * x, r)
    return x * denom ** (-beta)


def lrn_bwd(x, dy, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x (..., C), dy (..., C) -> dx (..., C), exact derivative of lrn_fwd.

    With D_d = bias + alpha * sqr_sum_d, y_d = x_d * D_d^-beta and channel j
    inside the window of d exactly when |d - j| <= r (symmetric), so
    dx_j = dy_j * D_j^-beta
           - 2 * alpha * beta * x_j * sum_{|d-j|<=r} dy_d * x_d * D_d^(-beta-1).
    """
    x, dy = f64(x), f64(dy)
    r = int(depth_radius)
    denom = bias + alpha * _channel_window_sum(x * x, r)
    cross = _channel_window_sum(dy * x * denom ** (-beta - 1.0), r)
    return dy * denom ** (-beta) - 2.0 * alpha * beta * x * cross
