#!/usr/bin/env bash
# Runs pytest on the ASan+UBSan build of fastconv (make test-sanitize builds it into .venv-asan
# from build/asan and calls this). Usage: tools/sanitize.sh PYTHON [pytest args...]
#
# The extension is compiled with -fsanitize=address,undefined; Python itself is not, so the ASan
# runtime has to be the first library in the process: it is preloaded (libubsan with it, for the
# UBSan handlers). Every report goes to a log file per process under build/asan/reports and
# tools/check_sanitizer_logs.py decides afterwards: any ASan error or UBSan report fails the run,
# and so does any leak whose allocation stack has a fastconv frame. Leaks allocated entirely by
# CPython / NumPy / OpenMP (objects they keep until exit) are listed but do not fail it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$1
shift
cxx=${CXX:-g++}
asan=$("$cxx" -print-file-name=libasan.so)
ubsan=$("$cxx" -print-file-name=libubsan.so)
for lib in "$asan" "$ubsan"; do
  [[ -f $lib ]] || { echo "sanitize.sh: $lib not found (install the compiler's sanitizer runtimes)" >&2; exit 2; }
done
logdir=build/asan/reports
rm -rf "$logdir"
mkdir -p "$logdir"
start=$(date +%s)
set +e
# allocator_may_return_null: an impossible allocation is a MemoryError, as without ASan (some
#   tests check that), instead of an ASan abort. exitcode=0 for LeakSanitizer: the log checker
#   decides which leaks count (see above). quarantine_size_mb=16 (default 256): freed blocks are
#   still poisoned for a while (use-after-free is caught) but the quarantine does not add 256 MB
#   of resident memory, which the RSS-flatness tests would report as a leak.
LD_PRELOAD="$asan $ubsan" \
ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=16:halt_on_error=1:strict_string_checks=1:check_initialization_order=1:log_path=$PWD/$logdir/asan" \
LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0:exitcode=0" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tools/ubsan.supp:log_path=$PWD/$logdir/ubsan" \
PYTHONFAULTHANDLER=1 \
  "$py" -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
echo "sanitize.sh: pytest exit code $rc after $(( $(date +%s) - start )) s"
python3 tools/check_sanitizer_logs.py "$logdir" || rc=1
exit $rc
