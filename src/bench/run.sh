#!/usr/bin/env bash
# The benchmark, in one go: the same mock upstream reached directly, through nginx proxy_pass (the floor),
# through Switchboard (usage recording on), through Spring Cloud Gateway's plain route (src/bench/scg, the
# WebFlux reference), through a bare Reactor Netty proxy (BareReactorNettyProxy: the stack Switchboard and
# SCG share, with nothing on it) and through the same bare proxy recording each answer in the usage ledger,
# measured with wrk and a first-event probe; Switchboard also with a Responses API stream it translates to
# the mock's chat completions (first event); then one table; then 2,000
# streams held open at once through Switchboard while its RSS is sampled. Switchboard is measured again with
# a key whose rate limits and budget are all on (bench-limited, never reached): in memory, and, when Redis
# answers on REDIS_URL (default redis://127.0.0.1:6379), through Redis on a second gateway.
#
#   src/bench/run.sh            # the comparison (DURATION=10s per load run by default; every gateway runs as the
#                               # container images install it, unpacked with an AOT cache: GATEWAY_AOT=0 runs the jar)
#   src/bench/run.sh jmh        # the JMH benchmarks of the hot-path pieces and of the ledger's store, with -prof gc
#                               # (the PostgreSQL write paths too when SWITCHBOARD_BENCH_POSTGRES_URL names a database)
#   src/bench/run.sh dashboard  # every dashboard API call over HTTP with a million records in the ledger (SQLite,
#                               # or PostgreSQL when SWITCHBOARD_BENCH_POSTGRES_URL names a database)
#   src/bench/run.sh tracing    # the gateway with traces off and on, in turn, twice: what traces cost a request
#   src/bench/run.sh paired     # the targets' three ratios (throughput and p99 at 32 connections, p99 at one) from
#                               # Switchboard, the bare proxy, the bare proxy with the ledger and the bare proxy with
#                               # the features' work (FeatureFloor) in turn, ROUNDS times; FEATURES_MAIN=
#                               # dev.switchboard.api.FloorInGateway serves that floor from a JVM running Switchboard too
#   src/bench/run.sh ab         # two gateways, A_JVM_OPTIONS against B_JVM_OPTIONS (or the jar A_JAR against B_JAR),
#                               # in turn ROUNDS times: which is cheaper a request (STREAM_API=chat|responses|messages:
#                               # a short stream)
#   src/bench/run.sh streams    # only the held streams (HELD_STREAMS, default 10,000, each HOLD_SECONDS, default 30;
#                               # GATEWAY_JVM_OPTIONS adds flags after the container's, a larger -Xmx for instance;
#                               # HELD_UPSTREAM_HTTP=2 speaks HTTP/2 to the mock, one descriptor a stream in the gateway)
#
# Needs wrk and nginx (Debian packages: wrk, nginx-light), a JDK 21+ and Maven; run as root with tcpdump (Debian: tcpdump)
# it also times the one-connection runs' answers on the loopback. Everything it starts it stops.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; fi
export PATH="${JAVA_HOME:+$JAVA_HOME/bin:}$PATH"
duration="${DURATION:-10s}"
# a JVM measured cold measures its JIT compiler: on 2 shared cores C2 is still busy after 30 s of load
warmup="${WARMUP:-60s}"
# and at one connection before the one-connection run (measure says why)
warmup_one="${WARMUP_ONE:-15s}"

mvn -B -q -DskipTests package test-compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
[ "${1:-}" = jmh ] || [ "${1:-}" = dashboard ] || [ "${1:-}" = tracing ] || [ "${1:-}" = streams ] || [ "${1:-}" = paired ] || [ "${1:-}" = ab ] || mvn -B -q -f src/bench/scg/pom.xml -DskipTests package
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

if [ "${1:-}" = dashboard ]; then
  # the dashboard's API calls over HTTP with a million records in the ledger (PostgreSQL with SWITCHBOARD_BENCH_POSTGRES_URL)
  # with the container's JVM flags, as the gateway runs
  exec java $(grep -v '^#' docker/jvm.options | tr '\n' ' ') -cp "$cp" dev.switchboard.usage.DashboardApiAtScale
fi
if [ "${1:-}" = jmh ]; then
  stores=sqlite,h2
  [ -n "${SWITCHBOARD_BENCH_POSTGRES_URL:-}" ] && stores="$stores,postgres-copy,postgres-insert"
  exec java -cp "$cp" org.openjdk.jmh.Main 'HotPathBenchmark|LedgerStoreBenchmark|LedgerQueryBenchmark' -p store="$stores" -prof gc "${@:2}"
fi
command -v wrk >/dev/null || { echo "run.sh: wrk is missing (apt-get install wrk)"; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "run.sh: nginx is missing (apt-get install nginx-light)"; exit 1; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

work="$(mktemp -d /tmp/switchboard-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# the held streams take two descriptors each in the gateway (the client's and the upstream's), one in the mock and
# one in the client: raise the limit where this shell may; where its hard limit is lower, the streams are capped to it.
# HELD_UPSTREAM_HTTP=2 holds them over HTTP/2 to the mock (upstream mock-h2, http-version: 2), in the bare proxy too:
# the upstream side then takes a few shared connections, and a stream one descriptor in the gateway
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
hold_seconds="${HOLD_SECONDS:-30}"
held_upstream_http="${HELD_UPSTREAM_HTTP:-1.1}"
case "$held_upstream_http" in
  1.1) hold_upstream=mock; fds_a_stream=2;;
  2) hold_upstream=mock-h2; fds_a_stream=1;;
  *) echo "run.sh: HELD_UPSTREAM_HTTP is 1.1 or 2, not $held_upstream_http"; exit 1;;
