"""The `fastconv` command line: train / predict / info / models.

    python -m fastconv train --dataset mnist --epochs 15          # the lab CNN, the lab recipe
    python -m fastconv train --model lab_cnn_bn --augment --ensemble 3
    python -m fastconv predict --model-path runs/<run> digit.png batch.npy
    python -m fastconv info

`train` writes everything into --out (default ./runs/<model>-<dataset>-<timestamp>):
``run.json`` (the settings, so a re-run can check it continues the same run), ``ckpts/``
(a fastconv.train checkpoint after every epoch: weights, optimizer slots, epoch counter),
``history.json`` (per-epoch numbers), ``model.npz`` (``model-<k>.npz`` for an ensemble),
``training_curve.png`` and ``feature_maps.png`` (when matplotlib is installed). Re-running the
same command with the same --out resumes from the latest checkpoint (``--no-resume`` starts over).

Errors the user can fix (missing data, bad arguments, a corrupt checkpoint) print one line
``fastconv: error: ...`` and exit with status 1 (argparse's own usage errors: status 2); set
FASTCONV_DEBUG=1 to get the traceback instead.

Models come from a registry: ``register_model(name, builder, help)`` where ``builder(input_shape,
num_classes)`` returns an (unbuilt) fastconv.keras model; the zoo adds its models the same way.
Builders should return Sequential or functional models so the final model file holds the
architecture (``fastconv.saving.save_model``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import time
from typing import Callable

import numpy as np

__all__ = ["main", "register_model", "MODELS", "DATASETS"]


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


# ---- model registry ----------------------------------------------------------------------------
MODELS: dict[str, tuple[Callable, str]] = {}


def register_model(name: str, builder: Callable, help: str = "") -> None:
    """Make `builder(input_shape, num_classes) -> keras model` available as ``--model name``."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"register_model: bad model name {name!r}")
    MODELS[name] = (builder, help)


def _lab_cnn(input_shape, num_classes):
    # The lab-11 MNIST CNN: three 3x3 SAME convs (32/64/128) each followed by a 2x2 max pool,
    # Dense 256 + ReLU, Dropout 0.4, Dense logits.
    from fastconv import keras

    L = keras.layers
    return keras.Sequential([
        L.Input(shape=input_shape),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.MaxPool2D(padding="same"),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.MaxPool2D(padding="same"),
        L.Conv2D(128, 3, padding="same", activation="relu"),
        L.MaxPool2D(padding="same"),
        L.Flatten(),
        L.Dense(256, activation="relu"),
        L.Dropout(0.4),
        L.Dense(num_classes),
    ], name="lab_cnn")


def _lab_cnn_bn(input_shape, num_classes):
    # The "best" lab's network: Conv/Dense -> BatchNorm -> ReLU blocks with glorot_normal init.
    # The lab writes the blocks as subclassed models; here they are plain layers in a Sequential
    # so the saved model file carries the architecture.
    from fastconv import keras

    L = keras.layers
    layers = [L.Input(shape=input_shape)]
    for filters in (32, 64, 128):
        layers += [L.Conv2D(filters, 3, padding="same", kernel_initializer="glorot_normal"),
                   L.BatchNormalization(), L.ReLU(), L.MaxPool2D(padding="same")]
    layers += [L.Flatten(), L.Dense(256, kernel_initializer="glorot_normal"),
               L.BatchNormalization(), L.ReLU(), L.Dropout(0.4),
               L.Dense(num_classes, kernel_initializer="glorot_normal")]
    return keras.Sequential(layers, name="lab_cnn_bn")


register_model("lab_cnn", _lab_cnn, "the lab-11 MNIST CNN (Conv32-Pool-Conv64-Pool-Conv128-Pool-"
               "Dense256-Dropout0.4-Dense), ~620k parameters")
register_model("lab_cnn_bn", _lab_cnn_bn, "the 'best' lab's CNN: the same shape with "
               "Conv/Dense+BatchNorm+ReLU blocks, glorot_normal init")

DATASETS = ("mnist", "fashion_mnist")


