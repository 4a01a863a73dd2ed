#!/bin/bash
# The whole test suite: unit tests (Check) and integration tests that drive
# real daemons with Debian's virsh and python3-libvirt, in a normal build and
# in an ASan+UBSan build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
"$top/scripts/deps.sh"

status=0
"$top/scripts/build.sh" "$top/build"
(cd "$top/build" && ctest --output-on-failure --timeout 900) || status=1

echo "=== ASan + UBSan build ==="
"$top/scripts/build.sh" "$top/build-asan" -DMODVIRT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure --timeout 900) || status=1
exit $status