esac
# the route of plain requests and short streams goes to the mock in HTTP/1.1 (the bare proxy's), but in run.sh streams,
# where they only warm the gateway up, over the held streams' upstream: code compiled for one version's classes is
# thrown away when the other's come
bench_upstream=mock
[ "${1:-}" = streams ] && bench_upstream=$hold_upstream
# the full run holds 2,000 streams (its other parts take long enough); run.sh streams, 10,000
wanted_streams="${HELD_STREAMS:-$( [ "${1:-}" = streams ] && echo 10000 || echo 2000 )}"
fd_room=$(( ($(ulimit -n) - 500) / fds_a_stream ))  # the gateway's own descriptors (jars, epoll, ledger) are a few hundred at most
held_streams=$(( wanted_streams < fd_room ? wanted_streams : fd_room ))
[ "$held_streams" = "$wanted_streams" ] || held_cap_note="held streams capped at ${held_streams} of ${wanted_streams}: this shell's descriptor limit is $(ulimit -n) (hard $(ulimit -Hn)), and a stream takes ${fds_a_stream} in the gateway$( [ "$fds_a_stream" = 2 ] && echo " (HELD_UPSTREAM_HTTP=2 takes one)")"
mock_port=18081; nginx_port=18082; gateway_port=18083; scg_port=18084; bare_port=18085; redis_gateway_port=18086; floor_port=18087; ab_port=18088; features_port=18089
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_hostport="${redis_url#redis://}"; redis_hostport="${redis_hostport%%/*}"
redis_cmd() {  # one inline command to Redis over bash's /dev/tcp; prints the reply
  exec 3<>"/dev/tcp/${redis_hostport%:*}/${redis_hostport#*:}" || return 1
  printf '%s\r\n' "$1" >&3
  timeout 2 cat <&3 | head -c 65536 || true
  exec 3<&-
}
java -Dbench.hold-seconds="$hold_seconds" -cp "$cp" dev.switchboard.bench.MockUpstream "$mock_port" > "$work/mock.log" 2>&1 &
mock_pid=$!
pids+=($mock_pid)

answers() {  # waits until a POST on the port is answered with 200
  local port=$1 code
  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer bench-key' \
      -d '{"model":"bench","messages":[]}' "http://127.0.0.1:$port/v1/chat/completions" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "run.sh: nothing answers on port $port"; cat "$work"/*.log; exit 1
}

to_ms() {  # wrk prints 250.12us, 1.20ms or 1.01s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
                          else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v }'
}
wrk_ms() {  # a wrk --latency output ($1) and a percentile ($2: 50%, 99%) -> milliseconds
  to_ms "$(awk -v pct="$2" '$1 == pct { print $2 }' "$1")"
}
cpu_us_a_request() {  # a proxy's clock ticks over a wrk run ($1) and that run's output ($2) -> its CPU µs a request, or -
  awk -v c="$1" -v hz="$hz" '/requests in/ { n = $1 } END { if (n > 0 && c > 0) printf "%.0f\n", c * 1e6 / hz / n; else print "-" }' "$2"
}
# Docker's daemon installs iptables NAT rules, and with them every loopback packet goes through connection
# tracking: on this project's machine the gateway then took twice the CPU a request. Say so beside the result.
if command -v nft >/dev/null && nft list tables 2>/dev/null | grep -q "table ip nat"; then
  netfilter_note="note: an iptables NAT table is loaded (Docker's daemon?): loopback traffic goes through connection tracking, so compare this run only with runs made the same way"