def _zoo(name, **kwargs):
    # fastconv.applications builders; ResNets take the CIFAR-style stem (small_input) for
    # images smaller than 64x64, so they train on 28x28 MNIST / Fashion-MNIST
    def build(input_shape, num_classes):
        from fastconv import applications

        builder = getattr(applications, name)
        extra = dict(kwargs)
        if name.startswith("ResNet"):
            extra["small_input"] = min(input_shape[:2]) < 64
        return builder(input_shape=tuple(input_shape), classes=num_classes, **extra)

    return build


register_model("lenet5", _zoo("LeNet5"), "LeNet-5 (6-16-120-84, tanh, avg pool; 28x28 zero-"
               "padded to 32x32), 61,706 parameters")
register_model("alexnet", _zoo("AlexNet"), "AlexNet (the paper's 96-256-384-384-256 + LRN, "
               "4096-4096; images >= 67x67)")
register_model("googlenet", _zoo("GoogLeNet"), "GoogLeNet / Inception v1 (torchvision's, with "
               "batch norm)")
for _depth in (18, 34, 50, 101, 152):
    register_model(f"resnet{_depth}", _zoo(f"ResNet{_depth}"), f"ResNet-{_depth} (torchvision "
                   f"layout; CIFAR-style 3x3 stem below 64x64)")
del _depth


