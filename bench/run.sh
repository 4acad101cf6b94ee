#!/bin/bash
# run.sh BUILD_DIR - runs every scheduler, channel and network benchmark
# for gort and for its Go twin at 1 and 2 Ps, in the same run, and prints
# a table of medians and their ratio, oriented so that > 1 means gort is
# better: Go/gort for a cost (time, latency, memory), gort/Go for a rate
# (a unit ending in "/s").  Every figure is measured here; nothing is
# carried over.
#
#   ./bench/run.sh build-release            (make.sh bench does this)
#   GORT_BENCH_REPS=3 ./bench/run.sh build  (fewer repetitions)
#   GORT_BENCH_ONLY=echo ./bench/run.sh build  (the benchmarks whose name
#                                               starts with echo)
#
# BUILD_DIR is a meson build of gort with the benchmarks (bench/*.c) built;
# the Go twins (bench/go) are built into BUILD_DIR/bench with the go tool
# found on PATH.  Each benchmark program prints a line "NAME VALUE UNIT" per
# quantity it measures (bench/bench.h): most print one, echo prints its
# requests/s and then its p99 latency, each a row of the table; the goal
# applies to the first.  A repetition runs gort, then Go, at one P count,
# and the median over the repetitions goes in the table.  The number of Ps is
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
# repetitions (0: GORT_BENCH_REPS) | goal for the ratio at 1 P | at 2 Ps
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
    # TCP echo over loopback, CONNS SIZE SECONDS: time-bounded (2 s after
    # 0.3 s of warm-up), so one run per point keeps the part to ~1 minute.
    "echo 1c 64B     |echo 1 64 2      |1|1  |1"
    "echo 64c 64B    |echo 64 64 2     |1|1  |1"
    "echo 1000c 64B  |echo 1000 64 2   |1|1  |1"
    "echo 1c 4KiB    |echo 1 4096 2    |1|1  |1"
    "echo 64c 4KiB   |echo 64 4096 2   |1|1  |1"
    "echo 1000c 4KiB |echo 1000 4096 2 |1|1  |1"
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# run WHO P PROGRAM ARGS... : prints the "NAME VALUE UNIT" lines of one
# measured run, or nothing (and logs why) if it failed.
run() {
    local who=$1 p=$2; shift 2
    local out rc=0
    if [ "$who" = gort ]; then
        out=$(GORT_MAXPROCS=$p timeout 300 "$build/bench/$1" "${@:2}" 2>>"$log") || rc=$?
    else
        out=$(GOMAXPROCS=$p timeout 300 "$gobench" "$@" 2>>"$log") || rc=$?
    fi
    if [ $rc -ne 0 ] || [ -z "$out" ] || echo "$out" | awk 'NF != 3 {bad = 1} END {exit !bad}'; then
        echo "$who P=$p $*: exit status $rc, output: $out" >>"$log"
        return
    fi
    echo "$out"
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

failed=0
rows=()
declare -A med # med[name,who,p]

for b in "${benchmarks[@]}"; do
    IFS='|' read -r name cmd r goal1 goal2 <<<"$b"
    name=$(trim "$name"); cmd=$(trim "$cmd"); goal1=$(trim "$goal1"); goal2=$(trim "$goal2")
    [[ $name == "${GORT_BENCH_ONLY:-}"* ]] || continue
    [ "$r" -gt 0 ] || r=$reps
    read -ra argv <<<"$cmd"
    for p in $procs; do
        goal=$goal1; [ "$p" = 1 ] || goal=$goal2
        if [ ! -x "$build/bench/${argv[0]}" ]; then
            rows+=("| $name | | $p | | not built | | | ${goal}x | |")
            continue
        fi
        metrics=() # the quantities printed, in order
        unset vals unit; declare -A vals=() unit=() # vals[WHO,METRIC]: one value a line
        for ((i = 0; i < r; i++)); do
            echo "$name P=$p repetition $((i + 1))/$r" >&2
            for who in gort go; do
                while read -r m v u; do
                    [ -n "$m" ] || continue
                    [ -n "${unit[$m]:-}" ] || { metrics+=("$m"); unit[$m]=$u; }
                    vals[$who,$m]+="$v"$'\n'
                done <<<"$(run $who "$p" "${argv[@]}")"
            done
        done
        if [ ${#metrics[@]} -eq 0 ]; then
            failed=1
            rows+=("| $name | | $p | $r | FAILED (see $log) | | | ${goal}x | |")
            continue
        fi
        for m in "${metrics[@]}"; do
            label=$name mgoal="" met=""
            if [ "$m" = "${metrics[0]}" ]; then mgoal=${goal}x; else label="$name ${m#"${metrics[0]}"-}"; fi
            gv=${vals[gort,$m]:-} ov=${vals[go,$m]:-}
            if [ "$(printf '%s' "$gv" | grep -c .)" -ne "$r" ] || [ "$(printf '%s' "$ov" | grep -c .)" -ne "$r" ]; then
                failed=1
                rows+=("| $label | | $p | $r | FAILED (see $log) | | | $mgoal | |")
                continue
            fi
            g=$(printf '%s' "$gv" | median); o=$(printf '%s' "$ov" | median)
            med[$label,gort,$p]=$g
            ratio=$(awk -v o="$o" -v g="$g" -v rate="$([[ ${unit[$m]} == */s ]] && echo 1 || echo 0)" \
                'BEGIN {a = rate ? g : o; b = rate ? o : g; printf "%.2f", (b > 0) ? a / b : 0}')
            [ -z "$mgoal" ] || met=$(awk -v x="$ratio" -v goal="$goal" 'BEGIN {print (x >= goal) ? "yes" : "no"}')
            rows+=("| $label | ${unit[$m]} | $p | $r | $g | $o | $ratio | $mgoal | $met |")
        done
    done
done

# The bare switch: yield's reference, gort only.
sw="" want_switch=0
[[ yield == "${GORT_BENCH_ONLY:-}"* ]] && want_switch=1
if [ $want_switch = 1 ] && [ -x "$build/bench/switch" ]; then
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
echo "Command: ${GORT_BENCH_ONLY:+GORT_BENCH_ONLY=$GORT_BENCH_ONLY }$0 $1  (GORT_BENCH_REPS=$reps; each figure the median of 'runs' runs;" \
    "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "$(go version | awk '{print $3}'))"
echo
echo "| benchmark | unit | P | runs | gort | Go | ratio (>1: gort better) | goal | met |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
if [ $want_switch = 0 ]; then
    : # the bare switch was not asked for
elif [ -n "$sw" ]; then
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
