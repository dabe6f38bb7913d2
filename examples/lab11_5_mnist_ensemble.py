"""Lab 11-5: an ensemble of 3 subclassed MNIST CNNs trained side by side (one Adam optimizer
with an exponentially decaying learning rate); test predictions are the models' summed logits —
the TF 2 lab with fastconv.

    python examples/lab11_5_mnist_ensemble.py                        # the lab: 15 epochs
    python examples/lab11_5_mnist_ensemble.py --epochs 1 --limit 2000     # a quick check
"""

import os

import numpy as np

import fastconv as tf
from fastconv import keras

from _common import load_mnist, parse_args

args = parse_args(__doc__.splitlines()[0], ckpt_name="mnist_cnn_ensemble")

print(tf.__version__)

learning_rate = 0.001
training_epochs = args.epochs
batch_size = args.batch_size

tf.random.set_seed(args.seed)

checkpoint_dir = args.ckpt_dir
os.makedirs(checkpoint_dir, exist_ok=True)

(train_images, train_labels), (test_images, test_labels) = load_mnist(args.limit)

train_dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels)).shuffle(
    buffer_size=100000).batch(batch_size)
test_dataset = tf.data.Dataset.from_tensor_slices((test_images, test_labels)).batch(batch_size)


class MNISTModel(tf.keras.Model):
    def __init__(self):
        super(MNISTModel, self).__init__()
        self.conv1 = keras.layers.Conv2D(filters=32, kernel_size=[3, 3], padding='SAME',
                                         activation=tf.nn.relu)
        self.pool1 = keras.layers.MaxPool2D(padding='SAME')
        self.conv2 = keras.layers.Conv2D(filters=64, kernel_size=[3, 3], padding='SAME',
                                         activation=tf.nn.relu)
        self.pool2 = keras.layers.MaxPool2D(padding='SAME')
        self.conv3 = keras.layers.Conv2D(filters=128, kernel_size=[3, 3], padding='SAME',
                                         activation=tf.nn.relu)
        self.pool3 = keras.layers.MaxPool2D(padding='SAME')
        self.pool3_flat = keras.layers.Flatten()
        self.dense4 = keras.layers.Dense(units=256, activation=tf.nn.relu)
        self.drop4 = keras.layers.Dropout(rate=0.4)
        self.dense5 = keras.layers.Dense(units=10)

    def call(self, inputs, training=False):
        net = self.conv1(inputs)
        net = self.pool1(net)
        net = self.conv2(net)
        net = self.pool2(net)
        net = self.conv3(net)
        net = self.pool3(net)
        net = self.pool3_flat(net)
        net = self.dense4(net)
        net = self.drop4(net, training=training)
        net = self.dense5(net)
        return net


models = []
num_models = 3
for m in range(num_models):
    models.append(MNISTModel())

temp_inputs = keras.Input(shape=(28, 28, 1))
for model in models:
    model(temp_inputs)
models[0].summary()


def loss_fn(model, images, labels):
    logits = model(images, training=True)
    loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(
        y_pred=logits, y_true=labels, from_logits=True))
    return loss


def grad(model, images, labels):
    with tf.GradientTape() as tape:
        loss = loss_fn(model, images, labels)
    return tape.gradient(loss, model.variables)


def evaluate(models, images, labels):
    predictions = np.zeros_like(labels)
    for model in models:
        logits = model(images, training=False)
        predictions += logits
    correct_prediction = tf.equal(tf.argmax(predictions, 1), tf.argmax(labels, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    return accuracy


lr_decay = tf.keras.optimizers.schedules.ExponentialDecay(
    learning_rate, max(1, int(train_images.shape[0] / batch_size * num_models * 5)), 0.5,
    staircase=True)
optimizer = tf.keras.optimizers.Adam(learning_rate=lr_decay)

checkpoints = []
managers = []
for m in range(num_models):
    checkpoints.append(tf.train.Checkpoint(cnn=models[m]))
    managers.append(tf.train.CheckpointManager(
        checkpoints[m], os.path.join(checkpoint_dir, 'model-{}'.format(m)), max_to_keep=3))

# train my model
print('Learning started. It takes sometime.')
for epoch in range(training_epochs):
    avg_loss = 0.
    avg_train_acc = 0.
    avg_test_acc = 0.
    train_step = 0
    test_step = 0

    for images, labels in train_dataset:
        for model in models:
            grads = grad(model, images, labels)
            optimizer.apply_gradients(zip(grads, model.variables))
            loss = loss_fn(model, images, labels)
            avg_loss += float(loss) / num_models
        acc = evaluate(models, images, labels)
        avg_train_acc += float(acc)
        train_step += 1
    avg_loss = avg_loss / train_step
    avg_train_acc = avg_train_acc / train_step

    for images, labels in test_dataset:
        acc = evaluate(models, images, labels)
        avg_test_acc += float(acc)
        test_step += 1
    avg_test_acc = avg_test_acc / test_step

    print('Epoch:', '{}'.format(epoch + 1), 'loss =', '{:.8f}'.format(avg_loss),
          'train accuracy = ', '{:.4f}'.format(avg_train_acc),
          'test accuracy = ', '{:.4f}'.format(avg_test_acc))

    for idx in range(num_models):
        managers[idx].save()

print('Learning Finished!')

# each model alone, then the ensemble, on the test set (batch by batch)
for idx, model in enumerate(models):
    accs = [float(evaluate([model], images, labels)) * len(images)
            for images, labels in test_dataset]
    print('model {} test accuracy = {:.4f}'.format(idx, sum(accs) / len(test_images)))
accs = [float(evaluate(models, images, labels)) * len(images) for images, labels in test_dataset]
print('ensemble of {} test accuracy = {:.4f}'.format(num_models, sum(accs) / len(test_images)))
