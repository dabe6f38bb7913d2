"""fastconv.applications (= fastconv.keras.applications): the lecture's CNNs as builders.

Each builder returns a functional (weights initialized) ``fastconv.keras.Model`` made only
from the public fastconv.keras layers; its docstring names the published variant it follows and
the reference parameter count (tests/applications/test_zoo.py checks every count).

    LeNet5(input_shape=(32, 32, 1), classes=10)          # 61,706 params; (28, 28, 1) pads to 32
    AlexNet(input_shape=(227, 227, 3), classes=1000)     # 62,378,344 (paper, merged towers)
    GoogLeNet(input_shape=(224, 224, 3), classes=1000, aux_heads=False)   # = InceptionV1
    ResNet18/34/50/101/152(input_shape=(224, 224, 3), classes=1000, small_input=False)

Outputs are logits (classifier_activation=None, as torchvision); pass
classifier_activation='softmax' for Keras-applications-style probabilities.
"""

from fastconv.applications.alexnet import ALEXNET_MIN_INPUT, AlexNet
from fastconv.applications.googlenet import GoogLeNet, InceptionV1
from fastconv.applications.lenet import LeNet5
from fastconv.applications.resnet import (ResNet, ResNet18, ResNet34, ResNet50, ResNet101,
                                          ResNet152)

__all__ = ["LeNet5", "AlexNet", "ALEXNET_MIN_INPUT", "GoogLeNet", "InceptionV1", "ResNet",
           "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152"]
