"""Snippets of the TF 2 "lab-11" CNN labs, run as written after `import fastconv as tf` and
`from fastconv import keras`."""

from __future__ import annotations

import numpy as np

import fastconv as tf
from fastconv import keras


def test_conv_basics_lab():
    image = tf.constant([[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], dtype=np.float32)
    assert image.shape == (1, 3, 3, 1)
    weight = np.array([[[[1.]], [[1.]]], [[[1.]], [[1.]]]])
    weight_init = tf.constant_initializer(weight)
    conv2d = keras.layers.Conv2D(filters=1, kernel_size=2, padding='VALID',
                                 kernel_initializer=weight_init)(image)
    np.testing.assert_array_equal(conv2d.numpy().reshape(2, 2), [[12, 16], [24, 28]])
    conv2d = keras.layers.Conv2D(filters=1, kernel_size=2, padding='SAME',
                                 kernel_initializer=weight_init)(image)
    np.testing.assert_array_equal(conv2d.numpy().reshape(3, 3),
                                  [[12, 16, 9], [24, 28, 15], [15, 17, 9]])
    weight = np.array([[[[1., 10., -1.]], [[1., 10., -1.]]], [[[1., 10., -1.]], [[1., 10., -1.]]]])
    conv2d = keras.layers.Conv2D(filters=3, kernel_size=2, padding='SAME',
                                 kernel_initializer=tf.constant_initializer(weight))(image)
    feature_maps = np.swapaxes(conv2d, 0, 3)
    np.testing.assert_array_equal(feature_maps[2].reshape(3, 3),
                                  -np.array([[12, 16, 9], [24, 28, 15], [15, 17, 9]]))
    image = tf.constant([[[[4], [3]], [[2], [1]]]], dtype=np.float32)
    pool = keras.layers.MaxPool2D(pool_size=(2, 2), strides=1, padding='VALID')(image)
    assert pool.shape == (1, 1, 1, 1) and pool.numpy().item() == 4
    pool = keras.layers.MaxPool2D(pool_size=(2, 2), strides=1, padding='SAME')(image)
    np.testing.assert_array_equal(pool.numpy().reshape(2, 2), [[4, 3], [2, 1]])


def _create_model():
    model = keras.Sequential()
    model.add(keras.layers.Conv2D(filters=4, kernel_size=3, activation=tf.nn.relu, padding='SAME',
                                  input_shape=(8, 8, 1)))
    model.add(keras.layers.MaxPool2D(padding='SAME'))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(16, activation=tf.nn.relu))
    model.add(keras.layers.Dropout(0.4))
    model.add(keras.layers.Dense(10))
    return model


def _loss_fn(model, images, labels):
    logits = model(images, training=True)
    return tf.reduce_mean(tf.keras.losses.categorical_crossentropy(
        y_pred=logits, y_true=labels, from_logits=True))


def _grad(model, images, labels):
    with tf.GradientTape() as tape:
        loss = _loss_fn(model, images, labels)
    return tape.gradient(loss, model.variables)


def test_ensemble_lab_with_dataset_and_schedule():
    tf.random.set_seed(777)
    rng = np.random.default_rng(0)
    train_images = rng.random((40, 8, 8), dtype=np.float32)
    train_images = np.expand_dims(train_images.astype(np.float32) / 1.0, axis=-1)
    train_labels = keras.utils.to_categorical(rng.integers(0, 10, 40), 10)
    train_dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels)).shuffle(
        buffer_size=100).batch(20)
    models = [_create_model() for _ in range(3)]
    lr = tf.keras.optimizers.schedules.ExponentialDecay(0.001, decay_steps=2, decay_rate=0.5,
                                                        staircase=True)
    optimizer = tf.keras.optimizers.Adam(learning_rate=lr)
    first = None
    for epoch in range(2):
        for images, labels in train_dataset:
            for model in models:
                grads = _grad(model, images, labels)
                optimizer.apply_gradients(zip(grads, model.variables))
                loss = _loss_fn(model, images, labels)
                first = float(loss) if first is None else first
    predictions = np.zeros_like(train_labels)
    for model in models:
        logits = model(train_images, training=False)
        predictions += logits
    correct_prediction = tf.equal(tf.argmax(predictions, 1), tf.argmax(train_labels, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    assert 0.0 <= float(accuracy) <= 1.0
    assert optimizer.iterations == 12


def test_best_lab_blocks_with_fit(capsys):
    class ConvBNRelu(tf.keras.Model):
        def __init__(self, filters, kernel_size=3, strides=1, padding='SAME'):
            super(ConvBNRelu, self).__init__()
            self.conv = keras.layers.Conv2D(filters=filters, kernel_size=kernel_size,
                                            strides=strides, padding=padding,
                                            kernel_initializer='glorot_normal')
            self.batchnorm = tf.keras.layers.BatchNormalization()

        def call(self, inputs, training=False):
            layer = self.conv(inputs)
            layer = self.batchnorm(layer)
            layer = tf.nn.relu(layer)
            return layer

    class DenseBNRelu(tf.keras.Model):
        def __init__(self, units):
            super(DenseBNRelu, self).__init__()
            self.dense = keras.layers.Dense(units=units, kernel_initializer='glorot_normal')
            self.batchnorm = tf.keras.layers.BatchNormalization()

        def call(self, inputs, training=False):
            layer = self.dense(inputs)
            layer = self.batchnorm(layer)
            layer = tf.nn.relu(layer)
            return layer

    class MNISTModel(tf.keras.Model):
        def __init__(self):
            super(MNISTModel, self).__init__()
            self.conv1 = ConvBNRelu(filters=4, kernel_size=[3, 3], padding='SAME')
            self.pool1 = keras.layers.MaxPool2D(padding='SAME')
            self.pool3_flat = keras.layers.Flatten()
            self.dense4 = DenseBNRelu(units=8)
            self.drop4 = keras.layers.Dropout(rate=0.4)
            self.dense5 = keras.layers.Dense(units=10, kernel_initializer='glorot_normal')

        def call(self, inputs, training=False):
            net = self.conv1(inputs)
            net = self.pool1(net)
            net = self.pool3_flat(net)
            net = self.dense4(net)
            net = self.drop4(net)
            net = self.dense5(net)
            return net

    model = MNISTModel()
    x = np.random.default_rng(1).random((32, 8, 8, 1), dtype=np.float32)
    y = np.arange(32) % 10
    model.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.summary()
    out = capsys.readouterr().out
    assert "conv_bn_relu (ConvBNRelu)" in out and "Non-trainable params: 24" in out
    assert model.count_params() == (40 + 16) + (64 * 8 + 8 + 32) + 90
