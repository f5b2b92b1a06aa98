#!/bin/sh
# Builds socket_trace.bpf.o from socket_trace.bpf.c with Debian's clang and
# libbpf-dev headers, and records the source's hash beside it. The object is
# committed so that building pxl needs only the Rust toolchain.
#
#   build.sh          rebuild the committed object (after editing the source)
#   build.sh --check  rebuild into a temporary file and fail unless it is
#                     byte-identical to the committed object (CI runs this)
set -eu
cd "$(dirname "$0")"
check=no
out=socket_trace.bpf.o
if [ "${1:-}" = "--check" ]; then
    check=yes
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
fi
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 \
    -I/usr/include/x86_64-linux-gnu \
    -fdebug-prefix-map="$(pwd)"=. -fdebug-compilation-dir=. \
    -Wall -Werror -c socket_trace.bpf.c -o "$out"
strip=$(command -v llvm-strip || command -v llvm-strip-14 || true)
if [ -z "$strip" ]; then
    echo "llvm-strip not found (Debian package llvm)" >&2
    exit 1
fi
"$strip" -g "$out"
if [ "$check" = yes ]; then
    if cmp -s "$out" socket_trace.bpf.o; then
        echo "socket_trace.bpf.o matches its source"
        exit 0
    fi
    echo "socket_trace.bpf.o is stale: run stirling/bpf/build.sh and commit the result" >&2
    exit 1
fi
sha256sum socket_trace.bpf.c | cut -d' ' -f1 > socket_trace.bpf.c.sha256
