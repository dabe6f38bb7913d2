"""Lab 11-1: convolution and max pooling basics (the TF 2 Keras lab, with fastconv).

Prints the lab's arrays and shapes; saves the pictures the lab shows with plt.imshow as PNG
files in --out-dir (needs matplotlib; without it, says so and skips them).

    python examples/lab11_1_conv_basics.py [--out-dir DIR] [--no-plots]
"""

import argparse
import os

import numpy as np

import fastconv as tf
from fastconv import keras

from _common import pyplot

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out-dir", default=".", help="where the PNGs go (default: .)")
parser.add_argument("--no-plots", action="store_true", help="skip the PNGs (quick check)")
args = parser.parse_args()
plt = None if args.no_plots else pyplot()
if args.no_plots:
    print("--no-plots: the feature-map pictures are skipped")
elif plt is None:
    print("matplotlib is not installed: the feature-map pictures are skipped "
          "(pip install 'fastconv[plot]')")
os.makedirs(args.out_dir, exist_ok=True)


def save(name):
    if plt is not None:
        path = os.path.join(args.out_dir, name)
        plt.savefig(path)
        plt.close()
        print("saved", path)


print(tf.__version__)

# ---- a 3x3 image, a 2x2 filter of ones, VALID padding ---------------------------------------
image = tf.constant([[[[1], [2], [3]],
                      [[4], [5], [6]],
                      [[7], [8], [9]]]], dtype=np.float32)
print(image.shape)

print("image.shape", image.shape)
weight = np.array([[[[1.]], [[1.]]],
                   [[[1.]], [[1.]]]])
print("weight.shape", weight.shape)
weight_init = tf.constant_initializer(weight)
conv2d = keras.layers.Conv2D(filters=1, kernel_size=2, padding='VALID',
                             kernel_initializer=weight_init)(image)
print("conv2d.shape", conv2d.shape)
print(conv2d.numpy().reshape(2, 2))

# ---- SAME padding ----------------------------------------------------------------------------
conv2d = keras.layers.Conv2D(filters=1, kernel_size=2, padding='SAME',
                             kernel_initializer=weight_init)(image)
print("conv2d.shape", conv2d.shape)
print(conv2d.numpy().reshape(3, 3))

# ---- three filters (weights 1, 10, -1), SAME -------------------------------------------------
weight = np.array([[[[1., 10., -1.]], [[1., 10., -1.]]],
                   [[[1., 10., -1.]], [[1., 10., -1.]]]])
print("weight.shape", weight.shape)
weight_init = tf.constant_initializer(weight)
conv2d = keras.layers.Conv2D(filters=3, kernel_size=2, padding='SAME',
                             kernel_initializer=weight_init)(image)
print("conv2d.shape", conv2d.shape)
feature_maps = np.swapaxes(conv2d, 0, 3)
for i, feature_map in enumerate(feature_maps):
    print(feature_map.reshape(3, 3))
    if plt is not None:
        plt.subplot(1, 3, i + 1), plt.imshow(feature_map.reshape(3, 3), cmap='gray')
save("lab11_1_three_filters.png")

# ---- max pooling -----------------------------------------------------------------------------
image = tf.constant([[[[4], [3]],
                      [[2], [1]]]], dtype=np.float32)
pool = keras.layers.MaxPool2D(pool_size=(2, 2), strides=1, padding='VALID')(image)
print(pool.shape)
print(pool.numpy())

pool = keras.layers.MaxPool2D(pool_size=(2, 2), strides=1, padding='SAME')(image)
print(pool.shape)
print(pool.numpy())

# ---- an MNIST image ---------------------------------------------------------------------------
mnist = keras.datasets.mnist
class_names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images = train_images.astype(np.float32) / 255.
test_images = test_images.astype(np.float32) / 255.
img = train_images[0]
if plt is not None:
    plt.imshow(img, cmap='gray')
save("lab11_1_mnist_image.png")

img = img.reshape(-1, 28, 28, 1)
img = tf.convert_to_tensor(img)
tf.random.set_seed(777)
weight_init = keras.initializers.RandomNormal(stddev=0.01)
conv2d = keras.layers.Conv2D(filters=5, kernel_size=3, strides=(2, 2), padding='SAME',
                             kernel_initializer=weight_init)(img)
print(conv2d.shape)
feature_maps = np.swapaxes(conv2d, 0, 3)
for i, feature_map in enumerate(feature_maps):
    if plt is not None:
        plt.subplot(1, 5, i + 1), plt.imshow(feature_map.reshape(14, 14), cmap='gray')
save("lab11_1_conv_feature_maps.png")

pool = keras.layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2), padding='SAME')(conv2d)
print(pool.shape)
feature_maps = np.swapaxes(pool, 0, 3)
for i, feature_map in enumerate(feature_maps):
    if plt is not None:
        plt.subplot(1, 5, i + 1), plt.imshow(feature_map.reshape(7, 7), cmap='gray')
save("lab11_1_pool_feature_maps.png")
