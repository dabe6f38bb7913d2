"""float64 reference for 2-D convolution (NHWC input, HWIO kernel).

Every function loops explicitly over kernel taps (i, j): tap (i, j) of output
(oh, ow) reads padded input row oh*stride + i*dilation and column
ow*stride + j*dilation. That single indexing rule is used by forward and both
backward passes, so they are consistent by construction.
"""

import numpy as np

from .._geometry import conv_output_hw, normalize_pair, resolve_padding
from ._util import f64, pad_hw, pads_of, window_slice

__all__ = ["conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter", "conv2d"]


def conv2d_fwd(x, w, b=None, strides=(1, 1), pads=((0, 0), (0, 0)),
               dilation=(1, 1), relu=False):
    """x (N,H,W,C), w (KH,KW,C,F), b (F,) or None -> y (N,OH,OW,F).

    Cross-correlation (no kernel flip, like every DL framework) with zero
    padding; pads = ((top, bottom), (left, right)). relu=True applies
    max(y, 0) after the bias (the fused epilogue of the native kernel).
    """
    x, w = f64(x), f64(w)
    n, h, wd, c = x.shape
    kh, kw, wc, f = w.shape
    if wc != c:
        raise ValueError(f"conv2d_fwd: x has {c} channels but w expects {wc} (w.shape={w.shape})")
    sh, sw = normalize_pair(strides, "strides", "conv2d_fwd")
    dh, dw = normalize_pair(dilation, "dilation", "conv2d_fwd")
    pads = pads_of(pads, "conv2d_fwd")
    oh, ow = conv_output_hw((h, wd), (kh, kw), (sh, sw), pads, (dh, dw),
                            op="conv2d_fwd", x_shape=x.shape)
    xp = pad_hw(x, pads)
    y = np.zeros((n, oh, ow, f), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[window_slice(i, j, oh, ow, sh, sw, dh, dw)]  # (N,OH,OW,C)
            y += np.einsum("nhwc,cf->nhwf", patch, w[i, j])
    if b is not None:
        y += f64(b).reshape(f)
    if relu:
        y = np.maximum(y, 0.0)
    return y


def conv2d_bwd_data(dy, w, x_shape, strides=(1, 1), pads=((0, 0), (0, 0)),
                    dilation=(1, 1)):
    """dy (N,OH,OW,F), w (KH,KW,C,F), x_shape (N,H,W,C) -> dx (N,H,W,C).

    Gradient of conv2d_fwd (no bias/relu) w.r.t. x: scatter each output's
    gradient back through every tap, then drop the padding cells.
    """
    dy, w = f64(dy), f64(w)
    n, h, wd, c = x_shape
    kh, kw, _, f = w.shape
    sh, sw = normalize_pair(strides, "strides", "conv2d_bwd_data")
    dh, dw = normalize_pair(dilation, "dilation", "conv2d_bwd_data")
    (pt, pb), (pl, pr) = pads = pads_of(pads, "conv2d_bwd_data")
    oh, ow = conv_output_hw((h, wd), (kh, kw), (sh, sw), pads, (dh, dw),
                            op="conv2d_bwd_data", x_shape=x_shape)
    if dy.shape != (n, oh, ow, f):
        raise ValueError(f"conv2d_bwd_data: dy.shape={dy.shape}, expected {(n, oh, ow, f)}")
    dxp = np.zeros((n, h + pt + pb, wd + pl + pr, c), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            # slices with a step never alias the same cell twice, so += is safe
            dxp[window_slice(i, j, oh, ow, sh, sw, dh, dw)] += np.einsum(
                "nhwf,cf->nhwc", dy, w[i, j])
    return dxp[:, pt:pt + h, pl:pl + wd, :].copy()


def conv2d_bwd_filter(x, dy, w_shape, strides=(1, 1), pads=((0, 0), (0, 0)),
                      dilation=(1, 1)):
    """x (N,H,W,C), dy (N,OH,OW,F), w_shape (KH,KW,C,F) -> (dw (KH,KW,C,F), db (F,)).

    db is the bias gradient (sum of dy over N, OH, OW); it is returned here
    because the native kernel produces both in one pass over dy.
    """
    x, dy = f64(x), f64(dy)
    n, h, wd, c = x.shape
    kh, kw, wc, f = w_shape
    sh, sw = normalize_pair(strides, "strides", "conv2d_bwd_filter")
    dh, dw_ = normalize_pair(dilation, "dilation", "conv2d_bwd_filter")
    pads = pads_of(pads, "conv2d_bwd_filter")
    oh, ow = conv_output_hw((h, wd), (kh, kw), (sh, sw), pads, (dh, dw_),
                            op="conv2d_bwd_filter", x_shape=x.shape)
    if dy.shape != (n, oh, ow, f):
        raise ValueError(f"conv2d_bwd_filter: dy.shape={dy.shape}, expected {(n, oh, ow, f)}")
    xp = pad_hw(x, pads)
    dw = np.zeros((kh, kw, wc, f), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[window_slice(i, j, oh, ow, sh, sw, dh, dw_)]
            dw[i, j] = np.einsum("nhwc,nhwf->cf", patch, dy)
    db = dy.sum(axis=(0, 1, 2))
    return dw, db


def conv2d(x, w, b=None, strides=1, padding="valid", dilation_rate=1, activation=None):
    """x (N,H,W,C), w (KH,KW,C,F), b (F,) or None -> y (N,OH,OW,F).

    Keras Conv2D semantics: padding 'valid'/'same' (any case) or explicit
    pads, strides/dilation_rate int or pair, activation None/'linear'/'relu'.
    """
    x, w = f64(x), f64(w)
    if activation not in (None, "linear", "relu"):
        raise ValueError(f"conv2d: activation must be None, 'linear' or 'relu', got {activation!r}")
    s = normalize_pair(strides, "strides", "conv2d")
    d = normalize_pair(dilation_rate, "dilation_rate", "conv2d")
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv2d: expected x (N,H,W,C) and w (KH,KW,C,F), got x.shape={x.shape}, w.shape={w.shape}")
    pads = resolve_padding(padding, x.shape[1:3], w.shape[:2], s, d, "conv2d")
    # validate here so the message carries the user's padding argument
    conv_output_hw(x.shape[1:3], w.shape[:2], s, pads, d, op="conv2d",
                   x_shape=x.shape, padding=padding)
    return conv2d_fwd(x, w, b, s, pads, d, relu=(activation == "relu"))
