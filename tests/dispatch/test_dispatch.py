"""ISA probing, FASTCONV_ISA, cpu_info() and the thread-count controls."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

import fastconv
from fastconv import _core


def _run(code: str, **env) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("FASTCONV_ISA", None)
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_cpu_info_reports_features_isa_threads():
    info = fastconv.cpu_info()
    assert info["isa"] in info["supported_isas"]
    assert set(info["supported_isas"]) <= set(info["compiled_isas"])
    assert "scalar" in info["supported_isas"]
    assert info["num_threads"] == fastconv.get_num_threads() >= 1
    assert info["gemm_kernel"].endswith("__" + info["isa"])
    f = info["features"]
    for key in ("avx2", "fma", "avx512f", "os_saves_ymm", "os_saves_zmm"):
        assert isinstance(f[key], bool)
    # The OS check matters: an ISA is only supported if the OS saves its registers.
    if "avx512f" in info["supported_isas"]:
        assert f["avx512f"] and f["os_saves_zmm"]
    if "avx2" in info["supported_isas"]:
        assert f["avx2"] and f["fma"] and f["os_saves_ymm"]


def test_default_is_best_supported_isa():
    r = _run("import fastconv, json; print(json.dumps(fastconv.cpu_info()))")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["isa"] == info["supported_isas"][-1]


@pytest.mark.parametrize("name", ["scalar", "avx2", "avx512f"])
def test_env_forces_isa(name):
    if name not in fastconv.cpu_info()["supported_isas"]:
        pytest.skip(f"{name} not supported here")
    r = _run("import fastconv; print(fastconv.cpu_info()['isa'])", FASTCONV_ISA=name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == name


def test_env_unknown_isa_is_a_clear_error():
    r = _run("import fastconv", FASTCONV_ISA="sse9")
    assert r.returncode != 0
    assert "FASTCONV_ISA='sse9' is not a known ISA" in r.stderr
    assert "scalar, avx2, avx512f" in r.stderr


def test_env_unsupported_isa_is_a_clear_error():
    supported = fastconv.cpu_info()["supported_isas"]
    missing = [i for i in ("avx2", "avx512f") if i not in supported]
    if not missing:
        pytest.skip("this CPU supports every ISA fastconv has")
    r = _run("import fastconv", FASTCONV_ISA=missing[0])
    assert r.returncode != 0 and "is not supported by this CPU" in r.stderr


def test_set_isa_rejects_unknown():
    with pytest.raises(ValueError, match="unknown ISA 'mmx'"):
        _core.set_isa("mmx")


def test_omp_num_threads_respected():
    r = _run("import fastconv; print(fastconv.get_num_threads())", OMP_NUM_THREADS="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


def test_set_num_threads(threads):
    fastconv.set_num_threads(1)
    assert fastconv.get_num_threads() == 1
    assert fastconv.cpu_info()["num_threads"] == 1
    fastconv.set_num_threads(2)
    assert fastconv.get_num_threads() == 2
    with pytest.raises(ValueError, match=">= 1"):
        fastconv.set_num_threads(0)
    with pytest.raises(TypeError):
        fastconv.set_num_threads(1.5)


_GLIBC = platform.libc_ver()[0] == "glibc"
# Under the sanitizer run (tools/sanitize.sh preloads ASan) malloc is ASan's, not glibc's: the
# tuning does not apply there and cpu_info() rightly reports it off.
_SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def _malloc_tuned(**env) -> bool:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "FASTCONV_MALLOC_TUNING")}
    clean.pop("FASTCONV_ISA", None)
    clean.update(env)
    r = subprocess.run([sys.executable, "-c",
                        "import fastconv; print(fastconv.cpu_info()['malloc_tuned'])"],
                       capture_output=True, text=True, env=clean, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip() == "True"


@pytest.mark.skipif(not _GLIBC or _SANITIZED, reason="malloc tuning applies to glibc's malloc only")
def test_malloc_tuning_on_by_default_and_opt_out():
    assert _malloc_tuned() is True
    assert _malloc_tuned(FASTCONV_MALLOC_TUNING="0") is False
    # A user who tunes malloc themselves keeps their settings.
    assert _malloc_tuned(MALLOC_ARENA_MAX="2") is False
    assert _malloc_tuned(GLIBC_TUNABLES="glibc.malloc.trim_threshold=1000") is False


@pytest.mark.skipif(not _GLIBC or _SANITIZED or not sys.platform.startswith("linux"),
                    reason="glibc malloc tuning, RSS from /proc")
def test_release_free_memory_returns_heap_to_the_os():
    # With the tuning, 160 MB of freed 8 MB blocks stay resident (trim threshold 512 MB) until
    # release_free_memory() hands them back, as the data set loaders do after decompressing.
    code = (
        "import numpy as np, fastconv\n"
        "from fastconv import _core\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024\n"
        "assert fastconv.cpu_info()['malloc_tuned']\n"
        "blocks = [np.ones(2 << 20, np.float32) for _ in range(20)]\n"
        "high = rss(); del blocks\n"
        "kept = rss(); released = _core.release_free_memory(); after = rss()\n"
        "print(high, kept, released, after)\n")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "FASTCONV_MALLOC_TUNING")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    high, kept, released, after = r.stdout.split()
    high, kept, after = float(high), float(kept), float(after)
    assert kept > high - 40, (high, kept)          # freed blocks stayed resident
    assert released == "True" and after < kept - 120, (kept, after)


def _omp_run(**env):
    """(cpu_info()['omp_passive_wait'], OMP_WAIT_POLICY after import or None, libgomp loaded,
    stderr) in a fresh interpreter with OMP_DISPLAY_ENV=verbose, which makes libgomp print the
    settings it read when it was loaded (GOMP_SPINCOUNT: 0 when passive, 300000 by default)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "FASTCONV_OMP_PASSIVE")}
    clean.update(env, OMP_DISPLAY_ENV="verbose")
    code = ("import os, fastconv\n"
            "maps = open('/proc/self/maps').read() if os.path.exists('/proc/self/maps') else ''\n"
            "print(fastconv.cpu_info()['omp_passive_wait'], os.environ.get('OMP_WAIT_POLICY'),"
            " 'libgomp' in maps)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    passive, policy, gomp = r.stdout.split()
    return passive == "True", None if policy == "None" else policy, gomp == "True", r.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libgomp and /proc are Linux's")
def test_openmp_loaded_with_passive_waiting_unless_the_user_chose():
    passive, policy, gomp, err = _omp_run()
    assert passive is True
    assert policy is None  # set only while the extension loads: not inherited by children
    if gomp:
        assert "GOMP_SPINCOUNT = '0'" in err, err
    # The user's choice wins and is left in place.
    passive, policy, gomp, err = _omp_run(OMP_WAIT_POLICY="ACTIVE")
    assert passive is False and policy == "ACTIVE"
    if gomp:
        assert "OMP_WAIT_POLICY = 'ACTIVE'" in err, err
    assert _omp_run(GOMP_SPINCOUNT="1000")[0] is False
    passive, policy, gomp, err = _omp_run(FASTCONV_OMP_PASSIVE="0")
    assert passive is False and policy is None
    if gomp:
        assert "GOMP_SPINCOUNT = '0'" not in err, err