# ---- small helpers -----------------------------------------------------------------------------
def _say(*args) -> None:
    print(*args, flush=True)


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _pyplot():
    """matplotlib.pyplot with a file-only backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_DATA_CACHE: dict = {}


def _load_dataset(name: str):
    # Cached per process (keyed by FASTCONV_DATA too): main() called repeatedly, as the tests
    # do, parses the 60,000-image files once. Callers never modify the arrays.
    from fastconv import datasets

    key = (name, os.environ.get("FASTCONV_DATA"))
    if key not in _DATA_CACHE:
        module = {"mnist": datasets.mnist, "fashion_mnist": datasets.fashion_mnist}[name]
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = module.load_data()
    return _DATA_CACHE[key]


def _class_names(dataset: str | None):
    if dataset == "fashion_mnist":
        from fastconv.datasets import fashion_mnist

        return list(fashion_mnist.CLASS_NAMES)
    return None


def _to_float(images: np.ndarray) -> np.ndarray:
    # The labs' preprocessing: uint8 0..255 -> float32 0..1, NHWC with one channel.
    x = images.astype(np.float32) / 255.0
    return x[..., None] if x.ndim == 3 else x


def _atomic_json(path: str, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def _positive(kind):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}")
        if v <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return v

    return parse


# ---- train -------------------------------------------------------------------------------------
_RUN_KEYS = ("model", "dataset", "ensemble", "augment", "limit", "batch_size", "lr", "seed")


def _check_run_matches(out: str, settings: dict) -> dict:
    """The stored run.json settings (empty for a new run); raises if they differ."""
    path = os.path.join(out, "run.json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError) as exc:
        raise CliError(f"{path} is unreadable ({exc}); use another --out or --no-resume")
    diff = [f"{k}: {old.get(k)!r} -> {settings[k]!r}" for k in _RUN_KEYS
            if old.get(k) != settings[k]]
    if diff:
        raise CliError(f"--out {out} holds a different run ({'; '.join(diff)}); "
                       f"use another --out, or --no-resume to overwrite it")
    return old


def _lr_factor(epoch: int, halve_every) -> float:
    """Learning-rate factor of 1-based `epoch` when the rate halves every `halve_every` epochs
    (None: constant), the best lab's staircase schedule."""
    return 1.0 if not halve_every else 0.5 ** ((epoch - 1) // halve_every)


def _check_schedule_resumable(out: str, old: dict, new_every, done: int) -> None:
    """A run may resume under a different --lr-halve-every only if both schedules gave the same
    rates for the `done` epochs already trained."""
    old_every = old.get("lr_halve_every")
    if old_every == new_every:
        return
    if any(_lr_factor(e, old_every) != _lr_factor(e, new_every) for e in range(1, done + 1)):
        raise CliError(f"--out {out} was trained {done} epochs with --lr-halve-every "
                       f"{old_every}; resuming with {new_every} would change the rates of epochs "
                       f"already done; use another --out, or --no-resume to overwrite it")


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def _predict_logits(model, x: np.ndarray, batch_size: int) -> np.ndarray:
    out = []
    for i in range(0, len(x), batch_size):
        out.append(np.asarray(model(x[i:i + batch_size], training=False)))
    return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ensemble_eval(models, x, y, batch_size):
    """(per-model accuracies, ensemble accuracy): the ensemble sums the models' softmax outputs."""
    probs = [_softmax(_predict_logits(m, x, batch_size)) for m in models]
    accs = [_accuracy(p, y) for p in probs]
    return accs, _accuracy(np.sum(probs, axis=0), y)


def _plot_curve(plt, history: list, path: str, title: str) -> None:
    epochs = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(epochs, [h["loss"] for h in history], "o-", label="train loss")
    a1.set_xlabel("epoch")
    a1.set_ylabel("loss")
    a1.legend()
    a2.plot(epochs, [h["train_acc"] for h in history], "o-", label="train accuracy")
    a2.plot(epochs, [h["test_acc"] for h in history], "s-", label="test accuracy")
    a2.set_xlabel("epoch")
    a2.set_ylabel("accuracy")
    a2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _first_conv_maps(model, image: np.ndarray):
    """Output of the model's first Conv2D layer on one image (N=1), or None if it has none.
    The registered models start with that conv, so calling the layer on the image is exact."""
    from fastconv import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return np.asarray(layer(image))
    return None


def _mosaic(maps: np.ndarray, cols: int = 8) -> np.ndarray:
    """(H, W, C) -> one (rows*(H+1)-1, cols*(W+1)-1) image, each map scaled to 0..1 on its own,
    separated by 1-pixel gaps (one imshow is much faster than one axes per map)."""
    h, w, c = maps.shape
    rows = -(-c // cols)
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, np.float32)
    for i in range(c):
        m = maps[:, :, i]
        lo, hi = float(m.min()), float(m.max())
        r, q = divmod(i, cols)
        out[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = (
            (m - lo) / (hi - lo) if hi > lo else 0.0)
    return out


def _plot_feature_maps(plt, model, image: np.ndarray, path: str, title: str) -> bool:
    maps = _first_conv_maps(model, image)
    if maps is None:
        return False
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 3.6),
                                   gridspec_kw={"width_ratios": (1, 3.5)})
    a0.imshow(image[0, :, :, 0], cmap="gray")
    a0.set_title("input")
    a1.imshow(_mosaic(maps[0]), cmap="viridis")
    a1.set_title(f"{maps.shape[-1]} feature maps {maps.shape[1]}x{maps.shape[2]} (each scaled "
                 f"to its own range)")
    for ax in (a0, a1):
        ax.axis("off")
    fig.suptitle(title)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def cmd_train(args) -> int:
    import fastconv
    from fastconv import image as fc_image
    from fastconv import keras, saving, train
    from fastconv.keras import _backend

    if args.model not in MODELS:
        raise CliError(f"unknown --model {args.model!r}; choose from {', '.join(sorted(MODELS))}")
    if args.threads is not None:
        fastconv.set_num_threads(args.threads)
    out = args.out or os.path.join(
        "runs", f"{args.model}-{args.dataset}-{datetime.datetime.now():%Y%m%d-%H%M%S}")
    settings = {"model": args.model, "dataset": args.dataset, "ensemble": args.ensemble,
                "augment": args.augment, "limit": args.limit, "batch_size": args.batch_size,
                "lr": args.lr, "seed": args.seed}
    ckpt_dir = os.path.join(out, "ckpts")
    old_settings: dict = {}
    if args.resume:
        old_settings = _check_run_matches(out, settings)
    elif os.path.isdir(ckpt_dir):
        # starting over: the old checkpoints (and their numbering) must not mix with the new run
        import shutil

        shutil.rmtree(ckpt_dir)
        _say(f"--no-resume: removed the old checkpoints in {ckpt_dir}")
    os.makedirs(out, exist_ok=True)

    (x_train, y_train), (x_test, y_test) = _load_dataset(args.dataset)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_train, x_test = _to_float(x_train), _to_float(x_test)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    num_classes = 10

    _backend.set_seed(args.seed)
    builder = MODELS[args.model][0]
    models = [builder(x_train.shape[1:], num_classes) for _ in range(args.ensemble)]
    optimizers = [keras.optimizers.Adam(learning_rate=args.lr) for _ in models]
    for m in models:
        m.build((None,) + x_train.shape[1:])
    epoch_var = fastconv.Variable(np.zeros((), np.float32), trainable=False, name="epoch")
    tracked = {"epoch": epoch_var}
    for k, (m, opt) in enumerate(zip(models, optimizers)):
        tracked[f"model_{k}"] = m
        tracked[f"optimizer_{k}"] = opt
    ckpt = train.Checkpoint(**tracked)
    manager = train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=3)

    history_path = os.path.join(out, "history.json")
    history: list = []
    start = 0
    if args.resume and manager.latest_checkpoint:
        latest = manager.latest_checkpoint
        try:
            ckpt.restore(latest)
        except (ValueError, OSError) as exc:
            raise CliError(f"cannot resume from {latest}: {exc} (use --no-resume or another "
                           f"--out)")
        start = int(np.asarray(epoch_var))
        _check_schedule_resumable(out, old_settings, args.lr_halve_every, start)
        if os.path.exists(history_path):
            with open(history_path) as f:
                history = [h for h in json.load(f) if h["epoch"] <= start]
        _say(f"resuming from {latest} (epoch {start} done); --no-resume starts over")
    elif args.resume:
        _say(f"no checkpoint in {ckpt_dir}: starting a new run (re-running with the same --out "
             f"resumes)")
    _atomic_json(os.path.join(out, "run.json"), dict(settings, lr_halve_every=args.lr_halve_every,
                                                      fastconv=fastconv.__version__))

    info = fastconv.cpu_info()
    n_params = sum(int(np.prod(v.shape)) for v in models[0].trainable_variables)
    _say(f"fastconv {fastconv.__version__} | ISA {info['isa']} | threads "
         f"{fastconv.get_num_threads()} | model {args.model} ({n_params:,} trainable params)"
         f"{f' x {args.ensemble}' if args.ensemble > 1 else ''} | {args.dataset}: "
         f"{len(x_train)} train / {len(x_test)} test images | batch {args.batch_size} | "
         f"Adam lr {args.lr}"
         f"{f' halved every {args.lr_halve_every} epochs' if args.lr_halve_every else ''}"
         f"{' | augment: rotate +-15 deg, shift +-2 px' if args.augment else ''}"
         f" | out {out}")

    tqdm = _tqdm() if args.progress else None
    if args.progress and tqdm is None:
        _say("(no progress bar: tqdm is not installed; pip install 'fastconv[progress]')")
    steps = math.ceil(len(x_train) / args.batch_size)
    eval_bs = max(args.batch_size, 500)
    for epoch in range(start + 1, args.epochs + 1):
        for opt in optimizers:
            opt.learning_rate = args.lr * _lr_factor(epoch, args.lr_halve_every)
        rng = np.random.default_rng([args.seed, epoch])
        order = rng.permutation(len(x_train))
        loss_sum = correct = seen = 0.0
        t0 = time.perf_counter()
        bar = tqdm(total=steps, desc=f"epoch {epoch}/{args.epochs}", unit="batch",
                   leave=False, file=sys.stderr) if tqdm else None
        for i in range(steps):
            idx = order[i * args.batch_size:(i + 1) * args.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            if args.augment:
                xb = fc_image.random_rotate_shift(xb, max_degrees=15, max_shift=2,
                                                  fill="median", seed=rng)
            for m, opt in zip(models, optimizers):
                with fastconv.GradientTape() as tape:
                    logits = m(xb, training=True)
                    loss = fastconv.ops.softmax_cross_entropy(yb, logits)
                grads = tape.gradient(loss, m.trainable_variables)
                opt.apply_gradients(zip(grads, m.trainable_variables))
                loss_sum += float(np.asarray(loss)) * len(idx)
                correct += float(np.sum(np.argmax(np.asarray(logits), 1) == yb))
                seen += len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        train_time = time.perf_counter() - t0
        if bar is not None:
            bar.close()
        accs, ens_acc = _ensemble_eval(models, x_test, y_test, eval_bs)
        ips = len(x_train) * len(models) / train_time
        row = {"epoch": epoch, "loss": loss_sum / seen, "train_acc": correct / seen,
               "test_acc": ens_acc, "test_acc_models": accs, "images_per_s": ips,
               "train_seconds": train_time, "lr": float(optimizers[0].learning_rate)}
        history.append(row)
        epoch_var.assign(np.float32(epoch))
        path = manager.save()
        _atomic_json(history_path, history)
        ens = (f" (models: {', '.join(f'{a:.4f}' for a in accs)})" if len(models) > 1 else "")
        _say(f"epoch {epoch:3d}/{args.epochs}: loss {row['loss']:.4f}  train acc "
             f"{row['train_acc']:.4f}  test acc {ens_acc:.4f}{ens}  {ips:,.0f} images/s  "
             f"{train_time:.1f} s  [checkpoint {path}]")
    if start >= args.epochs:
        _say(f"all {args.epochs} epochs already done in {out}; evaluating")

    # final model(s)
    names = ["model.npz"] if len(models) == 1 else [f"model-{k + 1}.npz"
                                                   for k in range(len(models))]
    for m, name in zip(models, names):
        saving.save_model(m, os.path.join(out, name))
    _say(f"saved {', '.join(os.path.join(out, n) for n in names)}")

    plt = _pyplot() if args.plots else None
    if not args.plots:
        _say("--no-plots: skipped training_curve.png and feature_maps.png")
    elif plt is None:
        _say("matplotlib is not installed: skipped training_curve.png and feature_maps.png "
             "(pip install 'fastconv[plot]')")
    else:
        title = f"{args.model} on {args.dataset}"
        if history:
            _plot_curve(plt, history, os.path.join(out, "training_curve.png"), title)
            _say(f"wrote {os.path.join(out, 'training_curve.png')}")
        if len(x_test) and _plot_feature_maps(plt, models[0], x_test[:1],
                                              os.path.join(out, "feature_maps.png"),
                                              f"{title}: first conv layer, test image 0"):
            _say(f"wrote {os.path.join(out, 'feature_maps.png')}")

    accs, ens_acc = _ensemble_eval(models, x_test, y_test, eval_bs)
    if len(models) > 1:
        _say(f"model test accuracies: {', '.join(f'{a:.4f}' for a in accs)}")
        _say(f"ensemble of {len(models)} test accuracy: {ens_acc:.4f} ({len(x_test)} images)")
    else:
        _say(f"test accuracy: {ens_acc:.4f} ({len(x_test)} images)")
    return 0


# ---- predict -----------------------------------------------------------------------------------
def _image_reader():
    """(name, read(path) -> float array HxW[xC] in 0..1): Pillow if installed, else matplotlib."""
    try:
        from PIL import Image

        def read_pil(path):
            with Image.open(path) as im:
                return np.asarray(im.convert("L"), dtype=np.float32) / 255.0

        return "Pillow", read_pil
    except ImportError:
        pass
    try:
        import matplotlib.image as mpimg
    except ImportError:
        return None, None

    def read_mpl(path):
        a = np.asarray(mpimg.imread(path), dtype=np.float32)
        if np.issubdtype(np.asarray(mpimg.imread(path)).dtype, np.integer):
            a = a / 255.0
        if a.ndim == 3:  # RGB(A) -> luminance, as Pillow's "L"
            a = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        return a

    return "matplotlib.image", read_mpl


def _load_inputs(paths, invert: bool, shape):
    """[(label, image HxWx1 float32 0..1)] from .npy batches and image files."""
    items = []
    reader_name, reader = None, None
    for p in paths:
        if not os.path.exists(p):
            raise CliError(f"no such file: {p}")
        if p.lower().endswith(".npy"):
            try:
                a = np.load(p, allow_pickle=False)
            except ValueError as exc:
                raise CliError(f"{p}: not a readable .npy file ({exc})")
            if a.dtype.kind not in "biuf":
                raise CliError(f"{p}: expected numbers, got dtype {a.dtype}")
            a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
            if a.ndim == 2:
                a = a[None]
            if a.ndim == 3:
                a = a[..., None]
            if a.ndim != 4:
                raise CliError(f"{p}: expected (N, H, W), (N, H, W, 1) or (H, W), got shape "
                               f"{a.shape}")
            items += [(f"{p}[{i}]", a[i]) for i in range(len(a))]
        else:
            if reader is None:
                reader_name, reader = _image_reader()
                if reader is None:
                    raise CliError("reading image files needs Pillow or matplotlib (pip install "
                                   "'fastconv[plot]'); or pass an .npy batch")
                _say(f"reading images with {reader_name}")
            try:
                a = reader(p)
            except Exception as exc:  # any decoder error: one line naming the file
                raise CliError(f"{p}: cannot read the image ({type(exc).__name__}: {exc})")
            items.append((p, a[..., None]))
    for label, a in items:
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise CliError(f"{label}: image shape {a.shape[:2]} does not match the model's input "
                           f"{tuple(shape)[:2]}")
    if invert:
        items = [(label, 1.0 - a) for label, a in items]
    return items


def _model_files(path: str):
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path)
                       if f == "model.npz" or (f.startswith("model-") and f.endswith(".npz")))
        if not files:
            raise CliError(f"{path} holds no model.npz / model-<k>.npz (train writes them at "
                           f"the end of a run)")
        return [os.path.join(path, f) for f in files], os.path.join(path, "run.json")
    if not os.path.exists(path):
        raise CliError(f"no such model file: {path}")
    return [path], os.path.join(os.path.dirname(path) or ".", "run.json")


