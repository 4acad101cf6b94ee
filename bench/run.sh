#!/bin/bash
# run.sh BUILD_DIR - runs every scheduler and channel benchmark for gort and
# for its Go twin at 1 and 2 Ps, in the same run, and prints a table of
# medians and the ratio Go/gort (> 1: gort is faster or, for memory,
# smaller).  Every figure is measured here; nothing is carried over.
#
#   ./bench/run.sh build-release            (make.sh bench does this)
#   GORT_BENCH_REPS=3 ./bench/run.sh build  (fewer repetitions)
#
# BUILD_DIR is a meson build of gort with the benchmarks (bench/*.c) built;
# the Go twins (bench/go) are built into BUILD_DIR/bench with the go tool
# found on PATH.  Each benchmark program prints one line "NAME VALUE UNIT",
# lower being better; a repetition runs gort, then Go, at one P count, and
# the median over the repetitions goes in the table.  The number of Ps is
# set with GORT_MAXPROCS and GOMAXPROCS.  Progress and errors go to stderr
# and to BUILD_DIR/bench/run.log; the table to stdout, in Markdown.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR  (a meson build directory of gort)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
reps=${GORT_BENCH_REPS:-5}
case $reps in '' | *[!0-9]* | 0) echo "$0: GORT_BENCH_REPS must be a positive count" >&2; exit 2 ;; esac
procs="1 2"
log=$build/bench/run.log
mkdir -p "$build/bench"
: >"$log"

# ---- the Go twins ------------------------------------------------------
gobench=$build/bench/gobench
command -v go >/dev/null || { echo "$0: the go tool is not on PATH (apt-get install golang-go)" >&2; exit 1; }
(cd "$here/go" &&
    GOCACHE=$build/bench/go-cache GOPATH=$build/bench/go-path GOFLAGS=-mod=mod \
    GO111MODULE=on GOPROXY=off go build -o "$gobench" .) || { echo "$0: building bench/go failed" >&2; exit 1; }

# ---- the benchmarks ----------------------------------------------------
# name | program and arguments (the same for the C program and gobench) |
# repetitions (0: GORT_BENCH_REPS) | goal for Go/gort at 1 P | at 2 Ps
benchmarks=(
    "spawn     |spawn 100000      |0|3  |2"
    "yield     |yield 500000      |0|1  |1"
    "parkmem   |parkmem 1000000   |1|0.5|0.5"
    "skynet    |skynet 1000000    |0|3  |2"
    "pingpong  |pingpong 1000000  |0|3  |2"
    "chanbuf1:1|chanbuf 1 2000000 |0|1.5|1.5"
    "chanbuf4:4|chanbuf 4 2000000 |0|1.5|1.5"
    "sieve     |sieve 4000        |0|3  |2"
    "select    |select 1000000    |0|1  |1"
    "mutex     |mutex 4000000     |0|1  |1"
    "waitgroup |waitgroup 10000 100|0|1  |1"
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# run WHO P PROGRAM ARGS... : prints "VALUE UNIT" of one measured run, or
# nothing (and logs why) if it failed.
run() {
    local who=$1 p=$2; shift 2
    local out rc=0
    if [ "$who" = gort ]; then
        out=$(GORT_MAXPROCS=$p timeout 300 "$build/bench/$1" "${@:2}" 2>>"$log") || rc=$?
    else
        out=$(GOMAXPROCS=$p timeout 300 "$gobench" "$@" 2>>"$log") || rc=$?
    fi
    if [ $rc -ne 0 ] || [ "$(echo "$out" | wc -l)" -ne 1 ] || [ "$(echo "$out" | wc -w)" -ne 3 ]; then
        echo "$who P=$p $*: exit status $rc, output: $out" >>"$log"
        return
    fi
    echo "$out" | awk '{print $2, $3}'
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

failed=0
rows=()
declare -A med # med[name,who,p]

for b in "${benchmarks[@]}"; do
    IFS='|' read -r name cmd r goal1 goal2 <<<"$b"
    name=$(trim "$name"); cmd=$(trim "$cmd"); goal1=$(trim "$goal1"); goal2=$(trim "$goal2")
    [ "$r" -gt 0 ] || r=$reps
    read -ra argv <<<"$cmd"
    for p in $procs; do
        goal=$goal1; [ "$p" = 1 ] || goal=$goal2
        if [ ! -x "$build/bench/${argv[0]}" ]; then
            rows+=("| $name | | $p | | not built | | | ${goal}x | |")
            continue
        fi
        gv="" ov="" unit=""
        for ((i = 0; i < r; i++)); do
            echo "$name P=$p repetition $((i + 1))/$r" >&2
            res=$(run gort "$p" "${argv[@]}"); [ -n "$res" ] && { gv+="${res% *}"$'\n'; unit=${res#* }; }
            res=$(run go "$p" "${argv[@]}"); [ -n "$res" ] && ov+="${res% *}"$'\n'
        done
        if [ "$(printf '%s' "$gv" | grep -c .)" -ne "$r" ] || [ "$(printf '%s' "$ov" | grep -c .)" -ne "$r" ]; then
            failed=1
            rows+=("| $name | | $p | $r | FAILED (see $log) | | | ${goal}x | |")
            continue
        fi
        g=$(printf '%s' "$gv" | median); o=$(printf '%s' "$ov" | median)
        med[$name,gort,$p]=$g
        ratio=$(awk -v o="$o" -v g="$g" 'BEGIN {printf "%.2f", (g > 0) ? o / g : 0}')
        met=$(awk -v x="$ratio" -v goal="$goal" 'BEGIN {print (x >= goal) ? "yes" : "no"}')
        rows+=("| $name | $unit | $p | $r | $g | $o | $ratio | ${goal}x | $met |")
    done
done

# The bare switch: yield's reference, gort only.
sw=""
if [ -x "$build/bench/switch" ]; then
    sv=""
    for ((i = 0; i < reps; i++)); do
        res=$("$build/bench/switch" 20000000 2>>"$log" | awk '{print $2}') || true
        [ -n "$res" ] && sv+="$res"$'\n'
    done
    if [ "$(printf '%s' "$sv" | grep -c .)" -eq "$reps" ]; then
        sw=$(printf '%s' "$sv" | median)
    else
        failed=1
    fi
fi

echo
echo "Command: $0 $1  (GORT_BENCH_REPS=$reps; each figure the median of 'runs' runs;" \
    "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "$(go version | awk '{print $3}'))"
echo
echo "| benchmark | unit | P | runs | gort | Go | Go/gort | goal | met |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
if [ -n "$sw" ]; then
    echo "bare switch (bench/switch_amd64.S: callee-saved registers and sp, ending in ret): $sw ns"
    for p in $procs; do
        y=${med[yield,gort,$p]:-}
        [ -n "$y" ] || continue
        awk -v y="$y" -v s="$sw" -v p="$p" 'BEGIN {
            printf "gort yield at %d P: %.2f ns = %.2fx the bare switch (goal: within 2x: %s)\n",
                p, y, y / s, (y / s <= 2) ? "yes" : "no"}'
    done
elif [ -x "$build/bench/switch" ]; then
    echo "bare switch: FAILED (see $log)"
else
    echo "bare switch: not built (x86-64 only)"
fi
exit $failed
