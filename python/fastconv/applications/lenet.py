"""LeNet-5 (LeCun et al. 1998) with fastconv.keras."""

from __future__ import annotations

from fastconv.keras import layers as L
from fastconv.keras.models import Model
from fastconv.applications._blocks import check_input_shape

__all__ = ["LeNet5"]


def LeNet5(input_shape=(32, 32, 1), classes=10, activation="tanh", pooling="avg",
           classifier_activation=None):
    """LeNet-5, the classic 6-16-120-84-10 layout in its usual modern simplification.

    C1 6 5x5 convs, S2 2x2/2 subsampling, C3 16 5x5 convs (fully connected to S2 — the paper's
    partial C3 connection table is not reproduced), S4 2x2/2, C5 120 5x5 convs (a 1x1x120 map on
    32x32 input), Flatten, F6 Dense 84, output Dense(classes) (logits; the paper's RBF output layer
    is replaced by a plain dense layer). Subsampling is average pooling without the paper's
    trainable coefficient/bias (pooling='max' for max pooling); activation 'tanh' by default
    (the paper's scaled tanh without its 1.7159 factor), 'relu' also works well.

    Parameter count at 32x32x1, 10 classes: 61,706 = C1 156 + C3 2,416 + C5 48,120 + F6 10,164
    + output 850 (all trainable).

    28x28 inputs (MNIST): input_shape=(28, 28, 1) puts a ZeroPadding2D(2) in front, which makes
    the 32x32 image the paper used (it centred the 28x28 digits in a 32x32 field), so the layout
    and the parameter count are unchanged. Other sizes >= 32 are used as given (C5's map is then
    larger than 1x1 and F6 has more inputs); sizes below 28 are rejected.
    """
    input_shape = check_input_shape(input_shape, "LeNet5", 28)
    if pooling not in ("avg", "max"):
        raise ValueError(f"LeNet5: pooling must be 'avg' or 'max', got {pooling!r}")
    Pool = L.AveragePooling2D if pooling == "avg" else L.MaxPooling2D
    inputs = L.Input(shape=input_shape, name="lenet5_input")
    x = inputs
    h, w = input_shape[:2]
    if h < 32 or w < 32:
        ph, pw = max(32 - h, 0), max(32 - w, 0)
        x = L.ZeroPadding2D(((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)), name="pad")(x)
    x = L.Conv2D(6, 5, activation=activation, name="c1")(x)
    x = Pool(2, 2, name="s2")(x)
    x = L.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = Pool(2, 2, name="s4")(x)
    x = L.Conv2D(120, 5, activation=activation, name="c5")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(84, activation=activation, name="f6")(x)
    x = L.Dense(classes, activation=classifier_activation, name="output")(x)
    return Model(inputs, x, name="lenet5")