fi
# CPU time (user + system, all threads) of processes, in clock ticks; and of a JVM's JIT compiler threads alone
hz=$(getconf CLK_TCK)
ticks() {
  local t=0 p
  for p in "$@"; do t=$(( t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0) )); done
  echo "$t"
}
compiler_ticks() {
  local t=0 f
  for f in /proc/"$1"/task/*; do
    case "$(cat "$f/comm" 2>/dev/null)" in
      "C1 CompilerThre"*|"C2 CompilerThre"*) t=$(( t + $(awk '{ print $14 + $15 }' "$f/stat" 2>/dev/null || echo 0) ));;
    esac
  done
  echo "$t"
}
# $1 the name measure was given, $2 the proxy's pids -> "its ticks, its compiler threads' ticks" (the latter only for
# switchboard, 0 for the others), as measure reads them around each run
proxy_ticks() {
  # shellcheck disable=SC2086
  echo "$(ticks $2) $( [ "$1" = switchboard ] && compiler_ticks "$2" || echo 0)"
}
# the compiler's ticks ($1) as a share of the process's ($2), both differences over one run
compiler_share() {
  awk -v j="$1" -v c="$2" 'BEGIN { if (c > 0 && j >= 0) printf "%.0f%%", 100 * j / c; else print "-" }'
}
# the collections of a proxy started with -Xlog:gc:file=$work/<name>-gc.log: the log's line count, and a summary
# of the pauses between two counts, to set beside the latency percentiles of the same run
gc_lines() { [ -f "$work/$1-gc.log" ] && wc -l < "$work/$1-gc.log" || echo 0; }
gc_pauses() {
  awk -v from="$2" -v to="$3" 'NR > from && NR <= to && / Pause / { ms = $NF; sub("ms", "", ms); n++; sum += ms; if (ms > max) max = ms }
    END { printf "%d collections, %.0f ms paused in all, the longest %.1f ms", n, sum, max }' "$work/$1-gc.log"
}

# the gateway runs one event loop per processor (SwitchboardApplication) where Reactor Netty's default is at least
# four; the proxies it is compared with get as many, so that the comparison is of the same stack set up the same way
same_loops="-Dreactor.netty.ioWorkerCount=$(nproc)"

# a jar ($1) as the container images install it (docker/install-app.sh): unpacked, with the JVM's AOT cache made
# by starting it once as far as its Spring context, with the container's flags -> the JVM arguments that run it.
# Made once per jar and run. GATEWAY_AOT=0 runs the jar as built instead, without a cache.
deployed() {
  if [ "${GATEWAY_AOT:-1}" = 0 ]; then echo "-jar $1"; return; fi
  local dir
  dir="$work/deployed-$(cksum < "$1" | cut -d' ' -f1)"
  if [ ! -f "$dir/switchboard.aot" ]; then
    java -Djarmode=tools -jar "$1" extract --destination "$dir" --application-filename switchboard.jar > /dev/null
    mkdir -p "$dir/training"
    BENCH_MOCK_PORT=$mock_port BENCH_UPSTREAM=$bench_upstream BENCH_HOLD_UPSTREAM=$hold_upstream java @docker/jvm.options \
      -XX:AOTCacheOutput="$dir/switchboard.aot" -Xlog:aot=error -Dspring.context.exit=onRefresh -jar "$dir/switchboard.jar" \
      --server.port=0 --server.address=127.0.0.1 --switchboard.config=src/bench/bench.yaml \
      --switchboard.ledger.file="$dir/training/ledger.db" --switchboard.usage.record-log="$dir/training/usage-log" \
      --switchboard.usage.journal="$dir/training/journal.jsonl" > "$dir/training.log" 2>&1 \
      || { echo "run.sh: the AOT cache of $1 could not be made (see $dir/training.log)" >&2; exit 1; }
  fi
  echo "-XX:AOTCache=$dir/switchboard.aot -jar $dir/switchboard.jar"
}

# a gateway with the container's JVM flags and environment (docker/jvm.options, MALLOC_ARENA_MAX in the
# Dockerfiles), installed as the container images install it (deployed): $1 the folder of its ledger, journal,
# record log and log, $2 its port, $3 JVM flags after the container's (a later -Xmx wins), the rest more Spring
# arguments -> $started_pid. The jar is target/switchboard.jar, or $gateway_jar when the caller sets it (run.sh
# ab's A_JAR and B_JAR).
start_gateway() {
  local dir=$1 port=$2 jvm=$3 run
  shift 3
  mkdir -p "$dir"
  run=$(deployed "${gateway_jar:-target/switchboard.jar}")
  # shellcheck disable=SC2086
  MALLOC_ARENA_MAX=2 BENCH_MOCK_PORT=$mock_port BENCH_UPSTREAM=$bench_upstream BENCH_HOLD_UPSTREAM=$hold_upstream java @docker/jvm.options $jvm $run \
    --server.port="$port" --server.address=127.0.0.1 --switchboard.config=src/bench/bench.yaml \
    --switchboard.ledger.file="$dir/ledger.db" --switchboard.usage.record-log="$dir/usage-log" \
    --switchboard.usage.journal="$dir/journal.jsonl" "$@" > "$dir/gateway.log" 2>&1 &
  started_pid=$!
  pids+=($started_pid)
}

# the bare Reactor Netty proxy with the container's JVM flags and a GC log: $1 its name (log, GC log), $2 its port,
# the rest its arguments after the ports (--ledger DIR records each answer in the ledger) -> $started_pid. The class
# is BareReactorNettyProxy, or $bare_main when the caller sets it (the features' floor, which takes the same ports)
start_bare() {
  local name=$1 port=$2
  shift 2
  MALLOC_ARENA_MAX=2 java @docker/jvm.options $same_loops -Xlog:gc:file="$work/$name-gc.log" -cp "$cp" "${bare_main:-dev.switchboard.bench.BareReactorNettyProxy}" \
    "$port" "$mock_port" "$@" > "$work/$name.log" 2>&1 &
  started_pid=$!
  pids+=($started_pid)
}

# what a gateway logged at WARN or above ($1: its log; a clean run logs none): the count, then the commonest
log_warnings() {
  echo "gateway log lines at WARN or ERROR: $(grep -c -E '^[0-9T:.+-]+Z? +(WARN|ERROR) ' "$1" || true)"
  grep -E '^[0-9T:.+-]+Z? +(WARN|ERROR) ' "$1" | sed -E 's/^[^ ]+ +//; s/\[[^]]*\] //g' | sort | uniq -c | sort -rn | head -5 || true
}

# tcpdump on the loopback needs root (or CAP_NET_RAW): without it the wire's percentiles are left out, and so
# they are with WIRE_TIMES=0 (the capture takes a little CPU beside the one-connection runs) and in run.sh
# tracing, which does not print them
wire=""
if [ "${WIRE_TIMES:-1}" != 0 ] && [ "${1:-}" != tracing ] && command -v tcpdump >/dev/null && [ "$(id -u)" = 0 ]; then wire=1; fi
# name port warm-up [proxy pids] -> "rps p50@32 p99@32 p50@1 p99@1 first-event-p50 cpu-us-per-request compiler-%"
# The proxy's own CPU per request, over the 32-connection run, is steadier than req/s on cores shared with wrk
# and the mock; the compiler's share of it says whether the JIT was still at work.
measure() {
  local url="http://127.0.0.1:$2/v1/chat/completions" proxy="${4:-}"
  wrk -t2 -c32 -d"$3" -s src/bench/wrk/chat.lua "$url" > "$work/$1-warm.txt" 2>&1 || true
  local cpu0 jit0 cpu1 jit1
  read -r cpu0 jit0 <<< "$(proxy_ticks "$1" "$proxy")"
  local gc0 gc1 gc2
  gc0=$(gc_lines "$1")
  wrk -t2 -c32 -d"$duration" --latency -s src/bench/wrk/chat.lua "$url" > "$work/$1-32.txt" 2>&1 || true
  read -r cpu1 jit1 <<< "$(proxy_ticks "$1" "$proxy")"
  gc1=$(gc_lines "$1")
  # one connection takes branches that 32 never did, and C2 recompiles what they deoptimised for a while, in
  # slices of milliseconds on the cores the requests need: warm that up too (docs/benchmark.md)
  wrk -t1 -c1 -d"$warmup_one" -s src/bench/wrk/chat.lua "$url" > "$work/$1-warm-1.txt" 2>&1 || true
  local gc1w cpu2 jit2 cpu3 jit3
  gc1w=$(gc_lines "$1")
  read -r cpu2 jit2 <<< "$(proxy_ticks "$1" "$proxy")"
  # the one-connection run's packets on the loopback, where tcpdump may capture them: its answers' own p99 beside
  # wrk's, which is corrected for coordinated omission (WireLatency says what that makes of a stall)
  local capture=""
  if [ -n "$wire" ]; then
    # bounded in time: run.sh's cleanup does not know this subshell's processes
    timeout 300 tcpdump -i lo -nn -q -B 65536 -w "$work/$1-1.pcap" "tcp port $2 and (tcp[tcpflags] & tcp-push != 0)" 2> "$work/$1-tcpdump.log" &
    capture=$!
    sleep 1  # tcpdump listening before the first request
  fi
  wrk -t1 -c1 -d"$duration" --latency -s src/bench/wrk/chat.lua "$url" > "$work/$1-1.txt" 2>&1 || true
  read -r cpu3 jit3 <<< "$(proxy_ticks "$1" "$proxy")"
  compiler_share $(( ${jit3:-0} - ${jit2:-0} )) $(( ${cpu3:-0} - ${cpu2:-0} )) > "$work/$1-jit-1.txt"
  if [ -n "$capture" ]; then
    sleep 0.2; kill -INT "$capture" 2>/dev/null || true; wait "$capture" 2>/dev/null || true
    tcpdump -r "$work/$1-1.pcap" -nn -tt -q 2>/dev/null | java -cp "$cp" dev.switchboard.bench.WireLatency "$2" > "$work/$1-wire.txt" || true
    rm -f "$work/$1-1.pcap"
  fi
  gc2=$(gc_lines "$1")
  [ ! -f "$work/$1-gc.log" ] || echo "at 32 connections $(gc_pauses "$1" "$gc0" "$gc1"); at 1 connection $(gc_pauses "$1" "$gc1w" "$gc2")" > "$work/$1-gc-pauses.txt"
  local rps p50 p99 p50one p99one first
  rps=$(awk '/Requests\/sec/ { print $2 }' "$work/$1-32.txt")
  p50=$(wrk_ms "$work/$1-32.txt" 50%)
  p99=$(wrk_ms "$work/$1-32.txt" 99%)
  p50one=$(wrk_ms "$work/$1-1.txt" 50%)
  p99one=$(wrk_ms "$work/$1-1.txt" 99%)
  first=$(java -cp "$cp" dev.switchboard.bench.FirstEventProbe "$2" /v1/chat/completions 300 | sed -E 's/p50=([0-9.]+).*/\1/')
  local cpu jit
  cpu=$(cpu_us_a_request $(( ${cpu1:-0} - ${cpu0:-0} )) "$work/$1-32.txt")
  jit=$(compiler_share $(( ${jit1:-0} - ${jit0:-0} )) $(( ${cpu1:-0} - ${cpu0:-0} )))
  echo "$rps $p50 $p99 $p50one $p99one $first $cpu $jit"
}

