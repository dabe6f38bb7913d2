"""The accuracy recipes of issue 7, trained with `fastconv train` (fastconv/cli.py). NOT run in CI:
the full recipes take hours on a 2-core machine.

    python bench/bench_accuracy.py                       # all three recipes, 15 epochs each
    python bench/bench_accuracy.py --recipe mnist --epochs 2 --threads 2

Recipes (the lab's: Adam 1e-3, batch 100, softmax cross-entropy, 15 epochs):
  fashion   lab CNN on Fashion-MNIST        (Keras reaches about 92% test accuracy)
  mnist     lab CNN on MNIST                (target >= 99.2%)
  best      best-lab CNN (Conv/Dense+BN+ReLU, glorot_normal) with augmentation (+-15 deg,
            +-2 px, median background), ensemble of 3, the lab's learning rate halved every 5
            epochs, on MNIST   (target >= 99.5%)

Each recipe trains into <--out>/<recipe> and resumes there when re-run (so a long run can be
interrupted); the wall time printed is that of this invocation, images/s is the mean training
throughput over the epochs in the run's history (images per second per model, summed over the
ensemble). Rows: recipe, epochs, test accuracy, wall seconds, images/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time

import numpy as np

import fastconv
from fastconv import cli

RECIPES = {
    "fashion": (["--model", "lab_cnn", "--dataset", "fashion_mnist"], "~92% (Keras)"),
    "mnist": (["--model", "lab_cnn", "--dataset", "mnist"], ">= 99.2%"),
    "best": (["--model", "lab_cnn_bn", "--dataset", "mnist", "--augment", "--ensemble", "3",
              "--lr-halve-every", "5"],
             ">= 99.5%"),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", action="append", choices=sorted(RECIPES),
                   help="run only this recipe (repeatable; default: all three)")
    p.add_argument("--epochs", type=int, default=15, help="default 15 (the lab recipe)")
    p.add_argument("--limit", type=int, default=None, help="subset (not the recipe; for trials)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", default=os.path.join("runs", "accuracy"))
    p.add_argument("--csv", default=None, metavar="FILE", help="also write the rows as CSV")
    args = p.parse_args()
    if args.threads:
        fastconv.set_num_threads(args.threads)
    info = fastconv.cpu_info()
    print(f"# CPU: {info['brand']} | ISA: {info['isa']} | threads {fastconv.get_num_threads()} | "
          f"fastconv {fastconv.__version__} | numpy {np.__version__} | Python "
          f"{platform.python_version()}")
    rows = []
    for name in args.recipe or list(RECIPES):
        flags, target = RECIPES[name]
        out = os.path.join(args.out, name)
        argv = ["train", *flags, "--epochs", str(args.epochs), "--out", out, "--no-plots"]
        if args.limit:
            argv += ["--limit", str(args.limit)]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        print(f"# fastconv {' '.join(argv)}", flush=True)
        t0 = time.perf_counter()
        rc = cli.main(argv)
        wall = time.perf_counter() - t0
        if rc != 0:
            return rc
        with open(os.path.join(out, "history.json")) as f:
            history = json.load(f)
        acc = history[-1]["test_acc"]
        ips = float(np.mean([h["images_per_s"] for h in history]))
        rows.append({"recipe": name, "epochs": history[-1]["epoch"], "test_acc": acc,
                     "target": target, "wall_s": wall, "images_per_s": ips})
    print(f"{'recipe':8s} {'epochs':>6s} {'test acc':>9s} {'target':>13s} {'wall s':>9s} "
          f"{'images/s':>9s}")
    for r in rows:
        print(f"{r['recipe']:8s} {r['epochs']:6d} {100 * r['test_acc']:8.2f}% {r['target']:>13s}"
              f" {r['wall_s']:9.0f} {r['images_per_s']:9.0f}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["recipe"])
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
