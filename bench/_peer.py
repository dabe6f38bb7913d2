"""Peer benchmark processes: a peer library (PyTorch, TensorFlow) runs in a process of its own
as a small server that times one case per request, so a benchmark can interleave rounds of
fastconv and of every peer, and each ratio compares samples taken in the same minutes (the
machines we measure on drift by tens of percent over minutes). Used by bench_conv2d.py,
bench_e2e.py, bench_zoo.py, bench_conv_bwd_filter.py, bench_pool.py, bench_tape_overhead.py and
bench_keras_fit.py."""

from __future__ import annotations

import subprocess
import sys
import time


def measure_samples(fn, warmup, repeat):
    """([wall s], [process-CPU s]) of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def timed_case(set_threads, fn, layout):
    """A case for serve(): after set_threads(threads), `repeat` timed calls of fn (measure_samples),
    reported with `layout`."""
    def run(threads, warmup, repeat):
        set_threads(threads)
        wall, cpu = measure_samples(fn, warmup, repeat)
        return layout, wall, cpu
    return run


# After its last parallel region a PyTorch peer's idle OpenMP workers spin on their cores
# (libgomp's default wait policy) for ~10 ms (measured: 8-10 ms of CPU time with 2 threads);
# on a 2-core machine that slows whatever the parent times next. A Peer made with settle=SETTLE
# waits that long after each reply.
SETTLE = 0.02


class Peer:
    """A peer benchmark server in its own process. Protocol, one line each way per request:
    `<what> <threads> <warmup> <repeat>` -> `<layout> <wall s>,... <cpu s>,...` (samples).
    settle: seconds to sleep after each reply (see SETTLE)."""

    def __init__(self, argv, env, settle=0.0):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.settle = settle
        self.hello = self._line()

    def _line(self):
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            raise SystemExit(f"peer {self.proc.args[:2]} failed (exit status {self.proc.wait()}):\n"
                             + "\n".join(err.splitlines()[-15:]))
        return line.strip()

    def ask(self, what, threads, warmup, repeat):
        try:
            self.proc.stdin.write(f"{what} {threads} {warmup} {repeat}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:  # the peer has exited: _line reports its stderr
            pass
        layout, wall, cpu = self._line().split()
        if self.settle:
            time.sleep(self.settle)
        return ([float(v) for v in wall.split(",")], [float(v) for v in cpu.split(",")],
                layout)

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:  # it has exited already
            pass
        self.proc.wait(timeout=60)


def serve(cases, hello="READY"):
    """The peer side of Peer: cases[what](threads, warmup, repeat) -> (layout, wall, cpu).
    `hello` is the first line the parent reads (Peer.hello), e.g. with the peer's own checks."""
    print(hello, flush=True)
    for line in sys.stdin:
        what, threads, warmup, repeat = line.split()
        layout, wall, cpu = cases[what](int(threads), int(warmup), int(repeat))
        print(layout, ",".join(map(repr, wall)), ",".join(map(repr, cpu)), flush=True)
