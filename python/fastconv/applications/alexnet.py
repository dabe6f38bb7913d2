"""AlexNet (Krizhevsky, Sutskever, Hinton 2012), the original 96-filter layout, fastconv.keras."""

from __future__ import annotations

from fastconv.keras import layers as L
from fastconv.keras.models import Model
from fastconv.applications._blocks import check_input_shape

__all__ = ["AlexNet", "ALEXNET_MIN_INPUT"]

ALEXNET_MIN_INPUT = 67   # the smallest H/W whose third 3x3/2 pool still has one output


def AlexNet(input_shape=(227, 227, 3), classes=1000, dropout=0.5, lrn=True,
            classifier_activation=None):
    """AlexNet as in the 2012 paper, with its two GPU towers merged into one (the common
    Caffe/Keras "single-tower 96-filter" version, e.g. Caffe's bvlc_alexnet without groups).

    conv1 96 11x11/4 'valid' + ReLU, LRN, 3x3/2 max pool (overlapping); conv2 256 5x5 'same' +
    ReLU, LRN, 3x3/2 max pool; conv3 384, conv4 384, conv5 256 (3x3 'same' + ReLU); 3x3/2 max
    pool; Flatten; FC 4096 + ReLU, dropout 0.5; FC 4096 + ReLU, dropout 0.5; FC classes.
    LRN is the paper's: k=2, n=5, alpha=1e-4, beta=0.75 (LocalResponseNormalization(depth_radius=2,
    bias=2, alpha=1e-4, beta=0.75); the paper, like TensorFlow, does not divide alpha by n).
    227x227 input (the paper's "224" does not divide: (227 - 11) / 4 + 1 = 55).

    Parameter count at 227x227x3, 1000 classes: 62,378,344 (all trainable) =
      conv1 11*11*3*96+96 = 34,944      conv2 5*5*96*256+256 = 614,656
      conv3 3*3*256*384+384 = 885,120   conv4 3*3*384*384+384 = 1,327,488
      conv5 3*3*384*256+256 = 884,992   fc6 (6*6*256)*4096+4096 = 37,752,832
      fc7 4096*4096+4096 = 16,781,312   fc8 4096*1000+1000 = 4,097,000.
    Not torchvision's ``alexnet`` (61,100,840: 64/192/384/256/256 filters, 11x11/4 with padding
    2, no LRN, adaptive 6x6 pool) — the paper's 96-256-384-384-256 layout is the one asked for.
    (The paper's grouped conv2/4/5 — two towers — would have 60,965,224; merging them is the
    usual single-device form.) The fc6 input depends on the input size: inputs smaller than
    227 give fewer parameters; the minimum is 67x67 (1x1x256 before fc6).
    """
    input_shape = check_input_shape(input_shape, "AlexNet", ALEXNET_MIN_INPUT)
    inputs = L.Input(shape=input_shape, name="alexnet_input")
    x = L.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    if lrn:
        x = L.LocalResponseNormalization(2, 2.0, 1e-4, 0.75, name="lrn1")(x)
    x = L.MaxPooling2D(3, 2, name="pool1")(x)
    x = L.Conv2D(256, 5, padding="same", activation="relu", name="conv2")(x)
    if lrn:
        x = L.LocalResponseNormalization(2, 2.0, 1e-4, 0.75, name="lrn2")(x)
    x = L.MaxPooling2D(3, 2, name="pool2")(x)
    x = L.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.Conv2D(384, 3, padding="same", activation="relu", name="conv4")(x)
    x = L.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    x = L.MaxPooling2D(3, 2, name="pool5")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(4096, activation="relu", name="fc6")(x)
    x = L.Dropout(dropout, name="drop6")(x)
    x = L.Dense(4096, activation="relu", name="fc7")(x)
    x = L.Dropout(dropout, name="drop7")(x)
    x = L.Dense(classes, activation=classifier_activation, name="fc8")(x)
    return Model(inputs, x, name="alexnet")
