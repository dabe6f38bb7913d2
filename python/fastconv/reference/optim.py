"""float64 reference for optimizer steps (Keras formulas).

The native kernels update in place; these return new arrays and never modify
their arguments.
"""

import numpy as np

from ._util import f64

__all__ = ["sgd_update", "adam_update"]


def sgd_update(param, grad, velocity, lr, momentum=0.0, nesterov=False):
    """param (...), grad (...), velocity (...) or None -> (new_param, new_velocity).

    Keras SGD:
      momentum == 0: param = param - lr * grad; velocity returned unchanged
                     (zeros if None was given).
      otherwise:     velocity = momentum * velocity - lr * grad
                     param = param + velocity                               (plain)
                     param = param + momentum * velocity - lr * grad        (nesterov,
                             with the NEW velocity)
    """
    p, g = f64(param), f64(grad)
    v = np.zeros_like(p) if velocity is None else f64(velocity)
    if momentum == 0.0:
        return p - lr * g, v.copy()
    v = momentum * v - lr * g
    if nesterov:
        return p + momentum * v - lr * g, v
    return p + v, v


def adam_update(param, grad, m, v, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1):
    """param, grad, m, v (...) -> (new_param, new_m, new_v).

    Keras Adam (no amsgrad), step t = 1 for the first update:
      lr_t  = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
      m     = beta_1 * m + (1 - beta_1) * g
      v     = beta_2 * v + (1 - beta_2) * g^2
      param = param - lr_t * m / (sqrt(v) + epsilon)
    (epsilon is added to sqrt(v) un-corrected, which is why this differs
    slightly from the paper's form with bias-corrected m_hat / v_hat.)
    """
    if step < 1:
        raise ValueError(f"adam_update: step must be >= 1, got {step}")
    p, g, m, v = f64(param), f64(grad), f64(m), f64(v)
    lr_t = lr * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)
    m = beta_1 * m + (1.0 - beta_1) * g
    v = beta_2 * v + (1.0 - beta_2) * g * g
    return p - lr_t * m / (np.sqrt(v) + epsilon), m, v
