#!/usr/bin/env python3
"""fastconv.image vs a scipy.ndimage per-image loop: images/s for a batch of MNIST images.

Rows (each for a batch of --batch 28x28 images, default 100 = the labs' batch size):
  rotate               fastconv.image.rotate          vs  scipy.ndimage.rotate per image
  shift                fastconv.image.shift           vs  scipy.ndimage.shift per image
  random_rotate_shift  the labs' augmentation (random angle in +-15 deg, shift in +-2 px,
                       background = median) in one batched native call  vs  the per-image
                       scipy loop a lab writes: np.median, then rotate, then shift
                       (two interpolations; so its max-error column compares against
                       scipy.ndimage.affine_transform of the composed map instead)
Before timing, each fastconv result is checked against scipy (max abs error column, on a
0..255 scale). Timings: median of --reps runs after a warm-up. scipy is single-threaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import fastconv
from fastconv import image
from fastconv.image import rotate_shift_coeffs

try:
    import scipy
    from scipy import ndimage
except ImportError:  # pragma: no cover - the bench needs its peer
    sys.exit("bench_image.py needs scipy (pip install scipy)")


def _load_images(batch: int) -> tuple[np.ndarray, str]:
    from fastconv.datasets import mnist

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        (x, _), _ = mnist.load_data(path=os.path.join(here, "..", "..", "shared", "data"),
                                    download=False)
        return x[:batch], "MNIST training images"
    except (OSError, ValueError) as e:
        print(f"# MNIST not available ({type(e).__name__}); using random uint8 images")
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, (batch, 28, 28), dtype=np.uint8), "random uint8 images"


def _time(fn, reps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cases(x: np.ndarray, seed: int):
    """(name, fastconv fn, scipy loop fn, scipy reference result for the error column)."""
    n = x.shape[0]
    xf = x.astype(np.float32)
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-15, 15, n)
    dy, dx = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)

    def sp_rotate():
        return np.stack([ndimage.rotate(xf[i], angles[i], reshape=False, order=1, cval=0.0)
                         for i in range(n)])

    def sp_shift():
        return np.stack([ndimage.shift(xf[i], (dy[i], dx[i]), order=1, cval=0.0)
                         for i in range(n)])

    def sp_lab():
        out = np.empty_like(xf)
        for i in range(n):
            med = float(np.median(xf[i]))
            r = ndimage.rotate(xf[i], angles[i], reshape=False, order=1, cval=med)
            out[i] = ndimage.shift(r, (dy[i], dx[i]), order=1, cval=med)
        return out

    def sp_composed():
        coeffs = rotate_shift_coeffs(angles, dy, dx, x.shape[1], x.shape[2])
        out = np.empty_like(xf)
        for i in range(n):
            m = coeffs[i, :4].reshape(2, 2)
            out[i] = ndimage.affine_transform(xf[i], m, offset=coeffs[i, 4:], order=1,
                                              cval=float(np.median(xf[i])))
        return out

    return [
        ("rotate", lambda: image.rotate(x, angles), sp_rotate, sp_rotate),
        ("shift", lambda: image.shift(x, dy, dx), sp_shift, sp_shift),
        # The native call draws its own parameters from the seed, exactly these ones.
        ("random_rotate_shift", lambda: image.random_rotate_shift(x, seed=seed), sp_lab,
         sp_composed),
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=100, help="images per batch (default 100)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--reps", type=int, default=30, help="timed repetitions (median reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--csv", action="store_true", help="print CSV rows instead of a table")
    args = p.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.batch < 1 or args.reps < 1 or not threads or min(threads) < 1:
        p.error("--batch, --reps and --threads must be positive")

    x, what = _load_images(args.batch)
    info = fastconv.cpu_info()
    print(f"# CPU: {info['brand']} | ISA: {info['isa']} | fastconv {fastconv.__version__} | "
          f"numpy {np.__version__} | scipy {scipy.__version__} | Python "
          f"{platform.python_version()}")
    print(f"# batch: {x.shape[0]} {what} {x.shape[1]}x{x.shape[2]} uint8; scipy loop is "
          f"single-threaded; median of {args.reps}")
    header = ["op", "threads", "fastconv_ms", "fastconv_img_per_s", "scipy_ms",
              "scipy_img_per_s", "speedup", "max_abs_err"]
    if args.csv:
        print(",".join(header))
    else:
        print(f"{'op':<20} {'thr':>3} {'fastconv ms':>11} {'img/s':>10} {'scipy ms':>9} "
              f"{'img/s':>9} {'speedup':>8} {'max|err|':>9}")
    previous = fastconv.get_num_threads()
    try:
        for name, ours, peer, reference in _cases(x, args.seed):
            err = float(np.max(np.abs(ours().astype(np.float64) - reference())))
            t_peer = _time(peer, max(3, args.reps // 5))
            for t in threads:
                fastconv.set_num_threads(t)
                t_ours = _time(ours, args.reps)
                n = x.shape[0]
                row = [name, t, t_ours * 1e3, n / t_ours, t_peer * 1e3, n / t_peer,
                       t_peer / t_ours, err]
                if args.csv:
                    print(",".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
                else:
                    print(f"{name:<20} {t:>3} {row[2]:>11.3f} {row[3]:>10.0f} {row[4]:>9.2f} "
                          f"{row[5]:>9.0f} {row[6]:>7.1f}x {err:>9.2g}")
    finally:
        fastconv.set_num_threads(previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
