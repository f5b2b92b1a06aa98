#!/bin/sh
# Rebuilds socket_trace.bpf.o from socket_trace.bpf.c with Debian's clang and
# libbpf-dev headers, and records the source's hash beside it. The object is
# committed so that building pxl needs only the Rust toolchain; `.ci/run`
# runs `build.sh --check` to prove the committed object matches its source.
set -eu
cd "$(dirname "$0")"
out=${OUT:-socket_trace.bpf.o}
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 \
    -I/usr/include/x86_64-linux-gnu \
    -fdebug-prefix-map="$(pwd)"=. -fdebug-compilation-dir=. \
    -Wall -Werror -c socket_trace.bpf.c -o "$out"
llvm-strip -g "$out" 2>/dev/null || true
if [ "${1:-}" = "--check" ]; then
    exit 0
fi
sha256sum socket_trace.bpf.c | cut -d' ' -f1 > socket_trace.bpf.c.sha256