def cmd_predict(args) -> int:
    from fastconv import saving

    files, run_json = _model_files(args.model_path)
    dataset = args.dataset
    if dataset is None and os.path.exists(run_json):
        try:
            with open(run_json) as f:
                dataset = json.load(f).get("dataset")
        except (OSError, ValueError):
            dataset = None
    models = []
    for f in files:
        try:
            models.append(saving.load_model(f))
        except (ValueError, OSError, NotImplementedError) as exc:
            raise CliError(f"cannot load model {f}: {exc}")
    shape = getattr(models[0], "input_shape", None)
    shape = tuple(shape[1:]) if shape is not None else None
    items = _load_inputs(args.inputs, args.invert, shape)
    if not items:
        raise CliError("no inputs (the .npy batches were empty)")
    x = np.stack([a for _, a in items]).astype(np.float32)
    probs = sum(_softmax(_predict_logits(m, x, 500)) for m in models) / len(models)
    names = _class_names(dataset)
    for (label, _), p in zip(items, probs):
        c = int(np.argmax(p))
        cname = f" ({names[c]})" if names else ""
        print(f"{label}: class {c}{cname}  probability {p[c]:.4f}")
    return 0


# ---- info --------------------------------------------------------------------------------------
def cmd_info(args) -> int:
    import fastconv

    info = fastconv.cpu_info()
    print(f"fastconv {fastconv.__version__}  (numpy {np.__version__}, Python "
          f"{sys.version.split()[0]})")
    print(f"CPU: {info.get('vendor')} {info.get('brand')}")
    flags = [k for k, v in info.get("features", {}).items() if v]
    print(f"CPU features: {' '.join(flags)}")
    print(f"ISA in use: {info.get('isa')} (compiled: {', '.join(info.get('compiled_isas', []))};"
          f" supported here: {', '.join(info.get('supported_isas', []))}; FASTCONV_ISA="
          f"{os.environ.get('FASTCONV_ISA', '')!s} )")
    print(f"GEMM microkernel: {info.get('gemm_kernel')}")
    print(f"threads: {fastconv.get_num_threads()}")
    extras = []
    for mod, extra in (("tqdm", "progress"), ("matplotlib", "plot"), ("PIL", "Pillow")):
        try:
            __import__(mod)
            extras.append(f"{mod} yes")
        except ImportError:
            extras.append(f"{mod} no ({extra})")
    print(f"optional: {', '.join(extras)}")
    print(f"FASTCONV_DATA: {os.environ.get('FASTCONV_DATA', '(not set)')}")
    print(f"models: {', '.join(sorted(MODELS))}")
    return 0