# waits (up to a minute and a half) for HeldStreams to be warm, when its measured streams start
held_warmed() {
  local i
  for i in $(seq 1 900); do [ -f "$work/held-warmed" ] && return 0; sleep 0.1; done
}

# held_streams streams open at once through the gateway ($1: its pid), each held hold_seconds by the mock, its RSS
# sampled meanwhile -> $held (HeldStreams' lines) and $held_peak (MB)
hold_streams() {
  local pid=$1 sampler
  rm -f "$work/held-warmed"
  ( peak=0; while kill -0 "$pid" 2>/dev/null; do
      r=$(ps -o rss= -p "$pid" || echo 0); r=${r// /}
      if [ "${r:-0}" -gt "$peak" ]; then peak=$r; echo $(( peak / 1024 )) > "$work/held-peak"; fi
      sleep 0.5
    done ) &
  sampler=$!
  pids+=($sampler)
  # the proxy's CPU while every stream is open and only their events flow (the mock sends one a second on
  # each): 8 s from 3 s after the last stream was sent, before the heap probe's full collection
  local window=8 settle=$(( held_streams / 1000 + 3 ))
  rm -f "$work/held-event-cpu" "$work/held-ticks"
  if [ $(( settle + window + 2 )) -lt "$hold_seconds" ]; then
    ( held_warmed; sleep "$settle"; t0=$(ticks "$pid"); sleep "$window"; t1=$(ticks "$pid")
      awk -v t=$(( t1 - t0 )) -v hz="$hz" -v n=$(( held_streams * window )) 'BEGIN { printf "%.0f", t * 1e6 / hz / n }' > "$work/held-event-cpu" ) &
    pids+=($!)
  fi
  ( held_warmed; echo "$(ticks "$pid") $(ticks "$mock_pid")" > "$work/held-ticks" ) &
  pids+=($!)
  # the client's own warm-up goes straight to the mock (-Dbench.warm-port): a cold client and a mock that never
  # accepted many connections would count in the first streams' times whatever proxy stood between them
  held=$(timeout $(( hold_seconds + 210 + held_streams / 1000 )) java -Dbench.warm-port="$mock_port" -Dbench.warmed-file="$work/held-warmed" -cp "$cp" dev.switchboard.bench.HeldStreams "$gateway_port" "$held_streams" "$hold_seconds" \
    2> "$work/held.log" || true)
  kill "$sampler" 2>/dev/null || true
  local gateway_ticks mock_ticks
  read -r gateway_ticks mock_ticks < "$work/held-ticks" 2>/dev/null || { gateway_ticks=$(ticks "$pid"); mock_ticks=$(ticks "$mock_pid"); }
  held="$held
cpu_s gateway=$(awk -v t=$(( $(ticks "$pid") - gateway_ticks )) -v hz="$hz" 'BEGIN { printf "%.1f", t / hz }') mock=$(awk -v t=$(( $(ticks "$mock_pid") - mock_ticks )) -v hz="$hz" 'BEGIN { printf "%.1f", t / hz }')
proxy CPU an event while all are open: $(cat "$work/held-event-cpu" 2>/dev/null || echo "-") us"
  held_peak=$(cat "$work/held-peak" 2>/dev/null || echo "?")
}

# the live heap of a JVM in MB, after the full collection that jcmd's class histogram makes
live_heap_mb() {
  jcmd "$1" GC.class_histogram 2>/dev/null | awk '/^Total/ { printf "%.0f", $3 / 1048576 }'
}

# hold_streams with the live heap taken once every stream is open ($1: the JVM's pid) -> $held_live_mb
hold_streams_measuring_heap() {
  rm -f "$work/held-warmed"
  ( held_warmed; sleep $(( held_streams / 1000 + hold_seconds / 2 )); live_heap_mb "$1" > "$work/held-live" ) &
  local probe=$!
  pids+=($probe)
  hold_streams "$1"
  wait "$probe" 2>/dev/null || true
  held_live_mb=$(cat "$work/held-live" 2>/dev/null || echo "?")
}

# src/bench/run.sh streams: only the held streams, through a gateway with the container's JVM flags, warmed up by
# WARMUP (default here 20 s) of plain requests and as long of short streams first; then the same streams
# through the bare Reactor Netty proxy with the same flags and warm-up, the stack's own floor. The live heap is
# taken before the streams and once they are all open (a full collection each, the second after every first
# event has come): their difference over the streams is what one open stream keeps.
if [ "${1:-}" = streams ]; then
  live_heap_line() {  # from $live_before and $held_live_mb
    echo "live heap before the streams ${live_before} MB, with them open ${held_live_mb} MB: $(awk -v a="$live_before" -v b="$held_live_mb" \
      -v n="$held_streams" 'BEGIN { if (b > a) printf "%.1f", (b - a) * 1024 / n; else print "?" }') KB a stream"
  }
  answers $mock_port
  # GATEWAY_JVM_OPTIONS: flags after the container's, to find what the streams need
  start_gateway "$work" $gateway_port "${GATEWAY_JVM_OPTIONS:-}"
  gateway_pid=$started_pid
  answers $gateway_port
  warm_streams() {  # port: plain requests, then short streams, WARMUP each
    wrk -t2 -c32 -d"${WARMUP:-20s}" -s src/bench/wrk/chat.lua "http://127.0.0.1:$1/v1/chat/completions" > /dev/null 2>&1 || true
    STREAM_API=chat wrk -t2 -c32 -d"${WARMUP:-20s}" -s src/bench/wrk/stream.lua "http://127.0.0.1:$1" > /dev/null 2>&1 || true
  }
  warm_streams $gateway_port
  live_before=$(live_heap_mb "$gateway_pid")
  hold_streams_measuring_heap "$gateway_pid"
  if ! kill -0 "$gateway_pid" 2>/dev/null; then echo "run.sh: the gateway died during the held streams:"; tail -20 "$work/gateway.log"; exit 1; fi
  echo "upstream side in HTTP/${held_upstream_http}"
  echo "switchboard: ${held_streams} concurrent streams held ${hold_seconds} s: $(echo "$held" | head -1); RSS peak ${held_peak} MB, after $(( $(ps -o rss= -p "$gateway_pid" || echo 0) / 1024 )) MB"
  echo "$held" | tail -n +2
  live_heap_line
  log_warnings "$work/gateway.log"
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true

  # shellcheck disable=SC2086
  MALLOC_ARENA_MAX=2 java @docker/jvm.options $same_loops ${GATEWAY_JVM_OPTIONS:-} -Dbench.upstream-http="$held_upstream_http" -cp "$cp" dev.switchboard.bench.BareReactorNettyProxy "$bare_port" "$mock_port" \
    > "$work/bare.log" 2>&1 &
  bare_pid=$!
  pids+=($bare_pid)
  answers $bare_port
  warm_streams $bare_port
  live_before=$(live_heap_mb "$bare_pid")
  gateway_port=$bare_port hold_streams_measuring_heap "$bare_pid"
  echo "bare Reactor Netty proxy: $(echo "$held" | head -1); RSS peak ${held_peak} MB"
  echo "$held" | tail -n +2
  live_heap_line
  [ -z "${held_cap_note:-}" ] || echo "$held_cap_note"
  exit 0
fi

# src/bench/run.sh tracing: what traces cost. The gateway alone, traces off then on (every trace sampled, the
# spans exported to the mock's OTLP sink), each a fresh JVM with the container's flags and the same warm-up,
# twice in turn so that the machine's drift shows beside the difference
if [ "${1:-}" = tracing ]; then
  answers $mock_port
  echo "traces   req/s@32  p50@1 ms  p99@1 ms  1st event p50  proxy CPU/req"
  for round in 1 2; do
    for traces in false true; do
      start_gateway "$work/tracing-$round-$traces" $gateway_port "" \
        --switchboard.tracing.enabled=$traces --switchboard.tracing.otlp-endpoint="http://127.0.0.1:$mock_port/v1/traces"
      traced_pid=$started_pid
      answers $gateway_port
      read -r t_rps t_p50 t_p99 t_p50one t_p99one t_first t_cpu t_jit <<< "$(measure "switchboard-traces-$traces-$round" $gateway_port "$warmup" "$traced_pid")"
      printf '%-8s %9s %9s %9s %13s %14s\n' "$( [ $traces = true ] && echo on || echo off )" "$t_rps" "$t_p50one" "$t_p99one" "$t_first" "${t_cpu} us"
      kill "$traced_pid" 2>/dev/null || true
      wait "$traced_pid" 2>/dev/null || true
    done
  done
  echo "traces on: every request a server span and an attempt span, exported in batches over OTLP/HTTP to the mock," \
    "which received $(curl -s "http://127.0.0.1:$mock_port/v1/traces/count") exports (${duration} runs, ${warmup} warm-up)"
  exit 0
fi

# one proxy loaded for DURATION in a round of run.sh paired or ab: name port pid connections [wrk script] ->
# "req/s p99-ms cpu-us-a-request"
round_load() {
  local out="$work/round-$1-$4.txt" c0 c1
  sleep 2  # the run before on idle cores: its ledger's last batch written
  c0=$(ticks "$3")
  wrk -t"$( [ "$4" = 1 ] && echo 1 || echo 2 )" -c"$4" -d"$duration" --latency -s "${5:-src/bench/wrk/chat.lua}" \
    "http://127.0.0.1:$2/v1/chat/completions" > "$out" 2>&1 || true
  c1=$(ticks "$3")
  local rps p99
  rps=$(awk '/Requests\/sec/ { print $2 }' "$out")
  p99=$(wrk_ms "$out" 99%)
  echo "${rps:-0} ${p99:-0} $(cpu_us_a_request $(( c1 - c0 )) "$out")"
}

# the median of a column ($2) of a file ($1) of numbers
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# src/bench/run.sh ab: one change measured against the gateway without it. Two gateways, A with A_JVM_OPTIONS and B
# with B_JVM_OPTIONS after the container's flags, each from the jar A_JAR or B_JAR names (by default both from
# target/switchboard.jar: a change of code is measured by building each side's jar and copying it out of target/
# first; both run with this checkout's bench.yaml and container flags), run at once. Each is warmed, and then
# ROUNDS rounds (8) load each for DURATION at 32 connections, the order swapped every round, with plain requests
# or, with STREAM_API (chat, responses or messages), short streams. Within a round the two runs are seconds apart,
# so the machine's drift moves both; the median of A's CPU a request over B's says which is cheaper.
if [ "${1:-}" = ab ]; then
  rounds="${ROUNDS:-8}"
  script=src/bench/wrk/chat.lua load="plain requests"
  [ -z "${STREAM_API:-}" ] || { script=src/bench/wrk/stream.lua; load="short streams, $STREAM_API"; }
  for jar in "${A_JAR:-}" "${B_JAR:-}"; do
    [ -z "$jar" ] || [ -f "$jar" ] || { echo "run.sh: no jar at $jar"; exit 1; }
  done
  answers $mock_port
  gateway_jar="${A_JAR:-}" start_gateway "$work/a" $gateway_port "${A_JVM_OPTIONS:-}"
  a_pid=$started_pid
  gateway_jar="${B_JAR:-}" start_gateway "$work/b" $ab_port "${B_JVM_OPTIONS:-}"
  b_pid=$started_pid
  for port in $gateway_port $ab_port; do
    answers "$port"
    wrk -t2 -c32 -d"$warmup" -s "$script" "http://127.0.0.1:$port/v1/chat/completions" > /dev/null 2>&1 || true
  done
  flags="the container's flags"
  echo "A (${A_JAR:-target/switchboard.jar}, ${A_JVM_OPTIONS:-$flags}) against B (${B_JAR:-target/switchboard.jar}, ${B_JVM_OPTIONS:-$flags}), $load, $(date +%F), $(nproc) cores:"
  echo "$rounds rounds, each ${duration} at 32 connections per gateway, the order swapped every round; ${warmup} warm-up each"
  echo "round  req/s A B  p99 ms A B  CPU/req us A B  CPU A/B"
  for round in $(seq 1 "$rounds"); do
    if [ $(( round % 2 )) = 1 ]; then
      a=$(round_load a $gateway_port $a_pid 32 "$script"); b=$(round_load b $ab_port $b_pid 32 "$script")
    else
      b=$(round_load b $ab_port $b_pid 32 "$script"); a=$(round_load a $gateway_port $a_pid 32 "$script")
    fi
    echo "$a $b" | awk -v r="$round" '{ printf "%5d  %7.0f %7.0f  %6.2f %6.2f  %5s %5s  %5.3f\n", r, $1, $4, $2, $5, $3, $6, ($6 > 0 ? $3 / $6 : 0) }' \
      | tee -a "$work/ab-rounds.txt"
  done
  echo "median of the rounds: CPU a request A/B $(median "$work/ab-rounds.txt" 8)"
  log_warnings "$work/a/gateway.log"
  log_warnings "$work/b/gateway.log"
  exit 0
fi

# src/bench/run.sh paired: the ratios the targets are stated in, from Switchboard, the bare proxy, the bare proxy
# with the ledger and the bare proxy with the features' work (FeatureFloor), all four started at once and loaded in
# turn, ROUNDS times (default 5) in a rotated order. The full run measures each proxy once, minutes after the other,
# and on a shared virtual machine whose speed drifts within minutes its ratios drift with it. Within a round the
# runs are seconds apart, so a round's ratios drift much less, and the median of the rounds says where the proxies
# stand against each other.
if [ "${1:-}" = paired ]; then
  rounds="${ROUNDS:-5}"
  answers $mock_port
  start_gateway "$work" $gateway_port "-Xlog:gc:file=$work/switchboard-gc.log"
  paired_pids=($started_pid)
  start_bare bare $bare_port
  paired_pids+=($started_pid)
  mkdir -p "$work/floor" "$work/features"
  start_bare floor $floor_port --ledger "$work/floor"
  paired_pids+=($started_pid)
  # FEATURES_MAIN=dev.switchboard.api.FloorInGateway: the features' floor in a JVM that also runs an idle Switchboard
  bare_main="${FEATURES_MAIN:-dev.switchboard.api.FeatureFloor}" start_bare features $features_port "$work/features" src/bench/bench.yaml
  paired_pids+=($started_pid)
  paired_names=(switchboard bare +ledger +features)
  paired_ports=($gateway_port $bare_port $floor_port $features_port)
  for port in "${paired_ports[@]}"; do answers "$port"; done
  for i in 0 1 2 3; do  # each warmed as the full run warms it, at 32 connections and then at one
    wrk -t2 -c32 -d"$warmup" -s src/bench/wrk/chat.lua "http://127.0.0.1:${paired_ports[$i]}/v1/chat/completions" > /dev/null 2>&1 || true
    wrk -t1 -c1 -d"$warmup_one" -s src/bench/wrk/chat.lua "http://127.0.0.1:${paired_ports[$i]}/v1/chat/completions" > /dev/null 2>&1 || true
  done
  echo "Switchboard (sb) against the bare Reactor Netty proxy (bare), the bare proxy recording usage (+ledger) and the bare"
  echo "proxy doing the features' work and recording it (+features${FEATURES_MAIN:+, served by ${FEATURES_MAIN##*.}}), $(date +%F), $(nproc) cores:"
  echo "$rounds rounds, each ${duration} at 32 connections then ${duration} at one per proxy, in a rotated order; ${warmup} + ${warmup_one} warm-up each"
  echo "round  req/s@32 sb bare +ledger +features  over bare sb +ledger +features  p99@32 ms sb bare +ledger +features  over bare sb +ledger +features" \
    " p99@1 ms sb bare +ledger +features  minus bare sb +ledger +features  CPU/req us sb bare +ledger +features  sb over +features"
  for round in $(seq 1 "$rounds"); do
    declare -A got=()
    for conns in 32 1; do
      for k in 0 1 2 3; do
        i=$(( (k + round - 1) % 4 ))
        got[$conns,$i]="$(round_load "${paired_names[$i]}" "${paired_ports[$i]}" "${paired_pids[$i]}" $conns)"
      done
    done
    # a run wrk could not finish leaves its figures 0, and the ratios that divide by them 0
    echo "${got[32,0]} ${got[32,1]} ${got[32,2]} ${got[32,3]} ${got[1,0]} ${got[1,1]} ${got[1,2]} ${got[1,3]}" | awk -v r="$round" '
      function over(a, b) { return b > 0 ? a / b : 0 } {
      printf "%5d  %8.0f %8.0f %8.0f %8.0f  %5.2f %5.2f %5.2f  %6.2f %6.2f %6.2f %6.2f  %5.2f %5.2f %5.2f  %5.2f %5.2f %5.2f %5.2f  %+5.2f %+5.2f %+5.2f  %4d %4d %4d %4d  %5.2f\n",
        r, $1, $4, $7, $10, over($1, $4), over($7, $4), over($10, $4), $2, $5, $8, $11, over($2, $5), over($8, $5), over($11, $5),
        $14, $17, $20, $23, $14 - $17, $20 - $17, $23 - $17, $3, $6, $9, $12, over($1, $10) }' \
      | tee -a "$work/paired-rounds.txt"
    unset got
  done
  # the median of each ratio over the rounds (columns of paired-rounds.txt); Switchboard's throughput over the
  # features' floor's is what the gateway's own structure costs beyond the work its features must do
  rounds_file="$work/paired-rounds.txt"
  echo "median of the rounds: throughput over bare: switchboard $(median "$rounds_file" 6), +ledger $(median "$rounds_file" 7)," \
    "+features $(median "$rounds_file" 8); switchboard over +features $(median "$rounds_file" 27);" \
    "p99 at 32 connections over bare: switchboard $(median "$rounds_file" 13)x, +ledger $(median "$rounds_file" 14)x, +features $(median "$rounds_file" 15)x;" \
    "p99 at 1 connection minus bare: switchboard $(median "$rounds_file" 20) ms, +ledger $(median "$rounds_file" 21) ms, +features $(median "$rounds_file" 22) ms"
  log_warnings "$work/gateway.log"
  exit 0
fi

mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_request_buffering off;
    }
  }
}
NGINX
"$nginx_bin" -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=($nginx_pid)

