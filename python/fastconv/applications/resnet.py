"""ResNet-18/34/50/101/152 (He et al. 2015), torchvision's layout, built with fastconv.keras."""

from __future__ import annotations

from fastconv.keras import layers as L
from fastconv.keras.models import Model
from fastconv.applications._blocks import check_input_shape, conv, conv_bn_relu

__all__ = ["ResNet", "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152"]

_EPS, _MOMENTUM = 1e-5, 0.9          # torchvision's BatchNorm2d (eps 1e-5, momentum 0.1)


def _basic_block(x, filters, strides, name):
    # 3x3 -> 3x3 (expansion 1); projection shortcut (1x1 conv + BN) when the shape changes.
    shortcut = x
    y = conv_bn_relu(x, filters, 3, strides, _EPS, _MOMENTUM, name=name + "_1")
    y = conv_bn_relu(y, filters, 3, 1, _EPS, _MOMENTUM, relu=False, name=name + "_2")
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv_bn_relu(x, filters, 1, strides, _EPS, _MOMENTUM, relu=False,
                                name=name + "_proj")
    y = L.Add(name=name + "_add")([y, shortcut])
    return L.ReLU(name=name + "_out")(y)


def _bottleneck_block(x, filters, strides, name):
    # 1x1 (filters) -> 3x3 (filters, the stride: "ResNet v1.5" as torchvision) -> 1x1 (4 filters).
    shortcut = x
    y = conv_bn_relu(x, filters, 1, 1, _EPS, _MOMENTUM, name=name + "_1")
    y = conv_bn_relu(y, filters, 3, strides, _EPS, _MOMENTUM, name=name + "_2")
    y = conv_bn_relu(y, 4 * filters, 1, 1, _EPS, _MOMENTUM, relu=False, name=name + "_3")
    if strides != 1 or x.shape[-1] != 4 * filters:
        shortcut = conv_bn_relu(x, 4 * filters, 1, strides, _EPS, _MOMENTUM, relu=False,
                                name=name + "_proj")
    y = L.Add(name=name + "_add")([y, shortcut])
    return L.ReLU(name=name + "_out")(y)


def ResNet(block, stage_blocks, input_shape=(224, 224, 3), classes=1000, small_input=False,
           classifier_activation=None, name="resnet", width=64):
    """A ResNet from a block type ('basic' or 'bottleneck') and the number of blocks per stage.

    Stem: 7x7/2 conv 64 + BN + ReLU + 3x3/2 max pool (padding 1), or with small_input=True the
    CIFAR-style stem (3x3/1 conv 64 + BN + ReLU, no pool) for 28x28/32x32 images. Four stages of
    64/128/256/512 filters (x4 for bottleneck blocks); ``width`` (default 64, the published
    models) sets the stem and first stage's filters and the others scale with it (width=16:
    16/32/64/128, a narrow ResNet that trains on a CPU in minutes); the first block of stages 2-4 with stride 2
    and a projection shortcut (1x1 conv + BN, torchvision's "option B"), identity shortcuts
    elsewhere; global average pooling; Dense(classes) (logits unless classifier_activation).
    Convolutions have no bias (each is followed by BatchNormalization, eps 1e-5, momentum 0.9 =
    PyTorch's defaults); conv kernels He-normal initialized. Padding k // 2 on all sides as
    PyTorch (see _blocks.conv), so a model with copied weights computes torchvision's outputs.
    """
    if block not in ("basic", "bottleneck"):
        raise ValueError(f"ResNet: block must be 'basic' or 'bottleneck', got {block!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"ResNet: width must be a positive int, got {width!r}")
    input_shape = check_input_shape(input_shape, name, 1)
    unit = _basic_block if block == "basic" else _bottleneck_block
    inputs = L.Input(shape=input_shape, name=name + "_input")
    if small_input:
        x = conv_bn_relu(inputs, width, 3, 1, _EPS, _MOMENTUM, name="stem")
    else:
        x = conv_bn_relu(inputs, width, 7, 2, _EPS, _MOMENTUM, name="stem")
        # max pool 3x3/2 with padding 1: zero padding is exact because the input follows a ReLU
        x = L.ZeroPadding2D(1, name="stem_pool_pad")(x)
        x = L.MaxPooling2D(3, 2, name="stem_pool")(x)
    stage_filters = (width, 2 * width, 4 * width, 8 * width)
    for stage, (filters, n) in enumerate(zip(stage_filters, stage_blocks)):
        for i in range(n):
            strides = 2 if stage > 0 and i == 0 else 1
            x = unit(x, filters, strides, name=f"stage{stage + 1}_block{i + 1}")
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    x = L.Dense(classes, activation=classifier_activation, name="fc")(x)
    return Model(inputs, x, name=name)


def ResNet18(input_shape=(224, 224, 3), classes=1000, small_input=False,
             classifier_activation=None, width=64):
    """ResNet-18 (basic blocks 2-2-2-2), torchvision's ``resnet18``.

    Reference: 11,689,512 parameters (torchvision, 224x224, 1000 classes) = this model's
    TRAINABLE parameter count (torchvision keeps BN running statistics as buffers; here they are
    the 9,600 non-trainable moving_mean/moving_variance weights, included in count_params()).
    With small_input=True and 10 classes (the usual CIFAR ResNet-18): 11,173,962 trainable.
    With width=16 (16/32/64/128 filters), small_input, 32x32x3 input and 10 classes: 701,466
    trainable (2724 w^2 + (150 + 9 c_in + 8 classes) w + classes for width w).
    See ResNet() for the layout, the small_input stem and width."""
    return ResNet("basic", (2, 2, 2, 2), input_shape, classes, small_input,
                  classifier_activation, name="resnet18", width=width)


def ResNet34(input_shape=(224, 224, 3), classes=1000, small_input=False,
             classifier_activation=None):
    """ResNet-34 (basic blocks 3-4-6-3), torchvision's ``resnet34``: 21,797,672 trainable
    parameters (BN moving statistics are extra non-trainable weights). See ResNet()."""
    return ResNet("basic", (3, 4, 6, 3), input_shape, classes, small_input,
                  classifier_activation, name="resnet34")


def ResNet50(input_shape=(224, 224, 3), classes=1000, small_input=False,
             classifier_activation=None):
    """ResNet-50 (bottleneck blocks 3-4-6-3, stride in the 3x3 conv = "v1.5"), torchvision's
    ``resnet50``: 25,557,032 trainable parameters (BN moving statistics are extra non-trainable
    weights). See ResNet()."""
    return ResNet("bottleneck", (3, 4, 6, 3), input_shape, classes, small_input,
                  classifier_activation, name="resnet50")


def ResNet101(input_shape=(224, 224, 3), classes=1000, small_input=False,
              classifier_activation=None):
    """ResNet-101 (bottleneck blocks 3-4-23-3, v1.5), torchvision's ``resnet101``: 44,549,160
    trainable parameters (BN moving statistics are extra non-trainable weights). See ResNet()."""
    return ResNet("bottleneck", (3, 4, 23, 3), input_shape, classes, small_input,
                  classifier_activation, name="resnet101")


def ResNet152(input_shape=(224, 224, 3), classes=1000, small_input=False,
              classifier_activation=None):
    """ResNet-152 (bottleneck blocks 3-8-36-3, v1.5; the lecture's 152 layers), torchvision's
    ``resnet152``: 60,192,808 trainable parameters (BN moving statistics are extra non-trainable
    weights). See ResNet()."""
    return ResNet("bottleneck", (3, 8, 36, 3), input_shape, classes, small_input,
                  classifier_activation, name="resnet152")
