#!/bin/sh
# bench/alloc/run.sh BUILD_DIR [RUNS] - the allocator comparison.
#
# Runs each benchmark (bench/alloc/*.c, built in BUILD_DIR/bench/alloc)
# under glibc's malloc, jemalloc, tcmalloc_minimal and mimalloc (Debian's,
# via LD_PRELOAD) and gort (BUILD_DIR/mem/preload/libgort-malloc.so), all
# in this one run, RUNS times each (default 3), interleaved, and prints the
# median CPU ns/op (user + system time of all threads, per operation: what
# the allocator costs, robust on a machine shared with other work), the
# median wall ns/op and the largest peak RSS per allocator, then gort's
# ratios to the best of the others (below 1.00: gort is faster).
#
# Then the goroutine benchmark: migrate (gort goroutines that allocate,
# yield - possibly resuming on another P - and free) against its Go twin
# migrate.go, at GOMAXPROCS/GORT_MAXPROCS 1 and 2.
#
# Installs the three Debian packages with apt-get when they are missing
# (as root).  Set ALLOC_OPS_<bench>=N to change a benchmark's operations.
#
# ALLOC_PAIR=OTHER (glibc, jemalloc, tcmalloc or mimalloc) instead runs
# only the single-thread benchmark (ALLOC_PAIR_BENCH=xthread or larson for
# another), RUNS times gort then OTHER back to back, and prints the median
# and quartiles of the per-pair ratios gort/OTHER: on a machine shared with
# other work, a pair sees the same load, so small differences show.
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

if [ -n "${ALLOC_PAIR:-}" ]; then
    case $ALLOC_PAIR in
    glibc | jemalloc | tcmalloc | mimalloc) ;;
    *) echo "run.sh: ALLOC_PAIR is glibc, jemalloc, tcmalloc or mimalloc, not $ALLOC_PAIR" >&2; exit 2 ;;
    esac
    b=${ALLOC_PAIR_BENCH:-st}
    eval "ops=\${ALLOC_OPS_$b:-}"
    other=$(preload_of "$ALLOC_PAIR")
    for r in $(seq "$runs"); do
        g=$(LD_PRELOAD=$gortlib "$dir/alloc_$b" $ops | awk '{print $3}')
        o=$(LD_PRELOAD=$other "$dir/alloc_$b" $ops | awk '{print $3}')
        echo "$g $o" | awk '{print $1 / $2}' >>"$tmp/pairs"
    done
    sort -g "$tmp/pairs" | awk -v b="$b" -v o="$ALLOC_PAIR" '{v[NR] = $1} END {
        printf "%s: gort/%s per pair (cpu ns/op), %d pairs: median %.3f, quartiles %.3f .. %.3f\n",
            b, o, NR, v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 1) / 4)] }'
    exit 0
fi
printf '%-8s %-9s %12s %12s %12s\n' bench alloc "cpu ns/op" "wall ns/op" "peak RSS kB"
for b in st xthread larson; do
    eval "ops=\${ALLOC_OPS_$b:-}"
    for r in $(seq "$runs"); do
        for a in $allocs; do
            LD_PRELOAD=$(preload_of $a) "$dir/alloc_$b" $ops >>"$tmp/$b.$a"
        done
    done
    for a in $allocs; do
        # lines: "NAME cpu_ns/op C wall_ns/op W maxrss_kb R"
        cpu=$(awk '{print $3}' "$tmp/$b.$a" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        wall=$(awk '{print $5}' "$tmp/$b.$a" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        rss=$(awk '{print $7}' "$tmp/$b.$a" | sort -g | tail -1)
        echo "$b $a $cpu $wall $rss" >>"$tmp/table"
        printf '%-8s %-9s %12s %12s %12s\n' "$b" "$a" "$cpu" "$wall" "$rss"
    done
done
echo
printf '%-8s %-24s %-24s %s\n' bench "gort/best (cpu ns/op)" "gort/best (wall ns/op)" "gort/mimalloc (RSS)"
for b in st xthread larson; do
    awk -v b="$b" '$1 == b {
        if ($2 == "gort") { gc = $3; gw = $4; grss = $5 }
        else {
            if (bc == "" || $3 < bc) { bc = $3; wc = $2 }
            if (bw == "" || $4 < bw) { bw = $4; ww = $2 }
        }
        if ($2 == "mimalloc") mrss = $5
    } END { printf "%-8s %5.2f (%-9s)        %5.2f (%-9s)        %5.2f\n", b, gc / bc, wc, gw / bw, ww, grss / mrss }' "$tmp/table"
done

echo
go build -o "$tmp/migrate-go" "$(dirname "$0")/migrate.go"
printf '%-12s %-9s %12s %12s %12s\n' bench runtime "cpu ns/op" "wall ns/op" "peak RSS kB"
for procs in 1 2; do
    for r in $(seq "$runs"); do
        GORT_MAXPROCS=$procs "$dir/alloc_migrate" ${ALLOC_OPS_migrate:-} 2>"$tmp/mig.$procs.remote" >>"$tmp/mig.$procs.gort"
        GOMAXPROCS=$procs "$tmp/migrate-go" ${ALLOC_OPS_migrate:-} >>"$tmp/mig.$procs.go"
    done
    for rt in gort go; do
        cpu=$(awk '{print $3}' "$tmp/mig.$procs.$rt" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        wall=$(awk '{print $5}' "$tmp/mig.$procs.$rt" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        rss=$(awk '{print $7}' "$tmp/mig.$procs.$rt" | sort -g | tail -1)
        eval "cpu_$rt=$cpu wall_$rt=$wall"
        printf '%-12s %-9s %12s %12s %12s\n' "migrate/$procs" "$rt" "$cpu" "$wall" "$rss"
    done
    awk -v a="$cpu_gort" -v b="$cpu_go" -v c="$wall_gort" -v d="$wall_go" -v p="$procs" \
        'BEGIN { printf "%-12s gort/go: cpu %.2f, wall %.2f\n", "migrate/" p, a / b, c / d }'
    sed 's/^/             /' "$tmp/mig.$procs.remote" # how many batches did migrate
done
