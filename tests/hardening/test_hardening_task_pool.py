"""The task pool behind small multi-threaded jobs (src/cpp/common/task_pool.h): the calling
thread and helper threads claim tasks from a shared counter, so every task must run exactly
once per job whatever the interleaving, with jobs submitted from several Python threads at once
(one job at a time uses the pool, the others run on their own thread), and after a fork."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from fastconv import _core


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
@pytest.mark.parametrize("ntasks", [1, 2, 3, 7, 64, 1000])
def test_every_task_runs_once_per_job(ntasks, threads):
    for spin in (0, 2000):
        jobs = 300 if ntasks < 100 else 20
        counts = _core._task_pool_selfcheck(ntasks, threads, jobs, spin)
        assert counts.shape == (ntasks,)
        assert (counts == jobs).all(), f"tasks ran {np.unique(counts)} times, expected {jobs}"


def test_jobs_from_several_python_threads():
    results, errors = {}, []

    def worker(i):
        try:
            results[i] = _core._task_pool_selfcheck(5 + i, 2, 400, 200)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert not errors and len(results) == 4
    for i, counts in results.items():
        assert counts.shape == (5 + i,) and (counts == 400).all()


def test_forked_child_runs_jobs():
    code = textwrap.dedent("""
        import os, sys
        import numpy as np
        import fastconv
        from fastconv import _core, ops
        fastconv.set_num_threads(2)
        assert (_core._task_pool_selfcheck(9, 2, 50, 100) == 50).all()
        x = np.ones((1, 7, 7, 64), np.float32); w = np.ones((3, 3, 64, 128), np.float32)
        y = ops.conv2d(x, w, padding='same').numpy()
        pid = os.fork()
        if pid == 0:
            ok = (_core._task_pool_selfcheck(9, 2, 50, 100) == 50).all()
            ok = ok and np.array_equal(ops.conv2d(x, w, padding='same').numpy(), y)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    """)
    r = subprocess.run([sys.executable, "-c", code], timeout=120, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_a_throwing_task_reaches_the_caller_after_the_job(threads):
    for throw_at in (0, 5, 11):
        with pytest.raises(RuntimeError, match=f"task {throw_at} failed"):
            _core._task_pool_selfcheck(12, threads, 1, 2000, throw_at)
    # the pool is still usable afterwards
    assert (_core._task_pool_selfcheck(12, threads, 50, 100) == 50).all()