start_gateway "$work" $gateway_port "-Xlog:gc:file=$work/switchboard-gc.log"
gateway_pid=$started_pid

for port in $mock_port $nginx_port $gateway_port; do answers "$port"; done


read -r d_rps d_p50 d_p99 d_p50one d_p99one d_first d_cpu d_jit <<< "$(measure direct $mock_port 5s)"
nginx_procs="$nginx_pid $(ps -o pid= --ppid "$nginx_pid" | tr '\n' ' ')"  # the master and its worker
read -r n_rps n_p50 n_p99 n_p50one n_p99one n_first n_cpu n_jit <<< "$(measure nginx $nginx_port 5s "$nginx_procs")"
read -r s_rps s_p50 s_p99 s_p50one s_p99one s_first s_cpu s_jit <<< "$(measure switchboard $gateway_port "$warmup" "$gateway_pid")"
# a Responses API stream, translated by the gateway to the mock's chat completions and back, event by event
responses_first=$(java -cp "$cp" dev.switchboard.bench.FirstEventProbe "$gateway_port" /v1/responses 300)
# and an Anthropic Messages stream, translated the same way
messages_first=$(java -cp "$cp" dev.switchboard.bench.FirstEventProbe "$gateway_port" /v1/messages 300)
# the gateway's CPU per stream, passed through (chat) and translated (responses, messages), under wrk at 32
# connections: the mock's stream is six events, so a sixth of it is the CPU an upstream event costs
stream_load() {  # api -> "streams/s cpu-us-per-stream"
  local url="http://127.0.0.1:$gateway_port" c0 c1
  STREAM_API=$1 wrk -t2 -c32 -d5s -s src/bench/wrk/stream.lua "$url" > /dev/null 2>&1 || true
  c0=$(ticks "$gateway_pid")
  STREAM_API=$1 wrk -t2 -c32 -d"$duration" -s src/bench/wrk/stream.lua "$url" > "$work/stream-$1.txt" 2>&1 || true
  c1=$(ticks "$gateway_pid")
  echo "$(awk '/Requests\/sec/ { print $2 }' "$work/stream-$1.txt" | grep . || echo -) $(cpu_us_a_request $(( c1 - c0 )) "$work/stream-$1.txt")"
}
read -r stream_chat_rps stream_chat_cpu <<< "$(stream_load chat)"
read -r stream_responses_rps stream_responses_cpu <<< "$(stream_load responses)"
read -r stream_messages_rps stream_messages_cpu <<< "$(stream_load messages)"
rss_mb=$(( $(ps -o rss= -p "$gateway_pid") / 1024 ))
# young and full collections since the gateway started (jstat's YGC and FGC columns), to size the heap by
gcs=$(jstat -gc "$gateway_pid" 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
  NR == 2 { printf "%d young, %d full (%.2f s in full collections)", $col["YGC"], $col["FGC"], $col["FGCT"] }')

# the same gateway (warm) with a key whose limits and budget are all on, kept in memory
read -r l_rps l_p50 l_p99 l_p50one l_p99one l_first l_cpu l_jit <<< "$(BENCH_KEY=bench-limited measure switchboard-limited $gateway_port 20s "$gateway_pid")"
# and through Redis, on a gateway of its own with the same flags and warm-up; Redis's commands counted per request
q_rps="-"; q_p50="-"; q_p99="-"; q_p50one="-"; q_p99one="-"; q_first="-"; q_cpu="-"; q_cmds="-"
if redis_cmd PING 2>/dev/null | grep -q PONG; then
  start_gateway "$work/redis" $redis_gateway_port "" --switchboard.redis.url="$redis_url" --switchboard.redis.prefix="bench-$$:"
  redis_gateway_pid=$started_pid
  answers $redis_gateway_port
  # the calls the gateway makes (all scripts), not the commands the scripts run inside Redis
  commands() { redis_cmd "INFO commandstats" | awk -F'[=,:]' '/^cmdstat_(eval|evalsha):/ { n += $3 } END { print n + 0 }'; }
  c0=$(commands)
  read -r q_rps q_p50 q_p99 q_p50one q_p99one q_first q_cpu q_jit <<< "$(BENCH_KEY=bench-limited measure switchboard-redis $redis_gateway_port "$warmup" "$redis_gateway_pid")"
  c1=$(commands)
  served=$(cat "$work"/switchboard-redis-*.txt 2>/dev/null | awk '/requests in/ { n += $1 } END { print n }')
  q_cmds=$(awk -v c=$(( ${c1:-0} - ${c0:-0} )) -v n="${served:-0}" 'BEGIN { if (n > 0) printf "%.1f", c / n; else print "-" }')
  kill "$redis_gateway_pid" 2>/dev/null || true
  wait "$redis_gateway_pid" 2>/dev/null || true
fi

# Spring Cloud Gateway, started only now so it never shares the cores with Switchboard's run, with the same JVM
# flags and warm-up: the comparison is of the code, not of the settings (with the JVM's defaults it used more
# CPU a request and twice the RSS)
PORT=$scg_port BENCH_MOCK_PORT=$mock_port java @docker/jvm.options $same_loops -jar src/bench/scg/target/scg-bench.jar > "$work/scg.log" 2>&1 &
scg_pid=$!
pids+=($scg_pid)
answers $scg_port
read -r g_rps g_p50 g_p99 g_p50one g_p99one g_first g_cpu g_jit <<< "$(measure scg $scg_port "$warmup" "$scg_pid")"
scg_rss_mb=$(( $(ps -o rss= -p "$scg_pid") / 1024 ))
kill "$scg_pid" 2>/dev/null || true
wait "$scg_pid" 2>/dev/null || true  # its shutdown done before the held streams start

# the bare proxy measured as the others, then stopped: $1 its name (logs, GC log), the rest its arguments after
# the ports -> $bare_line (measure's line)
measure_bare() {
  local name=$1 pid
  shift
  start_bare "$name" $bare_port "$@"
  pid=$started_pid
  answers $bare_port
  bare_line="$(measure "$name" $bare_port "$warmup" "$pid")"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# the floor of the stack itself: Reactor Netty's server and client, no Spring, JSON, routing or usage; same
# JVM flags and warm-up. Switchboard's distance from it is Switchboard's own work, SCG's is SCG's
measure_bare bare
read -r r_rps r_p50 r_p99 r_p50one r_p99one r_first r_cpu r_jit <<< "$bare_line"

# the same bare proxy recording every plain answer in Switchboard's usage ledger on its embedded store (record
# log, queue, writer, SQLite file): the floor of a gateway that records each request on the same two cores
mkdir -p "$work/floor"
measure_bare floor --ledger "$work/floor"
read -r f_rps f_p50 f_p99 f_p50one f_p99one f_first f_cpu f_jit <<< "$bare_line"

hold_streams "$gateway_pid"
sleep 1  # the ledger's writer stores a batch every 100 ms
records=$(curl -s -H 'Authorization: Bearer bench-admin-key' "http://127.0.0.1:$gateway_port/admin/usage/summary?group_by=key" \
  | grep -o '"requests":[0-9]*' | cut -d: -f2 | awk '{ n += $1 } END { print n }' || true)
answered=$(cat "$work"/switchboard-{warm,32,warm-1,1}.txt "$work"/switchboard-limited-*.txt | awk '/requests in/ { n += $1 } END { print n }')

echo
echo "Switchboard benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, ${warmup} warm-up (5 s for direct and nginx) then ${duration} at 32 connections, ${warmup_one} more at 1 then ${duration} at 1, ~1 KB chat request"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "" "req/s@32" "p50@32 ms" "p99@32 ms" "p50@1 ms" "p99@1 ms" "1st event p50" "proxy CPU/req"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' direct "$d_rps" "$d_p50" "$d_p99" "$d_p50one" "$d_p99one" "$d_first" "-"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' nginx "$n_rps" "$n_p50" "$n_p99" "$n_p50one" "$n_p99one" "$n_first" "${n_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' switchboard "$s_rps" "$s_p50" "$s_p99" "$s_p50one" "$s_p99one" "$s_first" "${s_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "+limits" "$l_rps" "$l_p50" "$l_p99" "$l_p50one" "$l_p99one" "$l_first" "${l_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "+redis" "$q_rps" "$q_p50" "$q_p99" "$q_p50one" "$q_p99one" "$q_first" "${q_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "spring-cg" "$g_rps" "$g_p50" "$g_p99" "$g_p50one" "$g_p99one" "$g_first" "${g_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "bare-rn" "$r_rps" "$r_p50" "$r_p99" "$r_p50one" "$r_p99one" "$r_first" "${r_cpu} us"
printf '%-12s %10s %10s %10s %10s %10s %14s %13s\n' "+ledger" "$f_rps" "$f_p50" "$f_p99" "$f_p50one" "$f_p99one" "$f_first" "${f_cpu} us"
echo "proxy CPU/req: the proxy's own CPU time (user + system) per request answered in the 32-connection run;" \
  "the JIT compiler took ${s_jit} of Switchboard's ($(cat "$work/switchboard-jit-1.txt" 2>/dev/null || echo -) in the 1-connection run, after ${warmup_one} at 1 connection)"
awk -v d="$d_rps" -v n="$n_rps" -v s="$s_rps" -v g="$g_rps" -v dl="$d_p50one" -v nl="$n_p50one" -v sl="$s_p50one" \
    -v gl="$g_p50one" -v df="$d_first" -v nf="$n_first" -v sf="$s_first" -v gf="$g_first" -v r="$r_rps" -v rl="$r_p50one" -v rf="$r_first" -v f="$f_rps" 'BEGIN {
  printf "throughput: switchboard/direct %.2f, switchboard/nginx %.2f, switchboard/spring-cg %.2f\n", s / d, s / n, s / g
  printf "the stack alone (bare-rn: Reactor Netty server and client, nothing else): bare-rn/nginx %.2f, bare-rn/spring-cg %.2f, switchboard/bare-rn %.2f\n", r / n, r / g, s / r
  printf "the stack with usage recorded (+ledger: bare-rn recording each answer in the ledger): +ledger/bare-rn %.2f, switchboard/+ledger %.2f\n", f / r, s / f
  printf "added p50 latency at 1 connection: nginx +%.3f ms, switchboard +%.3f ms, spring-cg +%.3f ms, bare-rn +%.3f ms\n", nl - dl, sl - dl, gl - dl, rl - dl
  printf "added time to first SSE event (p50): nginx +%.3f ms, switchboard +%.3f ms, spring-cg +%.3f ms, bare-rn +%.3f ms\n", nf - df, sf - df, gf - df, rf - df }'
echo "switchboard, a Responses API stream translated to chat completions: first event $responses_first ms (chat passthrough p50 ${s_first} ms)"
echo "switchboard, an Anthropic Messages stream translated to chat completions: first event $messages_first ms"
echo "streams at 32 connections (six upstream events each): chat passed through ${stream_chat_rps}/s at ${stream_chat_cpu} us CPU a stream;" \
  "responses translated ${stream_responses_rps}/s at ${stream_responses_cpu} us; messages translated ${stream_messages_rps}/s at ${stream_messages_cpu} us"
echo "switchboard RSS after the run: ${rss_mb} MB (JVM flags: docker/jvm.options); usage records stored: ${records:-none} for ${answered} requests wrk saw answered (plus the probe's and the held streams)"
echo "switchboard collections up to then: ${gcs:-unknown}"
echo "collections while wrk measured (each run ${duration}): switchboard $(cat "$work/switchboard-gc-pauses.txt" 2>/dev/null);" \
  "bare proxy $(cat "$work/bare-gc-pauses.txt" 2>/dev/null); bare proxy with the ledger $(cat "$work/floor-gc-pauses.txt" 2>/dev/null)"
if [ -n "$wire" ]; then
  echo "p99 at 1 connection: wrk's is corrected for coordinated omission, so it says how long the proxy stalled (a stall of" \
    "N intervals counts as N late answers); the answers' own, from the loopback's packets (tcpdump), beside what wrk's correction makes of them:"
  for name in direct nginx switchboard switchboard-limited switchboard-redis scg bare floor; do
    if [ -s "$work/$name-wire.txt" ]; then echo "  $name: $(cat "$work/$name-wire.txt")"; fi
  done
fi
echo "spring-cg (Spring Cloud Gateway, one plain route, no usage recording) RSS after its run: ${scg_rss_mb} MB, same JVM flags"
echo "${held_streams} concurrent streams held ${hold_seconds} s (upstream side in HTTP/${held_upstream_http}): $(echo "$held" | head -1); gateway RSS peak ${held_peak} MB"
echo "$held" | tail -n +2
log_warnings "$work/gateway.log"
echo "+limits: switchboard with a key whose rate limits and monthly budget are all on, in memory; +redis: the same through Redis" \
  "(${q_cmds} Redis calls a request; the first-event column is the plain key's)"
[ -z "${held_cap_note:-}" ] || echo "$held_cap_note"
[ -z "${netfilter_note:-}" ] || echo "$netfilter_note"
