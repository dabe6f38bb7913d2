"""ResNet-18 adapted to 28x28 (fastconv.applications.ResNet18(small_input=True): 3x3/1 stem, no
stem pool; stages at 28/14/7/4; --width 16 for the narrow 16/32/64/128-filter variant) on
Fashion-MNIST, SGD with momentum + cosine learning rate, random
crops (pad 2) and horizontal flips; then the test accuracy (target >= 93.5%).

    python examples/train_resnet_fashion_mnist.py                          # 15 epochs (slow on CPU)
    python examples/train_resnet_fashion_mnist.py --width 16                # narrow, ~16x fewer FLOPs
    python examples/train_resnet_fashion_mnist.py --epochs 1 --limit 2000     # quick check

Prints per-epoch loss/accuracy, test accuracy, wall time and training images/s.
"""

import argparse
import math
import time

import numpy as np

import fastconv as tf
from fastconv import applications, keras

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--epochs", type=int, default=15)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--limit", type=int, default=None, help="only the first N train/test images")
p.add_argument("--threads", type=int, default=None)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--width", type=int, default=64, help="filters of the first stage (64: ResNet-18)")
args = p.parse_args()
if args.threads:
    tf.set_num_threads(args.threads)
tf.random.set_seed(args.seed)
rng = np.random.default_rng(args.seed)

(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
if args.limit:
    x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_test, y_test = x_test[:args.limit], y_test[:args.limit]
mean, std = 0.2860, 0.3530
x_train = ((x_train.astype(np.float32) / 255.0 - mean) / std)[..., None]
x_test = ((x_test.astype(np.float32) / 255.0 - mean) / std)[..., None]

model = applications.ResNet18(input_shape=(28, 28, 1), classes=10, small_input=True,
                              width=args.width)
print(f"ResNet-18 (28x28, small_input, width {args.width}): {model.count_params():,} parameters")
opt = keras.optimizers.SGD(learning_rate=args.lr, momentum=0.9, nesterov=True)
weights = model.trainable_weights
decay = [w for w in weights if len(w.shape) > 1]   # weight decay on kernels only


def augment(xb):
    # random crop from a 2-pixel zero(-mean) pad + horizontal flip
    n = len(xb)
    padded = np.pad(xb, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-mean / std)
    dy, dx = rng.integers(0, 5, n), rng.integers(0, 5, n)
    out = np.empty_like(xb)
    for i in range(n):
        out[i] = padded[i, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out


steps_per_epoch = math.ceil(len(x_train) / args.batch_size)
total_steps = args.epochs * steps_per_epoch
step = 0
t0 = time.perf_counter()
for epoch in range(args.epochs):
    order = rng.permutation(len(x_train))
    seen, loss_sum, correct = 0, 0.0, 0
    te = time.perf_counter()
    for s in range(steps_per_epoch):
        idx = order[s * args.batch_size:(s + 1) * args.batch_size]
        xb, yb = augment(x_train[idx]), y_train[idx]
        opt.learning_rate = 0.5 * args.lr * (1 + math.cos(math.pi * step / total_steps))
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = tf.ops.softmax_cross_entropy(yb, logits)
        grads = tape.gradient(loss, weights)
        grads = [np.asarray(g) + 5e-4 * w.numpy() if any(w is d for d in decay) else g
                 for g, w in zip(grads, weights)]
        opt.apply_gradients(zip(grads, weights))
        step += 1
        seen += len(idx)
        loss_sum += float(np.asarray(loss)) * len(idx)
        correct += int((np.asarray(logits).argmax(1) == yb).sum())
    dt = time.perf_counter() - te
    print(f"epoch {epoch + 1}/{args.epochs}: loss {loss_sum / seen:.4f} train acc "
          f"{correct / seen * 100:.2f}% ({dt:.0f} s, {seen / dt:.0f} images/s)", flush=True)
train_s = time.perf_counter() - t0
correct = 0
for i in range(0, len(x_test), 500):
    logits = np.asarray(model(x_test[i:i + 500], training=False))
    correct += int((logits.argmax(1) == y_test[i:i + 500]).sum())
print(f"test accuracy {correct / len(x_test) * 100:.2f}%")
print(f"{args.epochs} epochs in {train_s:.0f} s = {args.epochs * len(x_train) / train_s:.1f} "
      f"training images/s ({tf.get_num_threads()} threads)")
