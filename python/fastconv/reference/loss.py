"""float64 reference for the fused softmax + cross-entropy loss."""

import numpy as np

from ._util import f64

__all__ = ["softmax_xent_fwd", "softmax_xent_bwd"]


def _targets(labels, n, k, op):
    """labels -> (N,K) float64 target distribution."""
    lab = np.asarray(labels)
    if lab.ndim == 1:
        if not np.issubdtype(lab.dtype, np.integer):
            raise TypeError(f"{op}: 1-D labels must be integer class ids, got dtype {lab.dtype}")
        if lab.shape[0] != n:
            raise ValueError(f"{op}: labels.shape={lab.shape} but logits has {n} rows")
        if lab.size and (lab.min() < 0 or lab.max() >= k):
            raise ValueError(f"{op}: class ids must be in [0, {k}), got range [{lab.min()}, {lab.max()}]")
        t = np.zeros((n, k), dtype=np.float64)
        t[np.arange(n), lab] = 1.0
        return t
    if lab.shape != (n, k):
        raise ValueError(f"{op}: labels.shape={lab.shape}, expected (N,) ids or {(n, k)} probabilities")
    return lab.astype(np.float64)


def softmax_xent_fwd(logits, labels):
    """logits (N,K), labels (N,) int ids or (N,K) one-hot/probabilities
    -> (loss scalar float, dlogits (N,K)).

    loss = mean over the batch of -sum_k t[n,k] * log_softmax(logits)[n,k],
    with log_softmax = z - max - log(sum(exp(z - max))) so it stays finite for
    logits like +-1e4. dlogits = (softmax - t) / N is the gradient of that mean
    (exact for any t whose rows sum to 1); it is returned from the forward
    because the native kernel computes both in one pass.
    """
    z = f64(logits)
    if z.ndim != 2:
        raise ValueError(f"softmax_xent_fwd: logits must be (N,K), got shape {z.shape}")
    n, k = z.shape
    t = _targets(labels, n, k, "softmax_xent_fwd")
    shifted = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    logp = shifted - lse
    # 0 * log p is taken as 0 even if some logp were -inf
    loss = -np.where(t != 0, t * logp, 0.0).sum() / n
    dlogits = (np.exp(logp) - t) / n
    return float(loss), dlogits


def softmax_xent_bwd(dlogits, dloss=1.0):
    """dlogits (N,K) from softmax_xent_fwd, dloss scalar -> dlogits * dloss.

    Only needed when the loss is not the last node (e.g. scaled losses).
    """
    return f64(dlogits) * float(dloss)
