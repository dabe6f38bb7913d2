"""LeNet-5 (fastconv.applications.LeNet5) on MNIST: 28x28 digits zero-padded to 32x32 inside the
model, ReLU + max pooling variant, Adam with the learning rate decayed by --decay per epoch
(keras.callbacks.LearningRateScheduler), then the test accuracy (target >= 98.9%).

    python examples/train_lenet5_mnist.py                      # 12 epochs, decay 0.8
    python examples/train_lenet5_mnist.py --epochs 1 --limit 5000   # a quick check

Prints per-epoch loss/accuracy, the test accuracy, wall time and training images/s.
"""

import argparse
import time

import numpy as np

import fastconv as tf
from fastconv import applications, keras

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--epochs", type=int, default=12)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--decay", type=float, default=0.8, help="learning rate factor per epoch (1: none)")
p.add_argument("--limit", type=int, default=None, help="only the first N train/test images")
p.add_argument("--activation", default="relu", help="relu (default) or tanh (the classic)")
p.add_argument("--pooling", default="max", help="max (default) or avg (the classic)")
p.add_argument("--threads", type=int, default=None)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
if args.threads:
    tf.set_num_threads(args.threads)
tf.random.set_seed(args.seed)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
if args.limit:
    x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_test, y_test = x_test[:args.limit], y_test[:args.limit]
x_train = (x_train.astype(np.float32) / 255.0)[..., None]
x_test = (x_test.astype(np.float32) / 255.0)[..., None]

model = applications.LeNet5(input_shape=(28, 28, 1), classes=10, activation=args.activation,
                            pooling=args.pooling)
model.summary()
model.compile(optimizer=keras.optimizers.Adam(args.lr),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
t0 = time.perf_counter()
schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: args.lr * args.decay ** epoch)
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
          callbacks=[schedule])
train_s = time.perf_counter() - t0
loss, acc = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
print(f"test accuracy {acc * 100:.2f}%  (loss {loss:.4f})")
print(f"{args.epochs} epochs in {train_s:.1f} s = {args.epochs * len(x_train) / train_s:.0f} "
      f"training images/s ({tf.get_num_threads()} threads)")
