#!/bin/sh
# make.sh - set up, build and run gort.  The README's quick start.
#
#   ./make.sh demo    install what is missing, build, run samples/hello
#   ./make.sh test    install what is missing, build, run the whole suite:
#                     the default build, then address+undefined and thread
#                     sanitizer builds
#   ./make.sh bench   build optimised and run the benchmark runner
#
# Runs on Debian 12 as root (apt-get installs what is missing); elsewhere,
# install the packages listed in DEBS yourself.
set -eu
cd "$(dirname "$0")"

DEBS="gcc libc6-dev meson ninja-build pkg-config libuv1-dev libcriterion-dev sqlite3 python3"
BENCH_DEBS="golang-go libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev hyperfine"

need() {
    missing=""
    for d in "$@"; do
        dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $d"
    done
    if [ -n "$missing" ]; then
        echo "make.sh: installing$missing"
        if [ "$(id -u)" != 0 ]; then
            echo "make.sh: need root to apt-get install$missing" >&2
            exit 1
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
}

setup() { # setup DIR [meson options...]
    dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
}

suite() { # suite DIR NAME [meson options...]
    dir=$1; name=$2; shift 2
    echo "== $name build ($dir)"
    setup "$dir" "$@"
    meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier 3
}

cmd=${1:-demo}
case "$cmd" in
demo)
    need $DEBS
    setup build
    ./build/samples/hello
    ;;
test)
    need $DEBS
    suite build default
    suite build-asan address+undefined -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
    suite build-tsan thread -Db_sanitize=thread -Db_lundef=false -Dbench=false
    ;;
bench)
    need $DEBS $BENCH_DEBS
    setup build-release --buildtype=release -Dtests=false
    ./bench/run.sh build-release
    ;;
*)
    echo "usage: $0 demo|test|bench" >&2
    exit 2
    ;;
esac
