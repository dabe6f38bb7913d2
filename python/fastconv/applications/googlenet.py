"""GoogLeNet / Inception v1 (Szegedy et al. 2014), torchvision's layout, built with fastconv.keras."""

from __future__ import annotations

from fastconv.keras import layers as L
from fastconv.keras.models import Model
from fastconv.applications._blocks import ceil_max_pool, check_input_shape, conv_bn_relu

__all__ = ["GoogLeNet", "InceptionV1"]

_EPS, _MOMENTUM = 1e-3, 0.9     # torchvision's BasicConv2d: BatchNorm2d(eps=0.001), momentum 0.1

# (1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool proj) per module, Table 1 of the paper
_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def _cbr(x, filters, k, strides=1, name=None):
    return conv_bn_relu(x, filters, k, strides, _EPS, _MOMENTUM,
                        kernel_initializer="glorot_uniform", name=name)


def _inception(x, name):
    c1, r3, c3, r5, c5, pp = _MODULES[name]
    n = "inception" + name
    b1 = _cbr(x, c1, 1, name=n + "_1x1")
    b2 = _cbr(_cbr(x, r3, 1, name=n + "_3x3_reduce"), c3, 3, name=n + "_3x3")
    # torchvision's "5x5" branch is a 3x3 convolution (a known quirk it keeps for its weights)
    b3 = _cbr(_cbr(x, r5, 1, name=n + "_5x5_reduce"), c5, 3, name=n + "_5x5")
    b4 = L.MaxPooling2D(3, 1, padding="same", name=n + "_pool")(x)
    b4 = _cbr(b4, pp, 1, name=n + "_pool_proj")
    return L.Concatenate(axis=-1, name=n + "_concat")([b1, b2, b3, b4])


def _aux_head(x, classes, classifier_activation, name):
    # The paper's auxiliary classifier: 5x5/3 average pool (14x14 -> 4x4), 1x1 conv 128 (+BN,
    # ReLU as torchvision's BasicConv2d), FC 1024 + ReLU, dropout 0.7, FC classes.
    x = L.AveragePooling2D(5, 3, name=name + "_pool")(x)
    x = _cbr(x, 128, 1, name=name + "_conv")
    x = L.Flatten(name=name + "_flatten")(x)
    x = L.Dense(1024, activation="relu", name=name + "_fc1")(x)
    x = L.Dropout(0.7, name=name + "_dropout")(x)
    return L.Dense(classes, activation=classifier_activation, name=name + "_fc2")(x)


def GoogLeNet(input_shape=(224, 224, 3), classes=1000, aux_heads=False, dropout=0.2,
              classifier_activation=None):
    """GoogLeNet (Inception v1) as torchvision's ``googlenet`` (the variant with batch norm).

    Stem 7x7/2 conv 64, 3x3/2 max pool, 1x1 conv 64, 3x3 conv 192, 3x3/2 max pool; Inception
    3a 3b, max pool, 4a-4e, 2x2/2 max pool, 5a 5b (branches 1x1 | 1x1->3x3 | 1x1->"5x5" |
    3x3/1 max pool->1x1, concatenated on channels; filter counts from Table 1 of the paper);
    global average pooling, dropout (0.2 as torchvision; the paper has 0.4), Dense(classes).

    Differences from the 2014 paper, all taken from torchvision so its parameter count applies:
    every convolution has no bias and is followed by BatchNormalization (eps 1e-3) and ReLU,
    there is no LRN, and the "5x5" branch uses a 3x3 convolution. Max pools are PyTorch's
    ceil_mode=True pools (see _blocks.ceil_max_pool), so output sizes match torchvision.

    Reference parameter count: 6,624,904 (torchvision, without auxiliary heads) = this model's
    TRAINABLE parameter count (torchvision keeps BN running statistics as buffers; here they are
    non-trainable moving_mean/moving_variance weights). aux_heads=True adds the two auxiliary
    classifiers after 4a and 4d (the paper's 5x5/3 average pool; torchvision uses an adaptive 4x4
    pool, the same parameter count at 224x224): 13,004,888 trainable at 1000 classes, and the
    model then has three outputs [logits, aux1, aux2]. Aux heads need 4a/4d maps >= 5x5 (input
    >= ~65x65); without them any input >= 1x1 works (32x32 gives 1x1 maps at stage 5).
    """
    input_shape = check_input_shape(input_shape, "GoogLeNet", 1)
    inputs = L.Input(shape=input_shape, name="googlenet_input")
    x = _cbr(inputs, 64, 7, 2, name="conv1")
    x = ceil_max_pool(x, 3, 2, name="pool1")
    x = _cbr(x, 64, 1, name="conv2")
    x = _cbr(x, 192, 3, name="conv3")
    x = ceil_max_pool(x, 3, 2, name="pool2")
    x = _inception(x, "3a")
    x = _inception(x, "3b")
    x = ceil_max_pool(x, 3, 2, name="pool3")
    x = _inception(x, "4a")
    aux1 = _aux_head(x, classes, classifier_activation, "aux1") if aux_heads else None
    x = _inception(x, "4b")
    x = _inception(x, "4c")
    x = _inception(x, "4d")
    aux2 = _aux_head(x, classes, classifier_activation, "aux2") if aux_heads else None
    x = _inception(x, "4e")
    x = ceil_max_pool(x, 2, 2, name="pool4")
    x = _inception(x, "5a")
    x = _inception(x, "5b")
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    x = L.Dense(classes, activation=classifier_activation, name="fc")(x)
    outputs = [x, aux1, aux2] if aux_heads else x
    return Model(inputs, outputs, name="googlenet")


InceptionV1 = GoogLeNet
