"""tools/check_sanitizer_logs.py (the judge of `make test-sanitize`): ASan/UBSan reports and
leaks with a fastconv frame fail the run; leaks allocated wholly by the interpreter do not."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "check_sanitizer_logs", os.path.join(ROOT, "tools", "check_sanitizer_logs.py"))
checker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checker)

PY_LEAK = """=================================================================
==1==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 5400 byte(s) in 4 object(s) allocated from:
    #0 0x7f in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f in _PyObject_Malloc Objects/obmalloc.c:2003

"""
OUR_LEAK = """Direct leak of 64 byte(s) in 1 object(s) allocated from:
    #0 0x7f in operator new(unsigned long) ../../../../src/libsanitizer/asan/asan_new_delete.cpp:95
    #1 0x7f in fastconv::thread_scratch(int, long) /work/src/cpp/common/buffer.cpp:40
    #2 0x7f in _PyObject_Call (/usr/lib/libpython3.11.so+0x1)

"""


def _run(tmp_path, text):
    (tmp_path / "asan.1").write_text(text)
    return checker.main(str(tmp_path))


def test_interpreter_leaks_are_ignored(tmp_path):
    assert _run(tmp_path, PY_LEAK) == 0


def test_fastconv_leak_fails(tmp_path):
    assert _run(tmp_path, PY_LEAK + OUR_LEAK) == 1


def test_asan_error_and_ubsan_report_fail(tmp_path):
    assert _run(tmp_path, "==2==ERROR: AddressSanitizer: heap-buffer-overflow on address") == 1
    (tmp_path / "asan.1").unlink()
    assert _run(tmp_path, "src/cpp/conv/x.cpp:10:5: runtime error: signed integer overflow") == 1
