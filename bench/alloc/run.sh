#!/bin/sh
# bench/alloc/run.sh BUILD_DIR [RUNS] - the allocator comparison.
#
# Runs each benchmark (bench/alloc/*.c, built in BUILD_DIR/bench/alloc)
# under glibc's malloc, jemalloc, tcmalloc_minimal and mimalloc (Debian's,
# via LD_PRELOAD) and gort (BUILD_DIR/mem/preload/libgort-malloc.so), all
# in this one run, RUNS times each (default 3), interleaved, and prints the
# median ns/op and the largest peak RSS per allocator, then gort's ratio to
# the best of the others (below 1.00: gort is faster).
#
# Installs the three Debian packages with apt-get when they are missing
# (as root).  Set ALLOC_OPS_<bench>=N to change a benchmark's operations.
set -eu
build=${1:?usage: bench/alloc/run.sh BUILD_DIR [RUNS]}
runs=${2:-3}
dir=$build/bench/alloc
gortlib=$(cd "$build" && pwd)/mem/preload/libgort-malloc.so
for f in "$dir/alloc_st" "$gortlib"; do
    [ -e "$f" ] || { echo "run.sh: $f missing; build $build first" >&2; exit 1; }
done

need=""
for pkg in libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need="$need $pkg"
done
if [ -n "$need" ]; then
    echo "run.sh: installing$need" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
solib() { # solib PACKAGE PATTERN: the shared library PACKAGE installs
    dpkg -L "$1" | grep -E "$2" | head -1
}
jemalloc=$(solib libjemalloc2 '/libjemalloc\.so\.[0-9]+$')
tcmalloc=$(solib libtcmalloc-minimal4 '/libtcmalloc_minimal\.so\.[0-9]+$')
mimalloc=$(solib libmimalloc2.0 '/libmimalloc\.so\.[0-9.]+$')

allocs="glibc jemalloc tcmalloc mimalloc gort"
preload_of() {
    case $1 in
    glibc) echo "" ;;
    jemalloc) echo "$jemalloc" ;;
    tcmalloc) echo "$tcmalloc" ;;
    mimalloc) echo "$mimalloc" ;;
    gort) echo "$gortlib" ;;
    esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-8s %-9s %10s %12s\n' bench alloc "ns/op" "peak RSS kB"
for b in st xthread larson; do
    eval "ops=\${ALLOC_OPS_$b:-}"
    for r in $(seq "$runs"); do
        for a in $allocs; do
            LD_PRELOAD=$(preload_of $a) "$dir/alloc_$b" $ops >>"$tmp/$b.$a"
        done
    done
    for a in $allocs; do
        # lines: "NAME ns/op X maxrss_kb Y"; median X, max Y
        med=$(awk '{print $3}' "$tmp/$b.$a" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        rss=$(awk '{print $5}' "$tmp/$b.$a" | sort -g | tail -1)
        echo "$b $a $med $rss" >>"$tmp/table"
        printf '%-8s %-9s %10s %12s\n' "$b" "$a" "$med" "$rss"
    done
done
echo
printf '%-8s %28s %28s\n' bench "gort / best other (ns/op)" "gort / mimalloc (peak RSS)"
for b in st xthread larson; do
    awk -v b="$b" '$1 == b {
        if ($2 == "gort") { g = $3; grss = $4 }
        else { if (best == "" || $3 < best) { best = $3; who = $2 } }
        if ($2 == "mimalloc") mrss = $4
    } END { printf "%-8s %20.2f (%-8s) %27.2f\n", b, g / best, who, grss / mrss }' "$tmp/table"
done