def cmd_models(args) -> int:
    for name in sorted(MODELS):
        print(f"{name:14s} {MODELS[name][1]}")
    return 0


# ---- argument parsing --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastconv", description="fastconv: CNNs on the CPU.")
    sub = p.add_subparsers(dest="command", metavar="{train,predict,info,models}")
    sub.required = True

    t = sub.add_parser("train", help="train a CNN on MNIST / Fashion-MNIST",
                       description="Train a model with the lab recipe (Adam, batch 100, softmax "
                       "cross-entropy), checkpointing every epoch into --out and resuming from "
                       "it when re-run.")
    t.add_argument("--model", default="lab_cnn",
                   help=f"model name (default lab_cnn; registered: {', '.join(sorted(MODELS))})")
    t.add_argument("--dataset", default="mnist", choices=DATASETS, help="default mnist; the "
                   "files are found via $FASTCONV_DATA, ~/.fastconv/datasets, "
                   "/usr/share/datasets, else downloaded")
    t.add_argument("--epochs", type=_positive(int), default=15, help="total epochs (default 15)")
    t.add_argument("--batch-size", type=_positive(int), default=100, help="default 100")
    t.add_argument("--lr", type=_positive(float), default=1e-3, help="Adam learning rate "
                   "(default 0.001)")
    t.add_argument("--lr-halve-every", type=_positive(int), default=None, metavar="N",
                   help="halve the learning rate every N epochs (the best lab: 5; default: "
                   "constant)")
    t.add_argument("--threads", type=_positive(int), default=None,
                   help="kernel threads (default: OMP_NUM_THREADS or all cores)")
    t.add_argument("--augment", action="store_true", help="random rotation +-15 deg and shift "
                   "+-2 px per training image, background = image median (the best lab)")
    t.add_argument("--ensemble", type=_positive(int), default=1, metavar="K",
                   help="train K models; test predictions are their summed probabilities")
    t.add_argument("--limit", type=_positive(int), default=None, metavar="N",
                   help="use only the first N training and N test images (quick runs)")
    t.add_argument("--seed", type=int, default=0, help="seed for init, shuffling, dropout, "
                   "augmentation (default 0)")
    t.add_argument("--out", default=None, metavar="DIR", help="run directory (default "
                   "./runs/<model>-<dataset>-<timestamp>)")
    t.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="continue from the latest checkpoint in --out (the default)")
    t.add_argument("--no-resume", dest="resume", action="store_false",
                   help="start from scratch, deleting --out's old checkpoints")
    t.add_argument("--no-progress", dest="progress", action="store_false", default=True,
                   help="no tqdm progress bar")
    t.add_argument("--no-plots", dest="plots", action="store_false", default=True,
                   help="do not write the PNGs (matplotlib is slow to import and draw)")
    t.set_defaults(func=cmd_train)

    pr = sub.add_parser("predict", help="classify images or an .npy batch with a saved model")
    pr.add_argument("--model-path", required=True, metavar="PATH",
                    help="a model .npz written by train, or a run directory (an ensemble's "
                    "model-<k>.npz files are averaged)")
    pr.add_argument("inputs", nargs="+", metavar="FILE",
                    help="PNG/JPG images (read with Pillow if installed, else matplotlib) or "
                    ".npy batches (N,H,W[,1]); uint8 is scaled by 1/255, floats are used as is")
    pr.add_argument("--invert", action="store_true",
                    help="use 1 - pixel (for dark digits on a light background; MNIST is light "
                    "on dark)")
    pr.add_argument("--dataset", choices=DATASETS, default=None,
                    help="for class names (default: from the run's run.json)")
    pr.set_defaults(func=cmd_predict)

    i = sub.add_parser("info", help="CPU, ISA, threads and optional extras")
    i.set_defaults(func=cmd_info)
    m = sub.add_parser("models", help="list the models --model accepts")
    m.set_defaults(func=cmd_models)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = os.environ.get("FASTCONV_DEBUG", "") not in ("", "0")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("fastconv: interrupted", file=sys.stderr)
        return 130
    except (CliError, OSError, ValueError, TypeError, NotImplementedError) as exc:
        if debug:
            raise
        msg = str(exc).strip().splitlines()
        print(f"fastconv: error: {msg[0] if msg else type(exc).__name__}"
              + (f" {' '.join(s.strip() for s in msg[1:])}" if len(msg) > 1 else ""),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
